"""Photo -> one unit vector that carries both shape and colour.

1. Shape descriptor: the backbone's feature maps, pooled: GeM over the last map, and a
   foreground-weighted mean over the intermediate maps the backbone exposes (cells
   weighted by how much of them is not white background); then the intermediate maps
   themselves, average-pooled to SPATIAL_GRID x SPATIAL_GRID cells (where a pattern is
   matters: a collar, a sole); each part L2-normalised.
2. Colour signature: recommender.colour (CIELAB histograms of the foreground, whole and
   per cell of a grid).
3. With a trained projection for the backbone (recommender/projections/), the vector is
   the projection of both (recommender.projection). Without one, it is
   [pooled shape, sqrt(w) * whole colour] / sqrt(1 + w), whose inner product with another
   is (shape cosine + w * colour similarity) / (1 + w); the spatial parts, too large to
   store unprojected, are left out.

Either way one inner-product search ranks by shape and colour together.
"""

import contextlib
import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from more_itertools import chunked
from PIL import ImageOps
from threadpoolctl import ThreadpoolController

from catalog.images import WHITE, open_photo

from .backbones import BACKBONES, choose_backbone, load_backbone
from .background import catalogue_style, has_white_border
from .colour import HISTOGRAM_SIZE, colour_signature, foreground_mask
from .kinds import kind_scores
from .photo_query import PhotoQuery
from .preprocessing import INPUT_SIZE, PREPROCESSING_VERSION, network_input, read_photos, squares
from .projection import Projection, unit_rows
from .runtimes.choice import resolve_runtime
from .runtimes.engines import runtime_backbone

GEM_POWER = 3.0
SPATIAL_GRID = 7
COLOUR_WEIGHT = 0.25  # used when no projection is trained for the backbone
EMBEDDING_VERSION = 4  # bump when the pooling or the colour signature changes
PIPELINE_CHUNK = 8  # photos a worker of Embedder.vectors_of_files decodes and embeds at a time
FRAMING_MARGIN = 0.15  # of the longer side, each way (photo_views)


@dataclass(frozen=True)
class VectorModel:
    """What makes the stored vectors: a backbone and, when one is trained for it, a projection."""

    backbone_name: str
    weights_id: str
    projection: Projection | None
    runtime: str = "torch"  # recommender.runtimes: where the backbone runs

    @property
    def fingerprint(self):
        """Names this model; vectors of two fingerprints never meet. Not the runtime: every
        runtime is faithful to the torch reference (recommender.runtimes)."""
        projected = self.projection.id if self.projection else "raw"
        return f"{descriptor_id(self.backbone_name, self.weights_id)}-{projected}"

    @property
    def size(self):
        """The length of a stored vector (the projection's size, or
        descriptor + colour histogram)."""
        if self.projection:
            return self.projection.size
        return BACKBONES[self.backbone_name].descriptor_size + HISTOGRAM_SIZE

    def vectors(self, shape, colour):
        """Stored vectors from shape descriptors and colour signatures (rows)."""
        if self.projection:
            return self.projection.apply(shape, colour)
        # The pooled parts of the descriptor and the whole photo's colour (the module's docstring).
        shape = unit_rows(shape[:, : BACKBONES[self.backbone_name].descriptor_size])
        colour = colour[:, :HISTOGRAM_SIZE]
        return (
            np.hstack([shape, np.sqrt(COLOUR_WEIGHT) * colour]) / np.sqrt(1.0 + COLOUR_WEIGHT)
        ).astype(np.float32)


def descriptor_id(backbone_name, weights_id):
    """Names what makes the descriptors (Embedder.descriptors): backbone, weights and versions."""
    return f"{backbone_name}-{weights_id}-p{PREPROCESSING_VERSION}-e{EMBEDDING_VERSION}"


def vector_model(backbone_name=None, runtime=None):
    """The model of the stored vectors for a backbone and the runtime that will really run
    (RECOMMENDER_RUNTIME, less what this machine cannot do)."""
    choice = choose_backbone(backbone_name)
    return _vector_model(choice.name, resolve_runtime(choice, runtime))


@functools.cache
def _vector_model(backbone_name, runtime):
    choice = choose_backbone(backbone_name)
    return VectorModel(
        choice.name,
        choice.weights_id,
        Projection.for_backbone(choice.name, choice.weights_id),
        runtime,
    )


def fingerprint(backbone_name=None):
    """The fingerprint of the stored vectors: the same whatever the runtime, so none is
    resolved (web processes import neither torch nor a runtime to work it out)."""
    return _vector_model(choose_backbone(backbone_name).name, "torch").fingerprint


