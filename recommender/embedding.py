"""Photo -> one unit vector that carries both shape and colour.

1. Shape descriptor: the backbone's feature maps, pooled: GeM over the last map, and a
   foreground-weighted mean over the intermediate maps the backbone exposes (cells
   weighted by how much of them is not white background); each part L2-normalised.
2. Colour signature: recommender.colour (CIELAB histogram of the foreground).
3. With a trained projection for the backbone (recommender/projections/), the vector is
   the projection of both (recommender.projection). Without one, it is
   [shape, sqrt(w) * colour] / sqrt(1 + w), whose inner product with another is
   (shape cosine + w * colour similarity) / (1 + w).

Either way one inner-product search ranks by shape and colour together.
"""
import functools
from dataclasses import dataclass

import numpy as np

from .backbones import BACKBONES, choose_backbone, load_backbone
from .background import catalogue_style
from .colour import SIGNATURE_SIZE, colour_signature, foreground_mask
from catalog.images import open_photo

from .preprocessing import PREPROCESSING_VERSION, square_photo
from .projection import Projection, unit_rows

INPUT_SIZE = 224
GEM_POWER = 3.0
COLOUR_WEIGHT = 0.25  # used when no projection is trained for the backbone
EMBEDDING_VERSION = 3  # bump when the pooling or the colour signature changes


@dataclass(frozen=True)
class VectorModel:
    """What makes the stored vectors: a backbone and, when one is trained for it, a projection."""

    backbone_name: str
    weights_id: str
    projection: Projection | None

    @property
    def fingerprint(self):
        """Names this model; vectors of two fingerprints never meet."""
        projected = self.projection.id if self.projection else "raw"
        return f"{self.backbone_name}-{self.weights_id}-p{PREPROCESSING_VERSION}-e{EMBEDDING_VERSION}-{projected}"

    @property
    def size(self):
        if self.projection:
            return self.projection.size
        return BACKBONES[self.backbone_name].descriptor_size + SIGNATURE_SIZE

    def vectors(self, shape, colour):
        """Stored vectors from shape descriptors and colour signatures (rows)."""
        if self.projection:
            return self.projection.apply(shape, colour)
        shape = unit_rows(shape)  # the descriptor joins several unit parts
        return (np.hstack([shape, np.sqrt(COLOUR_WEIGHT) * colour]) / np.sqrt(1.0 + COLOUR_WEIGHT)).astype(np.float32)


@functools.cache
def vector_model(backbone_name=None):
    choice = choose_backbone(backbone_name)
    return VectorModel(choice.name, choice.weights_id, Projection.for_backbone(choice.name, choice.weights_id))


def fingerprint(backbone_name=None):
    return vector_model(backbone_name).fingerprint


class Embedder:
    """Photos in, descriptors and stored vectors out, with one loaded backbone."""

    def __init__(self, backbone, model):
        self.backbone = backbone
        self.model = model

    def descriptors(self, photos):
        """(shape descriptors, colour signatures) for a list of RGB PIL images."""
        squares = np.stack([np.asarray(square_photo(catalogue_style(photo), INPUT_SIZE)) for photo in photos])
        masks = np.stack([foreground_mask(square) for square in squares])
        colour = np.stack([colour_signature(square, mask) for square, mask in zip(squares, masks)])
        return self.shape_descriptors(squares, masks), colour

    def vectors(self, photos):
        return self.model.vectors(*self.descriptors(photos))

    def shape_descriptors(self, pixels, masks):
        import torch
        import torch.nn.functional as F

        mean = torch.tensor(self.backbone.mean).view(1, 3, 1, 1)
        std = torch.tensor(self.backbone.std).view(1, 3, 1, 1)
        batch = (torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 255.0 - mean) / std
        foreground = torch.from_numpy(masks).float().unsqueeze(1)
        last, *intermediate = [maps.float().cpu() for maps in self.backbone.feature_maps(batch)]
        parts = [gem(last)] + [foreground_mean(maps, F.adaptive_avg_pool2d(foreground, maps.shape[-2:]))
                               for maps in intermediate]
        return torch.cat([F.normalize(part, dim=1) for part in parts], dim=1).numpy()


def gem(maps, power=GEM_POWER):
    """Generalised-mean pooling of (N, C, h, w) maps."""
    return maps.clamp(min=1e-6).pow(power).mean(dim=(2, 3)).pow(1.0 / power)


def foreground_mean(maps, cell_weights):
    """Mean of (N, C, h, w) maps with each cell weighted by its foreground share."""
    empty = cell_weights.sum(dim=(2, 3), keepdim=True) < 1e-3
    cell_weights = cell_weights.masked_fill(empty, 1.0)  # an all-white photo: a plain mean
    return (maps * cell_weights).sum(dim=(2, 3)) / cell_weights.sum(dim=(2, 3))


@functools.cache
def default_embedder(backbone_name=None):
    return Embedder(load_backbone(backbone_name), vector_model(backbone_name))


def read_photos(files):
    return [open_photo(file, max_side=2 * INPUT_SIZE) for file in files]


def embed_files(files, backbone_name=None):
    """Stored vectors for photo files (paths, bytes or file objects), in order."""
    return default_embedder(backbone_name).vectors(read_photos(files))
