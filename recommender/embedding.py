"""Photo -> one vector that carries both shape and colour.

Shape: the backbone's last feature map, GeM-pooled over the foreground (cells weighted
by how much of them is not white background), averaged with the mirrored photo,
L2-normalised. Colour: a histogram of the foreground pixels in CIELAB (soft binning),
square-rooted and L2-normalised, so the dot product of two of them is their
Bhattacharyya coefficient. The stored vector is [shape, sqrt(w) * colour] / sqrt(1 + w):
its inner product with another is (shape cosine + w * colour similarity) / (1 + w), so
one exact or approximate inner-product search ranks by shape and colour together.
"""
import functools

import numpy as np

from .backbones import BACKBONES, choose_backbone, load_backbone
from .colour import SIGNATURE_SIZE, colour_signature, foreground_mask
from .preprocessing import PREPROCESSING_VERSION, open_photo, square_photo

INPUT_SIZE = 224
GEM_POWER = 3.0
COLOUR_WEIGHT = 0.5
EMBEDDING_VERSION = 1  # bump when the pooling or the colour signature changes


def fingerprint(backbone_name=None):
    """Names the model that makes the vectors; vectors of two fingerprints never meet."""
    choice = choose_backbone(backbone_name)
    return f"{choice.name}-{choice.weights_id}-p{PREPROCESSING_VERSION}-e{EMBEDDING_VERSION}"


def vector_size(model_fingerprint):
    """Length of the stored vectors of a fingerprint: backbone channels plus colour bins."""
    return BACKBONES[model_fingerprint.split("-")[0]].channels + SIGNATURE_SIZE


def combine(shape, colour, colour_weight=COLOUR_WEIGHT):
    """Rows of [shape, sqrt(w) * colour] / sqrt(1 + w): unit vectors when both parts are."""
    return np.hstack([shape, np.sqrt(colour_weight) * colour]) / np.sqrt(1.0 + colour_weight)


class Embedder:
    """Photos in, stored vectors out, with one backbone."""

    def __init__(self, backbone):
        self.backbone = backbone

    def vectors(self, photos):
        """(N, channels + colour bins) float32 unit vectors for a list of RGB PIL images."""
        squares = [square_photo(photo, INPUT_SIZE) for photo in photos]
        pixels = np.stack([np.asarray(square) for square in squares])
        masks = np.stack([foreground_mask(square) for square in squares])
        shape = self.shape_vectors(pixels, masks)
        colour = np.stack([colour_signature(square, mask) for square, mask in zip(pixels, masks)])
        return combine(shape, colour).astype(np.float32)

    def shape_vectors(self, pixels, masks):
        import torch
        import torch.nn.functional as F

        backbone = self.backbone
        mean = torch.tensor(backbone.mean).view(1, 3, 1, 1)
        std = torch.tensor(backbone.std).view(1, 3, 1, 1)
        batch = (torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 255.0 - mean) / std
        weights = torch.from_numpy(masks).float().unsqueeze(1)
        pooled = 0
        for flipped in (False, True):
            images, cell_weights = (batch.flip(3), weights.flip(3)) if flipped else (batch, weights)
            maps = backbone.feature_maps(images).float().cpu()
            pooled = pooled + masked_gem(maps, F.adaptive_avg_pool2d(cell_weights, maps.shape[-2:]))
        return F.normalize(pooled, dim=1).numpy()


def masked_gem(maps, cell_weights, power=GEM_POWER):
    """GeM pooling of (N, C, h, w) maps, each cell weighted by its foreground share."""
    empty = cell_weights.sum(dim=(2, 3), keepdim=True) < 1e-3
    cell_weights = cell_weights.masked_fill(empty, 1.0)  # an all-white photo: plain GeM
    powered = maps.clamp(min=1e-6).pow(power)
    return ((powered * cell_weights).sum(dim=(2, 3)) / cell_weights.sum(dim=(2, 3))).pow(1.0 / power)


@functools.cache
def default_embedder(backbone_name=None):
    return Embedder(load_backbone(backbone_name))


def embed_files(files, backbone_name=None):
    """Vectors for photo files (paths, bytes or file objects), in order."""
    return default_embedder(backbone_name).vectors([open_photo(file, max_side=2 * INPUT_SIZE) for file in files])