class Embedder:
    """Photos in, descriptors and stored vectors out, with one loaded backbone."""

    half_on_gpu = True  # fp16 autocast when the backbone is on a CUDA GPU

    def __init__(self, backbone, model):
        self.backbone = backbone
        self.model = model
        # The backbone's calls at once: one for torch and OpenVINO, which spread a call over
        # their own threads (two at once would fight for the cores), one a core for ONNX Runtime.
        self.backbone_calls = threading.BoundedSemaphore(backbone.parallel_calls)

    def preprocess(self, photos, styled=False):
        """(squares, foreground masks, colour signatures) for a list of RGB PIL images, made
        catalogue-style first unless they are `styled` already."""
        pixels = squares(photos, styled)
        masks = np.stack([foreground_mask(square) for square in pixels])
        colour = np.stack([colour_signature(square, mask) for square, mask in zip(pixels, masks)])
        return pixels, masks, colour

    def prepared(self, files):
        """preprocess() of photo files: decoding included."""
        return self.preprocess(read_photos(files))

    def descriptors(self, photos, styled=False):
        """(shape descriptors, colour signatures) for a list of RGB PIL images (preprocess)."""
        return self.descriptors_of(*self.preprocess(photos, styled))

    def descriptors_of(self, squares, masks, colour):
        """(shape descriptors, colour signatures) of preprocessed photos (the
        arrays preprocess gives)."""
        return self.shape_descriptors(squares, masks), colour

    def vectors(self, photos, styled=False):
        """(N, size) float32 stored vectors of a list of RGB PIL images (unit rows)."""
        return self.model.vectors(*self.descriptors(photos, styled))

    def vectors_of_files(self, files, chunk=PIPELINE_CHUNK):
        """vectors() of photo files by several workers at once: each decodes and preprocesses
        a chunk of at most `chunk` photos, then runs the backbone on it, so decoding overlaps
        the backbone. As many workers as the backbone runs calls at once, and at least two."""
        return self.by_workers(
            self.vectors_of_chunk, files, max(2, self.backbone.parallel_calls), chunk
        )

    def vectors_of_chunk(self, files):
        """(N, size) float32 stored vectors of photo files, decoded and embedded in this thread."""
        return self.model.vectors(*self.descriptors_of(*self.prepared(files)))

    def vectors_of_views(self, views):
        """vectors() of styled photos, shared among as many workers as the
        backbone runs calls at once."""
        return self.by_workers(
            lambda part: self.vectors(part, styled=True), views, self.backbone.parallel_calls
        )

    def by_workers(self, embed, items, workers, largest=None):
        """embed(part) of each part of `items`, `workers` parts at a time, their rows
        concatenated in order. The parts hold at most `largest` items, and are smaller where
        that would leave fewer parts than workers. When one part fails, the parts not started
        yet are dropped and its error is raised."""
        size = -(-len(items) // workers)
        parts = list(chunked(items, max(1, min(size, largest or size))))
        with one_blas_thread():
            if not parts:
                return np.zeros((0, self.model.size), np.float32)
            if len(parts) < 2:
                return embed(parts[0])
            pool = ThreadPoolExecutor(max_workers=workers)
            try:
                return np.concatenate(list(pool.map(embed, parts)))
            finally:
                pool.shutdown(cancel_futures=True)

    def normalised(self, pixels):
        """(N, H, W, 3) uint8 squares -> this backbone's (N, 3, H, W) float32 input
        (preprocessing.network_input with its mean and std)."""
        return network_input(pixels, self.backbone.mean, self.backbone.std)

    def feature_maps(self, batch):
        """The backbone's maps, as fp32 on the CPU; on a CUDA GPU under fp16 autocast."""
        import torch

        on_gpu = self.half_on_gpu and str(getattr(self.backbone, "device", "cpu")).startswith(
            "cuda"
        )
        autocast = (
            torch.autocast("cuda", dtype=torch.float16) if on_gpu else contextlib.nullcontext()
        )
        with autocast:
            return [maps.float().cpu() for maps in self.backbone.feature_maps(batch)]

    def shape_descriptors(self, pixels, masks):
        """(N, D) float32 shape descriptors of (N, INPUT_SIZE, INPUT_SIZE, 3) uint8 squares and
        their (N, INPUT_SIZE, INPUT_SIZE) foreground masks (1 product, 0 background): GeM of the
        last map, the foreground-weighted mean of each intermediate map, then each intermediate
        map pooled to SPATIAL_GRID x SPATIAL_GRID cells, each part L2-normalised (the module's
        docstring). GeM: Radenovic, Tolias and Chum, "Fine-tuning CNN Image Retrieval with No
        Human Annotation", TPAMI 2018."""
        import torch
        import torch.nn.functional as F

        batch = self.normalised(pixels)
        foreground = torch.from_numpy(masks).float().unsqueeze(1)
        with self.backbone_calls:
            last, *intermediate = self.feature_maps(batch)
        parts = [gem(last)] + [
            foreground_mean(maps, F.adaptive_avg_pool2d(foreground, maps.shape[-2:]))
            for maps in intermediate
        ]
        parts += [F.adaptive_avg_pool2d(maps, SPATIAL_GRID).flatten(1) for maps in intermediate]
        return torch.cat([F.normalize(part, dim=1) for part in parts], dim=1).numpy()


@functools.cache
def blas_threads():
    """NumPy's BLAS thread pools, looked up once (threadpool_limits would look each call: 1 ms)."""
    return ThreadpoolController()


def one_blas_thread():
    """NumPy's BLAS would start a thread per core for the small matrix products of the colour
    signature and the projection, fighting the backbone runtime's own threads (30x slower
    products beside OpenVINO, docs/benchmarks.md): one thread is plenty."""
    return blas_threads().limit(limits=1, user_api="blas")


def gem(maps, power=GEM_POWER):
    """Generalised-mean pooling of (N, C, h, w) maps."""
    return maps.clamp(min=1e-6).pow(power).mean(dim=(2, 3)).pow(1.0 / power)


def foreground_mean(maps, cell_weights):
    """Mean of (N, C, h, w) maps with each cell weighted by its foreground share."""
    empty = cell_weights.sum(dim=(2, 3), keepdim=True) < 1e-3
    cell_weights = cell_weights.masked_fill(empty, 1.0)  # an all-white photo: a plain mean
    return (maps * cell_weights).sum(dim=(2, 3)) / cell_weights.sum(dim=(2, 3))


_embedder_loading = threading.Lock()


def default_embedder(backbone_name=None):
    """The embedder of the backbone and the runtime the settings ask for (loaded once a process)."""
    choice = choose_backbone(backbone_name)
    # A search that comes while the server's start loads the model (recommender.warmup) waits for
    # that load instead of loading a second copy beside it.
    with _embedder_loading:
        return _embedder(choice.name, resolve_runtime(choice))


@functools.cache
def _embedder(backbone_name, runtime):
    choice = choose_backbone(backbone_name)
    backbone = runtime_backbone(load_backbone(backbone_name), choice, runtime)
    if (
        backbone is None
    ):  # the runtime cannot start here: the one auto now picks, loaded once (cached)
        return _embedder(backbone_name, resolve_runtime(choice, "auto"))
    return Embedder(backbone, _vector_model(choice.name, runtime))


def embed_files(files, backbone_name=None):
    """Stored vectors for photo files (paths, bytes or file objects), in order."""
    return default_embedder(backbone_name).vectors_of_files(list(files))


def photo_views(photo):
    """A shopper's photo made catalogue-style (recommender.background) and, when that gives it
    a white background, also the same framed by a white margin. The spatial parts of the
    vectors tie a product to where it sits in the picture; a close or off-centre crop, framed,
    sits as in the catalogue (found first 0.76 -> 0.865 of the time, docs/benchmarks.md). A
    photo left on its own background is not framed: the frame would read as the product."""
    styled = catalogue_style(photo)
    if not has_white_border(styled):
        return [styled]
    # Framed at the embedding's working size: a huge PNG framed at full size takes hundreds of MB.
    small = styled.copy()
    small.thumbnail((2 * INPUT_SIZE, 2 * INPUT_SIZE))
    return [styled, ImageOps.expand(small, round(FRAMING_MARGIN * max(small.size)), fill=WHITE)]


def embed_photo_query(file, box=None, backbone_name=None):
    """The PhotoQuery of one photo file, or of its `box` (recommender.photo_query.Box): the
    vectors of its photo_views and its garment-kind scores (recommender.kinds)."""
    photo = query_photo(file, box)
    embedder = default_embedder(backbone_name)
    return PhotoQuery(embedder.vectors_of_views(photo_views(photo)), kind_scores(embedder, photo))


def query_photo(file, box=None):
    """The upright RGB photo of a file, or its `box`, decoded at a scale that leaves what is
    searched at least 2 * INPUT_SIZE pixels on its longer side."""
    side = 2 * INPUT_SIZE
    photo = open_photo(file, max_side=side if box is None else round(side / box.smaller_share))
    return photo if box is None else box.crop(photo)
