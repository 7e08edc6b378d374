"""Receivers that keep vectors and the index current when the catalogue changes, after the commit,
and that load the search model when a web process starts serving.

Bulk queryset updates send no signals: catalog.services.products_set_active sends
`products_activation_changed` for those, and anything missed is healed by the periodic
catch-up task.
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from more_itertools import chunked

from catalog.models import Product, ProductImage
from catalog.selectors import image_ids_of_products, stored_activation
from catalog.signals import photos_added, products_activation_changed
from fashionsite.celery import queue_on_commit, tasks_run_in_process
from fashionsite.signals import server_starting

from . import tasks, warmup
from .signals import index_damaged


def enabled():
    """Whether catalogue changes are embedded and indexed at once (RECOMMENDER_AUTO_UPDATE)."""
    return settings.RECOMMENDER_AUTO_UPDATE


EMBED_TASK_PHOTOS = 64  # photos an embedding task takes: several workers share an import


@receiver(photos_added, dispatch_uid="recommender-photos-added")
def photos_stored(sender, image_ids, bulk, **kwargs):
    """Queue the embedding of new photos (once they are committed), EMBED_TASK_PHOTOS a task. An
    import whose tasks would run in-process (no workers) is left to embed_catalog, its next step
    (README)."""
    if not enabled() or (bulk and tasks_run_in_process()):
        return
    for photo_ids in chunked(image_ids, EMBED_TASK_PHOTOS):
        queue_on_commit(tasks.embed_images, photo_ids)


# Any sender: a proxy of ProductImage (models.PhotoEmbedding) sends its own class.
@receiver(post_delete, dispatch_uid="recommender-image-deleted")
def image_deleted(sender, instance, **kwargs):
    """Queue the removal of a deleted photo from the index (once the deletion is committed)."""
    if isinstance(instance, ProductImage) and enabled():
        queue_on_commit(tasks.refresh_index, [instance.pk])


@receiver(pre_save, sender=Product, dispatch_uid="recommender-product-saving")
def remember_activation(sender, instance, **kwargs):
    """Note whether the product being saved was active, for product_saved."""
    instance._was_active = stored_activation(instance.pk) if instance.pk and enabled() else None


@receiver(post_save, sender=Product, dispatch_uid="recommender-product-saved")
def product_saved(sender, instance, created, **kwargs):
    """A product saved active after inactive, or the reverse: its photos' index entries change."""
    if not created and instance._was_active != instance.is_active:
        activation_changed(sender, product_ids=[instance.pk])


@receiver(products_activation_changed, dispatch_uid="recommender-activation-changed")
def activation_changed(sender, product_ids, **kwargs):
    """Queue the index update of the photos of products (de)activated, once committed."""
    if enabled():
        image_ids = image_ids_of_products(product_ids)
        if image_ids:
            queue_on_commit(tasks.refresh_index, image_ids)


@receiver(server_starting, dispatch_uid="recommender-server-starting")
def server_started(sender, **kwargs):
    """Load the search model and the index before the first search by photo needs them
    (RECOMMENDER_PRELOAD)."""
    if settings.RECOMMENDER_PRELOAD:
        warmup.warm_up()


@receiver(index_damaged, dispatch_uid="recommender-index-damaged")
def rebuild_damaged_index(sender, fingerprint, version, **kwargs):
    """Queue the rebuild of an index whose newest file is damaged (snapshots.LoadedIndex); with
    tasks run in-process, it is rebuilt here and now."""
    queue_on_commit(tasks.rebuild_index, fingerprint)
