"""Writes to the catalogue. Views, the admin, commands and the API call these."""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .images import check_image_upload, thumbnail_jpeg
from .models import Product, ProductImage
from .signals import products_activation_changed


@transaction.atomic
def product_image_add(*, product, file, make_primary=False):
    """Check and store one uploaded photo of a product.

    Raises ValidationError (and stores nothing) when the file is not a usable image or
    the product already has this exact photo. The product's first image becomes primary.
    """
    checked = check_image_upload(file)
    if product.images.filter(sha256=checked.sha256).exists():
        raise ValidationError("This product already has this exact image.", code="duplicate_image")
    has_primary = product.images.filter(is_primary=True).exists()
    if make_primary and has_primary:
        product.images.update(is_primary=False)
    image = ProductImage(
        product=product,
        sha256=checked.sha256,
        width=checked.width,
        height=checked.height,
        is_primary=make_primary or not has_primary,
        position=product.images.count(),
    )
    image.image.save(
        getattr(file, "name", None) or "photo.jpg", ContentFile(checked.content), save=False
    )
    image.save()
    return image


def product_ensure_primary_image(*, product):
    """Make the first image primary when a product has images but none is primary."""
    if not product.images.filter(is_primary=True).exists():
        first = product.images.order_by("position", "id").first()
        if first is not None:
            first.is_primary = True
            first.save(update_fields=["is_primary"])


def product_create(*, name, gender, master_category, sub_category, article_type, **attributes):
    """Create a product after the model's checks (raises ValidationError); it has no image yet."""
    product = Product(
        name=name,
        gender=gender,
        master_category=master_category,
        sub_category=sub_category,
        article_type=article_type,
        **attributes,
    )
    product.full_clean()
    product.save()
    return product


def product_update(*, product, **attributes):
    """Change some attributes after the model's checks. is_active=False takes the product out of the
    recommender's index (its post_save receiver sees the change)."""
    for name, value in attributes.items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    return product


def product_delete(*, product):
    """Delete a product with its images (each deletion also removes the photo from the index)."""
    product.delete()


@transaction.atomic
def product_image_delete(*, image):
    """Delete one image; when it was the primary, the product's first remaining image takes over."""
    image.delete()
    product_ensure_primary_image(product=image.product)


def photo_files_delete(names, *, storage):
    """Delete stored photo files that no image refers to any more (re-imports reuse a file)."""
    rows = ProductImage.objects.filter(Q(image__in=names) | Q(thumbnail__in=names)).values_list(
        "image", "thumbnail"
    )
    still_used = {name for row in rows for name in row}
    for name in set(names) - still_used:
        storage.delete(name)


def products_set_active(*, queryset, is_active):
    """Activate or deactivate products in bulk; returns how many changed."""
    changing = list(queryset.exclude(is_active=is_active).values_list("id", flat=True))
    count = Product.objects.filter(id__in=changing).update(
        is_active=is_active, updated_at=timezone.now()
    )
    products_activation_changed.send(sender=Product, product_ids=changing)
    return count


def image_thumbnail_make(*, image):
    """Store the photo's thumbnail (once: an image that has one is left as it is)."""
    if image.thumbnail:
        return image
    with image.image.open("rb") as photo:
        content = thumbnail_jpeg(photo)
    image.thumbnail.save("thumbnail.jpg", ContentFile(content), save=False)
    ProductImage.objects.filter(pk=image.pk).update(thumbnail=image.thumbnail.name)
    return image
