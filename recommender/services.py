"""Writes of the recommender: computing stored vectors and publishing the vector index.

The queries they need are the models' QuerySet methods (recommender.models): services never
import selectors, so that a selector can call a service (index_restore).
"""

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from more_itertools import chunked
from tqdm import tqdm

from catalog.models import ProductImage

from . import kept_photos, snapshots
from .backbones import choose_backbone
from .embedding import embed_files, fingerprint, vector_model
from .embedding_processes import embedding_executor, processes_for
from .index import CorruptIndex, build_index
from .models import ImageEmbedding, PhotoEmbedding

logger = logging.getLogger(__name__)


@dataclass
class EmbedReport:
    fingerprint: str
    embedded: int = 0
    failed: list = field(default_factory=list)  # (image id, error)


def embeddings_update(
    *,
    backbone=None,
    image_ids=None,
    batch_size=32,
    progress=False,
    retry_failed=True,
    limit=None,
    processes=1,
):
    """Compute the missing or stale vectors (of `image_ids`, or of every photo; at most `limit`).

    Each batch is stored as it is done, so an interrupted run resumes where it stopped. A
    photo that cannot be read is recorded as failed with its error. Without retry_failed,
    photos that failed MAX_ATTEMPTS times are skipped. `processes`: how many worker processes
    embed (recommender.embedding_processes); None: as many as pay for this run.
    """
    backbone = choose_backbone(
        backbone
    ).name  # worker processes embed with the very backbone named here
    model_fingerprint = fingerprint(backbone)
    photos = PhotoEmbedding.objects
    pending = (
        photos.without_current_vector(model_fingerprint)
        if retry_failed
        else photos.pending(model_fingerprint)
    )
    if image_ids is not None:
        pending = pending.filter(id__in=image_ids)
    if limit is not None:
        pending = pending[:limit]
    report = EmbedReport(model_fingerprint)
    pending_ids = list(pending.values_list("id", flat=True))
    processes = processes_for(len(pending_ids)) if processes is None else processes
    executor = embedding_executor(backbone, processes, model_fingerprint)
    try:
        with tqdm(
            total=len(pending_ids), desc="Embedding", unit=" photos", disable=not progress
        ) as bar:
            in_flight = (
                deque()
            )  # (photos, their vectors to come): a batch for each process, and one more
            for batch_ids in chunked(pending_ids, batch_size):
                images = list(ProductImage.objects.filter(id__in=batch_ids))
                in_flight.append(
                    (images, executor.submit(embed_files, photo_paths(images), backbone))
                )
                if len(in_flight) > processes:
                    store_batch(*in_flight.popleft(), executor, backbone, report, bar)
            while in_flight:
                store_batch(*in_flight.popleft(), executor, backbone, report, bar)
    finally:
        executor.shutdown(
            cancel_futures=True
        )  # after an error or Ctrl-C, batches not started are dropped
    return report


def photo_paths(images):
    """The file paths of ProductImages' photos (local storage)."""
    return [image.image.path for image in images]


def store_batch(images, future, executor, backbone, report, bar):
    """Store a batch's vectors once embedded (`future`); when one of its files cannot be read,
    embed the photos one by one to find it."""
    try:
        vectors = future.result()
    except (OSError, ValueError):
        for image in images:
            store_alone(image, executor, backbone, report)
    else:
        store_vectors(images, vectors, report.fingerprint)
        report.embedded += len(images)
    bar.update(len(images))


def store_alone(image, executor, backbone, report):
    """Embed and store one photo, or record why it cannot be read."""
    try:
        vectors = executor.submit(embed_files, photo_paths([image]), backbone).result()
    except (OSError, ValueError) as error:
        record_failure(image, report.fingerprint, error)
        report.failed.append((image.id, str(error)))
        return
    store_vectors([image], vectors, report.fingerprint)
    report.embedded += 1


def store_vectors(images, vectors, model_fingerprint):
    """Upsert one DONE row per photo: running this twice leaves the same single row."""
    ImageEmbedding.objects.bulk_create(
        [
            ImageEmbedding(
                image=image,
                fingerprint=model_fingerprint,
                image_sha256=image.sha256,
                status=ImageEmbedding.Status.DONE,
                vector=ImageEmbedding.to_bytes(vector),
                error="",
                attempts=0,
            )
            for image, vector in zip(images, vectors)
        ],
        update_conflicts=True,
        unique_fields=["image", "fingerprint"],
        update_fields=["image_sha256", "status", "vector", "error", "attempts", "updated_at"],
    )


def record_failure(image, model_fingerprint, error):
    """Store a FAILED row with the error for a photo that cannot be embedded, counting the
    attempts made on its current file (1 for a new file)."""
    logger.warning("Cannot embed image %s: %s", image.id, error)
    row, _ = ImageEmbedding.objects.get_or_create(
        image=image,
        fingerprint=model_fingerprint,
        defaults={"image_sha256": image.sha256, "status": ImageEmbedding.Status.FAILED},
    )
    attempts = (
        row.attempts + 1
        if row.image_sha256 == image.sha256 and row.status == row.Status.FAILED
        else 1
    )
    ImageEmbedding.objects.filter(pk=row.pk).update(
        image_sha256=image.sha256,
        status=ImageEmbedding.Status.FAILED,
        vector=None,
        error=f"{type(error).__name__}: {error}"[:2000],
        attempts=attempts,
        updated_at=timezone.now(),
    )


