"""Writes to the catalogue. Views, the admin, commands and the API call these."""

from collections import Counter, defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from more_itertools import chunked
from tqdm import tqdm

from .images import CheckedImage, check_image_upload, thumbnail_jpeg
from .importer import (
    AUTO,
    FACET_COLUMNS,
    PRODUCT_FIELDS,
    TEXT_COLUMNS,
    BadRow,
    ImportReport,
    read_catalogue,
    read_photo,
)
from .models import Product, ProductImage, product_image_path
from .signals import photos_added, products_activation_changed


@dataclass(frozen=True)
class NewPhoto:
    """A photo to add to a product: its checked bytes (catalog.images.CheckedImage), whether it
    becomes the product's primary photo, and its position (None: after the product's photos)."""

    product: Product
    checked: CheckedImage
    make_primary: bool = False
    position: int | None = None


def product_image_add(*, product, file, make_primary=False):
    """Check and store one uploaded photo of a product (product_images_add with one photo).

    Raises ValidationError, and stores nothing, when the file is not a usable image
    (catalog.images.check_image_upload) or the product already has this exact photo (code
    duplicate_image)."""
    checked = check_image_upload(file)
    return product_images_add(photos=[NewPhoto(product, checked, make_primary)])[0]


# The files stored (store_file) inside the innermost open files_deleted_on_failure block.
_stored_files = ContextVar("stored_files", default=None)


@contextmanager
def files_deleted_on_failure():
    """Delete the photo files stored (store_file) inside this block when the block raises; when
    it ends well, they are handed to the block around it, if any, which deletes them if it
    fails. Put it around the outermost transaction of a write that adds photos (an import batch,
    an admin save) as well, so that files of a transaction rolled back after the photos were
    added, at its commit included, are removed too."""
    stored = []
    token = _stored_files.set(stored)
    try:
        yield
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    finally:
        _stored_files.reset(token)
    if _stored_files.get() is not None:
        _stored_files.get().extend(stored)


def product_images_add(*, photos, bulk=False):
    """Store new photos of products (a list of NewPhoto) and return their ProductImages, in order.
    The one way a photo enters the catalogue: the API, the admin and the importer (bulk=True) all
    come here, and `photos_added` tells the receivers (thumbnails, vectors) once it is committed.

    One transaction, in which the products are locked first (SELECT ... FOR UPDATE; on SQLite
    the transaction takes the write lock when it begins, settings: transaction_mode), so two adds
    to one product at once are serialised and the second sees the first's photos. A photo
    becomes primary when asked, or when its product has no primary photo yet. Files are stored
    under content-addressed names (an identical file already there is reused); the ones written
    are deleted again when the transaction fails, or when a transaction around it does, inside
    files_deleted_on_failure. Raises ValidationError (code duplicate_image),
    storing nothing, when a product already has one of the photos or is given one twice."""
    with files_deleted_on_failure(), transaction.atomic():
        images = store_new_photos(photos)
        photos_added.send(sender=ProductImage, image_ids=[image.pk for image in images], bulk=bulk)
    return images


def lock_products(product_ids):
    """Lock these products' rows until the transaction ends (SELECT ... FOR UPDATE, in id order
    so that two writers never wait on each other; on SQLite the transaction already holds the
    database's write lock). Every write of a product's photos takes it first."""
    list(
        Product.objects.select_for_update()
        .filter(pk__in=sorted(product_ids))
        .order_by("pk")
        .values_list("pk")
    )


