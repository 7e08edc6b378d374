"""Writes to the catalogue. Views, the admin, commands and the API call these."""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from more_itertools import chunked
from tqdm import tqdm

from .images import check_image_upload, thumbnail_jpeg
from .importer import AUTO, PRODUCT_FIELDS, BadRow, ImportReport, read_catalogue, read_photo
from .models import Product, ProductImage, product_image_path, thumbnail_path
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
    image.image.save(f"photo.{checked.extension}", ContentFile(checked.content), save=False)
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


def images_thumbnail_make(*, images):
    """Make each photo's thumbnail (image_thumbnail_make); a photo whose file cannot be read is
    left without one (the recommender records it as failed)."""
    for image in images:
        try:
            image_thumbnail_make(image=image)
        except OSError:
            continue


def catalog_import(*, path, limit=None, batch_size=500, progress=True, encoding=AUTO):
    """Import the catalogue folder at `path` (catalog.importer: the Kaggle layout; styles.csv
    decoded as `encoding`, see read_catalogue); returns an ImportReport. Safe to run again.
    Rows are checked, then written in batches of `batch_size`: each batch is one transaction,
    so an interrupted import never leaves a product without its photo. Raises
    ImportFolderError when the path is not such a folder or its styles.csv cannot be read."""
    report = ImportReport()
    rows = read_catalogue(path, report, limit, encoding)
    with tqdm(total=len(rows), desc="Importing", unit=" products", disable=not progress) as bar:
        for batch in chunked(rows, batch_size):
            import_batch(batch, report)
            bar.update(len(batch))
    return report


def import_batch(batch, report):
    """Read and check the photos of a batch of Rows, then write the rows with a usable photo in
    one transaction (write_batch); rows whose photo is missing or unusable go to the report.
    When the transaction fails, the photo files it stored are deleted and the error is raised."""
    photos = {}
    good_rows = []
    for row in batch:
        try:
            photos[row.external_id] = read_photo(row)
            good_rows.append(row)
        except BadRow as error:
            report.skipped.append((row.line, str(error)))
    written_files = []
    try:
        with transaction.atomic():
            write_batch(good_rows, photos, report, written_files)
    except BaseException:
        # The transaction rolled back: remove the photos it had stored, so an
        # interrupted import leaves nothing behind.
        for name in written_files:
            default_storage.delete(name)
        raise


def write_batch(rows, photos, report, written_files):
    """Create or update the products of `rows` and add their new photos, with bulk queries;
    call inside a transaction. `photos`: {external id: CheckedImage}. The names of the files
    stored go to `written_files` (the caller deletes them if the transaction rolls back); the
    counts of created, updated and unchanged products go to the report. A changed photo
    becomes the primary image and the earlier one is kept."""
    existing = {
        product.external_id: product
        for product in Product.objects.filter(
            external_id__in=[row.external_id for row in rows]
        ).prefetch_related("images")
    }
    new_products, changed_products = [], []
    now = timezone.now()
    for row in rows:
        product = existing.get(row.external_id)
        if product is None:
            new_products.append(Product(external_id=row.external_id, **row.fields))
        elif any(getattr(product, name) != row.fields[name] for name in PRODUCT_FIELDS):
            for name in PRODUCT_FIELDS:
                setattr(product, name, row.fields[name])
            product.updated_at = now
            changed_products.append(product)
    Product.objects.bulk_create(new_products)
    Product.objects.bulk_update(changed_products, PRODUCT_FIELDS + ["updated_at"])
    products = {product.external_id: product for product in [*existing.values(), *new_products]}

    new_images, replaced_photo_ids = [], set()
    for row in rows:
        product, photo = products[row.external_id], photos[row.external_id]
        known_hashes = (
            {image.sha256 for image in product.images.all()}
            if row.external_id in existing
            else set()
        )
        if photo.sha256 in known_hashes:
            continue
        if known_hashes:
            replaced_photo_ids.add(product.pk)
        image = ProductImage(
            product=product,
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
            is_primary=True,
            position=len(known_hashes),
        )
        image.image.name = store_file(
            product_image_path(image, f"photo.{photo.extension}"), photo.content, written_files
        )
        image.thumbnail.name = store_file(
            thumbnail_path(image, ""), thumbnail_jpeg(photo.content), written_files
        )
        new_images.append(image)
    # A changed photo becomes the primary image; the earlier one is kept as a second image.
    ProductImage.objects.filter(product_id__in=replaced_photo_ids, is_primary=True).update(
        is_primary=False
    )
    ProductImage.objects.bulk_create(new_images)

    changed_ids = {product.pk for product in changed_products} | replaced_photo_ids
    report.created += len(new_products)
    report.updated += len(changed_ids)
    report.unchanged += len(rows) - len(new_products) - len(changed_ids)


def store_file(name, content, written_files):
    """Save a file under its content-addressed name, reusing an identical file already there."""
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(content))
        written_files.append(name)
    return name