def vector_size(vectors):
    """The length of the stored vectors: that of the (n, d) array given, or the current model's
    when there are none."""
    return vectors.shape[1] if len(vectors) else vector_model().size


def index_from_database(model_fingerprint):
    """A new index of every indexable vector (no photo is read)."""
    ids, vectors = ImageEmbedding.objects.indexable(model_fingerprint).ids_and_vectors()
    return build_index(vector_size(vectors), ids, vectors)


def index_rebuild(*, model_fingerprint=None):
    """Build the index from the stored vectors (no photo is read) and
    publish it; returns the version."""
    model_fingerprint = model_fingerprint or fingerprint()
    with snapshots.writer_lock(model_fingerprint):
        index = index_from_database(model_fingerprint)
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
            index = index_from_database(model_fingerprint)
        else:
            index.remove(list(image_ids))
            index.add(
                *ImageEmbedding.objects.indexable(model_fingerprint, image_ids).ids_and_vectors()
            )
        return snapshots.publish(model_fingerprint, index)


def index_restore(*, model_fingerprint):
    """Rebuild and publish the index for a reader that found none, or an unreadable one
    (selectors.current_index); returns this process's copy of it (snapshots.loaded_index)."""
    index_rebuild(model_fingerprint=model_fingerprint)
    return snapshots.loaded_index(model_fingerprint, force=True)


def catch_up(*, batch_size=None):
    """Heal what an outage of the broker or the workers left behind, in bounded work:
    embed up to batch_size pending photos, then rebuild the index when it disagrees with
    the database (missed additions, removals or deactivations). Returns what it did."""
    model_fingerprint = fingerprint()
    batch_size = batch_size or settings.RECOMMENDER_CATCH_UP_BATCH
    report = embeddings_update(limit=batch_size, retry_failed=False, batch_size=min(batch_size, 32))
    indexable = ImageEmbedding.objects.indexable(model_fingerprint).values_list(
        "image_id", flat=True
    )
    rebuilt = not snapshots.holds_exactly(
        model_fingerprint, indexable
    )  # the ids only, no vector bytes
    if rebuilt:
        index_rebuild(model_fingerprint=model_fingerprint)
    return {"embedded": report.embedded, "failed": len(report.failed), "index_rebuilt": rebuilt}


def embeddings_forget(*, image_ids):
    """Drop these photos' rows of the current model, so they are embedded afresh."""
    return ImageEmbedding.objects.filter(
        image_id__in=image_ids, fingerprint=fingerprint()
    ).delete()[0]


def photo_keep(*, checked):
    """Keep a shopper's checked photo (catalog.images.CheckedImage) for search by photo, under
    its hash in the default storage (recommender.kept_photos), and return its KeptPhoto. The
    same photo sent again is written again, so it is kept RECOMMENDER_KEPT_PHOTOS_HOURS from
    now. With tasks run in-process (no REDIS_URL: no beat), kept photos are first cleaned up
    here, making room for this one."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        kept_photos_clean(room=len(checked.content))
    photo = kept_photos.KeptPhoto(
        checked.sha256, kept_photos.photo_name(checked.sha256, checked.extension)
    )
    kept_photos.write(photo.name, checked.content)
    return photo


def photo_query_keep(*, photo, box, query):
    """Keep the PhotoQuery of a KeptPhoto's `box` (recommender.photo_query.Box, None for the
    whole photo) by the current model beside the photo, so that its next search does not
    embed again."""
    kept_photos.write(kept_photos.query_name(photo.digest, box, fingerprint()), query.to_bytes())


def kept_photos_clean(*, room=0):
    """Remove kept photos, each with its queries: those older than RECOMMENDER_KEPT_PHOTOS_HOURS,
    files left of a photo already removed, then the oldest until all of them take no more than
    RECOMMENDER_KEPT_PHOTOS_MAX_BYTES less `room` bytes. Run by beat (tasks.kept_photos_clean)
    and, with tasks run in-process, by photo_keep. Returns {"removed", "kept", "bytes"}: photos
    removed and kept, and the bytes the kept ones take."""
    groups = kept_photos.groups()
    cutoff = timezone.now() - timedelta(hours=settings.RECOMMENDER_KEPT_PHOTOS_HOURS)
    total = sum(group.size for group in groups)
    kept = []
    for group in groups:  # oldest first
        over = total + room > settings.RECOMMENDER_KEPT_PHOTOS_MAX_BYTES
        if over or group.photo is None or group.time < cutoff:
            kept_photos.delete(group.names)
            total -= group.size
        else:
            kept.append(group)
    photos = sum(group.photo is not None for group in groups)
    return {"removed": photos - len(kept), "kept": len(kept), "bytes": total}
