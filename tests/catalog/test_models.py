from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from catalog.images import check_image_upload
from catalog.models import ProductImage
from catalog.services import (
    NewPhoto,
    files_deleted_on_failure,
    image_thumbnail_make,
    product_delete,
    product_image_add,
    product_image_delete,
    product_images_add,
)
from tests.factories import ProductFactory, ProductImageFactory
from tests.images import image_bytes

pytestmark = pytest.mark.django_db


def upload(content, name="photo.jpg"):
    return SimpleUploadedFile(name, content)


def test_first_image_becomes_primary_and_records_size_and_hash():
    product = ProductFactory(image=None)
    image = product_image_add(product=product, file=upload(image_bytes(size=(80, 60))))
    assert image.is_primary
    assert (image.width, image.height) == (80, 60)
    assert len(image.sha256) == 64
    assert product.primary_image == image


def test_a_second_image_is_not_primary_unless_asked():
    product = ProductFactory()
    second = ProductImageFactory(product=product)
    assert not second.is_primary
    third = ProductImageFactory(product=product, make_primary=True)
    assert list(product.images.filter(is_primary=True)) == [third]


def test_same_photo_twice_on_one_product_is_refused_and_nothing_is_stored(media_root):
    product = ProductFactory(image=None)
    content = image_bytes()
    product_image_add(product=product, file=upload(content))
    files_before = sorted(media_root.rglob("*"))
    with pytest.raises(ValidationError, match="already has this exact image"):
        product_image_add(product=product, file=upload(content, "again.jpg"))
    assert product.images.count() == 1
    assert sorted(media_root.rglob("*")) == files_before


def checked(content):
    return check_image_upload(upload(content))


def test_photos_of_several_products_are_added_at_once_with_one_primary_each():
    first, second = ProductFactory.create_batch(2, image=None)
    photos = [checked(image_bytes(colour=(n * 60, 10, 10))) for n in range(3)]
    images = product_images_add(
        photos=[NewPhoto(first, photos[0]), NewPhoto(first, photos[1]), NewPhoto(second, photos[2])]
    )
    assert [image.product for image in images] == [first, first, second]
    assert [image.is_primary for image in images] == [True, False, True]
    assert [image.position for image in images] == [0, 1, 0]


def test_a_photo_given_twice_for_one_product_is_refused_and_nothing_is_stored(media_root):
    product = ProductFactory(image=None)
    photo = checked(image_bytes())
    with pytest.raises(ValidationError) as refused:
        product_images_add(photos=[NewPhoto(product, photo), NewPhoto(product, photo)])
    assert refused.value.code == "duplicate_image"
    assert not product.images.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]


def test_the_files_of_a_failed_add_are_removed(media_root, monkeypatch):
    product = ProductFactory(image=None)

    def fail(*args, **kwargs):
        raise IntegrityError("the database refused the rows")

    monkeypatch.setattr(ProductImage.objects, "bulk_create", fail)
    with pytest.raises(IntegrityError):
        product_images_add(photos=[NewPhoto(product, checked(image_bytes()))])
    assert not product.images.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]


def test_the_files_of_an_add_are_removed_when_the_transaction_around_it_fails(media_root):
    product = ProductFactory(image=None)
    with pytest.raises(RuntimeError), files_deleted_on_failure(), transaction.atomic():
        product_images_add(photos=[NewPhoto(product, checked(image_bytes()))])
        raise RuntimeError("the commit failed")
    assert not product.images.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]


def test_same_photo_on_two_products_is_allowed():
    content = image_bytes()
    for product in ProductFactory.create_batch(2, image=None):
        product_image_add(product=product, file=upload(content))
    assert ProductImage.objects.count() == 2


def test_database_refuses_duplicate_hash_per_product():
    image = ProductImageFactory()
    with pytest.raises(IntegrityError):
        ProductImage.objects.create(
            product=image.product, image=image.image.name, width=1, height=1, sha256=image.sha256
        )


def test_database_refuses_two_primary_images():
    image = ProductImageFactory()
    with pytest.raises(IntegrityError):
        ProductImage.objects.create(
            product=image.product,
            image=image.image.name,
            width=1,
            height=1,
            sha256="0" * 64,
            is_primary=True,
        )


def test_database_refuses_negative_price():
    with pytest.raises(IntegrityError):
        ProductFactory(price=Decimal("-1.00"), image=None)


def test_filtered_fields_are_indexed():
    from catalog.models import Product

    indexed = {tuple(index.fields) for index in Product._meta.indexes}
    for field in ["gender", "master_category", "article_type", "base_colour"]:
        assert ("is_active", field) in indexed
    assert ("price",) in indexed


def stored(image):
    return [image.image.storage.exists(file.name) for file in (image.image, image.thumbnail)]


@pytest.mark.django_db(transaction=True)
def test_deleting_an_image_deletes_its_files_once_committed(media_root):
    product = ProductFactory()
    image = image_thumbnail_make(image=product.images.get())
    assert stored(image) == [True, True]
    product_image_delete(image=image)
    assert stored(image) == [False, False]


@pytest.mark.django_db(transaction=True)
def test_deleting_a_product_deletes_its_photo_files(media_root):
    product = ProductFactory()
    image = product.images.get()
    product_delete(product=product)
    assert stored(image)[0] is False


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_deletion_keeps_the_files(media_root):
    image = ProductFactory().images.get()
    pk = image.pk
    with pytest.raises(RuntimeError), transaction.atomic():
        product_image_delete(image=image)
        raise RuntimeError("the admin's request failed after the delete")
    assert ProductImage.objects.filter(pk=pk).exists() and stored(image)[0] is True


@pytest.mark.django_db(transaction=True)
def test_a_file_another_image_still_uses_is_kept(media_root):
    image = ProductFactory().images.get()
    twin = ProductImage.objects.create(
        product=image.product,
        image=image.image.name,
        width=image.width,
        height=image.height,
        sha256="0" * 64,
        position=1,
    )
    product_image_delete(image=image)
    assert stored(twin)[0] is True