def store_new_photos(photos):
    """product_images_add's writes, inside its transaction."""
    product_ids = {photo.product.pk for photo in photos}
    lock_products(product_ids)
    hashes, counts, primaries = defaultdict(set), Counter(), set()
    for product_id, sha256, is_primary in ProductImage.objects.filter(
        product_id__in=product_ids
    ).values_list("product_id", "sha256", "is_primary"):
        hashes[product_id].add(sha256)
        counts[product_id] += 1
        if is_primary:
            primaries.add(product_id)
    new_primary = {}  # product id -> the NewPhoto that becomes its primary photo
    for photo in photos:
        product_id = photo.product.pk
        if photo.checked.sha256 in hashes[product_id]:
            raise ValidationError(
                "This product already has this exact image.", code="duplicate_image"
            )
        hashes[product_id].add(photo.checked.sha256)
        if photo.make_primary or (product_id not in primaries and product_id not in new_primary):
            new_primary[product_id] = photo
    ProductImage.objects.filter(
        product_id__in=primaries & new_primary.keys(), is_primary=True
    ).update(is_primary=False)
    images = []
    for photo in photos:
        product_id = photo.product.pk
        image = ProductImage(
            product=photo.product,
            sha256=photo.checked.sha256,
            width=photo.checked.width,
            height=photo.checked.height,
            is_primary=new_primary.get(product_id) is photo,
            position=counts[product_id] if photo.position is None else photo.position,
        )
        counts[product_id] += 1
        image.image.name = store_file(
            product_image_path(image, f"photo.{photo.checked.extension}"),
            photo.checked.content,
        )
        images.append(image)
    return ProductImage.objects.bulk_create(images)


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
    lock_products([image.product_id])
    image.delete()
    product_ensure_primary_image(product=image.product)


@transaction.atomic
def product_image_save(*, image):
    """Save an edit of a stored image (primary, position). An image saved primary takes over
    from the product's current primary, whatever another writer made primary meanwhile."""
    lock_products([image.product_id])
    if image.is_primary:
        image.product.images.filter(is_primary=True).exclude(pk=image.pk).update(is_primary=False)
    image.save()
    return image


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
    known = facet_values()
    with tqdm(total=len(rows), desc="Importing", unit=" products", disable=not progress) as bar:
        for batch in chunked(rows, batch_size):
            note_new_values(import_batch(batch, report), known, report)
            bar.update(len(batch))
    return report


def facet_values():
    """{CSV column: set of the values the catalogue has} for importer.FACET_COLUMNS; empty sets
    for an empty catalogue."""
    return {
        column: set(Product.objects.values_list(TEXT_COLUMNS[column], flat=True).distinct())
        for column in FACET_COLUMNS
    }


def note_new_values(rows, known, report):
    """Report, at its first row, each facet value the catalogue did not have before the import
    (`known`, updated here); nothing for an import into an empty catalogue."""
    if not any(known.values()):
        return
    for row in rows:
        for column in FACET_COLUMNS:
            value = row.fields[TEXT_COLUMNS[column]]
            if value and value not in known[column]:
                known[column].add(value)
                report.new_values.append((row.line, f"{column} {value!r} is new to the catalogue"))


def import_batch(batch, report):
    """Read and check the photos of a batch of Rows, then write the rows with a usable photo in
    one transaction (write_batch), whose stored files are deleted if it fails; rows whose photo
    is missing or unusable go to the report. Returns the rows written."""
    photos = {}
    good_rows = []
    for row in batch:
        try:
            photos[row.external_id] = read_photo(row)
            good_rows.append(row)
        except BadRow as error:
            report.skipped.append((row.line, str(error)))
    with files_deleted_on_failure(), transaction.atomic():
        write_batch(good_rows, photos, report)
    return good_rows


def write_batch(rows, photos, report):
    """Create or update the products of `rows` with bulk queries and add their new photos
    (product_images_add, bulk); call inside a transaction. `photos`: {external id:
    CheckedImage}. The counts of created, updated and unchanged products go to the report. A
    changed photo becomes the primary image and the earlier one is kept."""
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

    new_photos, replaced_photo_ids = [], set()
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
        new_photos.append(NewPhoto(product, photo, make_primary=True))
    product_images_add(photos=new_photos, bulk=True)

    changed_ids = {product.pk for product in changed_products} | replaced_photo_ids
    report.created += len(new_products)
    report.updated += len(changed_ids)
    report.unchanged += len(rows) - len(new_products) - len(changed_ids)


def store_file(name, content):
    """Save a file under its content-addressed name, reusing an identical file already there;
    a file written is deleted when the files_deleted_on_failure block around it fails."""
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(content))
        _stored_files.get().append(name)
    return name
