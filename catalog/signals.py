"""The catalogue's own signal, and the receivers that queue its tasks after a commit."""
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from fashionsite.celery import queue_on_commit

from .models import ProductImage

# Sent by catalog.services.products_set_active with product_ids: a bulk update sends no post_save.
products_activation_changed = Signal()


@receiver(post_save, sender=ProductImage, dispatch_uid="catalog-thumbnail")
def image_saved(sender, instance, **kwargs):
    if settings.CATALOG_AUTO_THUMBNAILS and not instance.thumbnail:
        from .tasks import make_thumbnails

        queue_on_commit(make_thumbnails, [instance.pk])


@receiver(post_delete, sender=ProductImage, dispatch_uid="catalog-image-files")
def image_deleted(sender, instance, using, **kwargs):
    """Its photo and thumbnail files go too, once the deletion is committed (a rolled-back
    deletion keeps them); admin, API and a product's deletion all come through here."""
    from .services import photo_files_delete

    names = [file.name for file in (instance.image, instance.thumbnail) if file]
    # robust: a storage error is logged, not raised after the deletion has been committed.
    transaction.on_commit(lambda: photo_files_delete(names, storage=instance.image.storage), using=using,
                          robust=True)
