"""Celery tasks: thin, idempotent wrappers over recommender.services, taking ids.

Embedding runs on the `embeddings` queue and index updates on the `index` queue
(CELERY_TASK_ROUTES), so a large embedding backlog never holds up removals. Tasks are
acknowledged late (a killed worker's task is delivered again) and retry transient failures
(database, broker, file system) with exponential backoff.
"""

from celery import shared_task
from django.db import DatabaseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError

from . import services

# LockError: the index writers' Redis lock (snapshots.writer_lock) was not had in time.
TRANSIENT = (DatabaseError, ConnectionError, TimeoutError, RedisConnectionError, LockError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 6,
    "acks_late": True,
}


@shared_task(**RETRY)
def embed_images(image_ids):
    """Embed these photos (those not already current), then bring them up to date in the index."""
    report = services.embeddings_update(image_ids=image_ids, retry_failed=False)
    services.index_refresh_images(image_ids=image_ids)
    return {"embedded": report.embedded, "failed": len(report.failed)}


@shared_task(**RETRY)
def refresh_index(image_ids):
    """Add, keep or drop these photos in the index after a delete or a (de)activation."""
    return services.index_refresh_images(image_ids=image_ids)


@shared_task(**RETRY)
def rebuild_index(model_fingerprint=None):
    """Rebuild the index of `model_fingerprint` (default: the current model's) from the stored
    vectors and publish it: the admin's action, and a reader's that found none it could read."""
    return services.index_rebuild(model_fingerprint=model_fingerprint)


@shared_task(**RETRY)
def catch_up():
    """Run by Celery beat: embeds pending photos in a bounded batch, mends the index."""
    return services.catch_up()


@shared_task(**RETRY)
def kept_photos_clean():
    """Run by Celery beat: remove shoppers' kept photos past their time or over the size cap
    (services.kept_photos_clean)."""
    return services.kept_photos_clean()
