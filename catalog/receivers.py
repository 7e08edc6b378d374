"""The catalogue's receivers: a new photo's thumbnail task, a deleted
photo's files, after the commit."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from fashionsite.celery import queue_on_commit

from .models import ProductImage
from .services import photo_files_delete
from .signals import photos_added
from .tasks import make_thumbnails


@receiver(photos_added, dispatch_uid="catalog-thumbnails")
def photos_stored(sender, image_ids, **kwargs):
    """Queue the thumbnails of new photos (once they are committed)."""
    if settings.CATALOG_AUTO_THUMBNAILS:
        queue_on_commit(make_thumbnails, image_ids)


# Any sender: a proxy of ProductImage (recommender.models.PhotoEmbedding) sends its own class.
@receiver(post_delete, dispatch_uid="catalog-image-files")
def image_deleted(sender, instance, using, **kwargs):
    """A deleted photo's photo and thumbnail files go too, once the deletion is committed (a
    rolled-back deletion keeps them); admin, API and a product's deletion all come through
    here."""
    if not isinstance(instance, ProductImage):
        return
    names = [file.name for file in (instance.image, instance.thumbnail) if file]
    # robust: a storage error is logged, not raised after the deletion has been committed.
    transaction.on_commit(
        lambda: photo_files_delete(names, storage=instance.image.storage), using=using, robust=True
    )
