"""Receivers that keep vectors and the index current when the catalogue changes, after the commit.

Bulk queryset updates send no signals: catalog.services.products_set_active sends
`products_activation_changed` for those, and anything missed is healed by the periodic
catch-up task.
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from catalog.models import Product, ProductImage
from catalog.selectors import image_ids_of_products, stored_activation
from catalog.signals import products_activation_changed
from fashionsite.celery import queue_on_commit

from . import tasks


def enabled():
    return settings.RECOMMENDER_AUTO_UPDATE


@receiver(post_save, sender=ProductImage, dispatch_uid="recommender-image-saved")
def image_saved(sender, instance, **kwargs):
    if enabled():
        queue_on_commit(tasks.embed_images, [instance.pk])


@receiver(post_delete, sender=ProductImage, dispatch_uid="recommender-image-deleted")
def image_deleted(sender, instance, **kwargs):
    if enabled():
        queue_on_commit(tasks.refresh_index, [instance.pk])


@receiver(pre_save, sender=Product, dispatch_uid="recommender-product-saving")
def remember_activation(sender, instance, **kwargs):
    instance._was_active = stored_activation(instance.pk) if instance.pk and enabled() else None


@receiver(post_save, sender=Product, dispatch_uid="recommender-product-saved")
def product_saved(sender, instance, created, **kwargs):
    if not created and instance._was_active != instance.is_active:
        activation_changed(sender, product_ids=[instance.pk])


@receiver(products_activation_changed, dispatch_uid="recommender-activation-changed")
def activation_changed(sender, product_ids, **kwargs):
    if enabled():
        image_ids = image_ids_of_products(product_ids)
        if image_ids:
            queue_on_commit(tasks.refresh_index, image_ids)
