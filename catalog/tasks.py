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
    for image in selectors.images_without_thumbnail().filter(id__in=image_ids):
        try:
            services.image_thumbnail_make(image=image)
        except OSError:  # an unreadable file: the recommender records it as failed
            continue


@shared_task(**RETRY)
def thumbnails_catch_up():
    """Run by Celery beat: thumbnails of photos that have none (bulk imports, outages)."""
    image_ids = list(
        selectors.images_without_thumbnail().values_list("id", flat=True)[
            : settings.CATALOG_THUMBNAIL_BATCH
        ]
    )
    make_thumbnails(image_ids)
    return len(image_ids)
