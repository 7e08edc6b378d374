"""Celery tasks of the catalogue: thin wrappers over catalog.services, taking ids."""

from celery import shared_task
from django.conf import settings

from . import selectors, services

RETRY = {
    "autoretry_for": (ConnectionError, TimeoutError),
    "retry_backoff": 2,
    "max_retries": 6,
    "acks_late": True,
}


@shared_task(**RETRY)
def make_thumbnails(image_ids):
    """Make the thumbnails these photos lack (an unreadable photo is left without one)."""
    services.images_thumbnail_make(images=selectors.images_without_thumbnail(image_ids=image_ids))


@shared_task(**RETRY)
def thumbnails_catch_up():
    """Run by Celery beat: thumbnails of photos that have none (bulk imports, outages), at most
    CATALOG_THUMBNAIL_BATCH a run; returns how many it tried."""
    images = selectors.images_without_thumbnail(limit=settings.CATALOG_THUMBNAIL_BATCH)
    services.images_thumbnail_make(images=images)
    return len(images)
