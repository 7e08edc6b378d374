"""The catalogue's own signal, and the receivers that queue its tasks after a commit."""
from django.conf import settings
from django.db.models.signals import post_save
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
