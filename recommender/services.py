"""Writes of the recommender: computing stored vectors and publishing the vector index."""
import logging
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Exists, F, OuterRef
from tqdm import tqdm

from catalog.models import ProductImage

from . import snapshots
from .embedding import embed_files, fingerprint, vector_model
from .index import CorruptIndex, FaissFlatIndex
from .models import ImageEmbedding

logger = logging.getLogger(__name__)


@dataclass
class EmbedReport:
    fingerprint: str
    embedded: int = 0
    failed: list = field(default_factory=list)  # (image id, error)


def images_without_current_vector(model_fingerprint):
    """Photos with no vector from this model, or a vector made from an earlier file."""
    current = ImageEmbedding.objects.filter(
        image=OuterRef("pk"), fingerprint=model_fingerprint, image_sha256=OuterRef("sha256"))
    return ProductImage.objects.exclude(Exists(current)).order_by("id")


def embeddings_update(*, backbone=None, image_ids=None, batch_size=32, progress=False):
    """Compute the missing or stale vectors (of `image_ids`, or of every photo).

    Each batch is stored as it is done, so an interrupted run resumes where it stopped.
    A photo that cannot be read is reported and skipped.
    """
    model_fingerprint = fingerprint(backbone)
    pending = images_without_current_vector(model_fingerprint)
    if image_ids is not None:
        pending = pending.filter(id__in=image_ids)
    report = EmbedReport(model_fingerprint)
    pending_ids = list(pending.values_list("id", flat=True))
    with tqdm(total=len(pending_ids), desc="Embedding", unit=" photos", disable=not progress) as bar:
        for start in range(0, len(pending_ids), batch_size):
            images = list(ProductImage.objects.filter(id__in=pending_ids[start:start + batch_size]))
            readable = embed_batch(images, backbone, report)
            report.embedded += len(readable)
            bar.update(len(images))
    return report


def embed_batch(images, backbone, report):
    """Embed and store a batch; a file that cannot be read is embedded alone to find it."""
    try:
        vectors = embed_files([image.image.path for image in images], backbone)
    except (OSError, ValueError) as error:
        if len(images) == 1:
            report.failed.append((images[0].id, str(error)))
            logger.warning("Cannot embed image %s: %s", images[0].id, error)
            return []
        readable = []
        for image in images:
            readable += embed_batch([image], backbone, report)
        return readable
    store_vectors(images, vectors, report.fingerprint)
    return images


def store_vectors(images, vectors, model_fingerprint):
    ImageEmbedding.objects.bulk_create(
        [ImageEmbedding(image=image, fingerprint=model_fingerprint, image_sha256=image.sha256,
                        vector=ImageEmbedding.to_bytes(vector)) for image, vector in zip(images, vectors)],
        update_conflicts=True, unique_fields=["image", "fingerprint"],
        update_fields=["image_sha256", "vector", "updated_at"],
    )


def indexable_vectors(model_fingerprint, image_ids=None):
    """(ids, vectors) of the current vectors of active products' photos."""
    rows = ImageEmbedding.objects.filter(
        fingerprint=model_fingerprint, image__product__is_active=True, image_sha256=F("image__sha256"))
    if image_ids is not None:
        rows = rows.filter(image_id__in=list(image_ids))
    pairs = list(rows.values_list("image_id", "vector"))
    ids = np.array([image_id for image_id, _ in pairs], dtype=np.int64)
    if not pairs:
        return ids, np.zeros((0, 0), np.float32)
    return ids, np.stack([ImageEmbedding.from_bytes(vector) for _, vector in pairs])


def vector_size(vectors):
    return vectors.shape[1] if len(vectors) else vector_model().size


def index_rebuild(*, model_fingerprint=None):
    """Build the index from the stored vectors (no photo is read) and publish it; returns the version."""
    model_fingerprint = model_fingerprint or fingerprint()
    with snapshots.writer_lock(model_fingerprint):
        ids, vectors = indexable_vectors(model_fingerprint)
        index = FaissFlatIndex.build(vector_size(vectors), ids, vectors)
        version = snapshots.publish(model_fingerprint, index)
    logger.info("Index %s v%s: %s vectors", model_fingerprint, version, len(index))
    return version


def index_refresh_images(*, image_ids, model_fingerprint=None):
    """Bring these photos up to date in the index, without a rebuild: each is removed, and
    added back when it has a current vector and its product is active (so this one call
    adds new photos and drops deleted ones and those of deactivated products)."""
    model_fingerprint = model_fingerprint or fingerprint()
    with snapshots.writer_lock(model_fingerprint):
        try:
            index = snapshots.load_latest(model_fingerprint)
        except CorruptIndex:
            index = None
        if index is None:
            ids, vectors = indexable_vectors(model_fingerprint)
            index = FaissFlatIndex.build(vector_size(vectors), ids, vectors)
        else:
            index.remove(list(image_ids))
            index.add(*indexable_vectors(model_fingerprint, image_ids))
        return snapshots.publish(model_fingerprint, index)


_readers = {}


def current_index(model_fingerprint):
    """This process's copy of the newest index; a missing or corrupt file is rebuilt from the database."""
    reader = _readers.setdefault(model_fingerprint, snapshots.LoadedIndex(model_fingerprint))
    try:
        index = reader.newest()
    except CorruptIndex:
        logger.warning("Index file of %s is corrupt; rebuilding it from the database", model_fingerprint)
        index = None
    if index is None:
        index_rebuild(model_fingerprint=model_fingerprint)
        index = reader.newest(force=True)
    return index
