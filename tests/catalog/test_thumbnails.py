import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import ProductImage
from catalog.services import image_thumbnail_make, product_image_add
from catalog.tasks import thumbnails_catch_up
from tests.factories import ProductFactory
from tests.images import image_bytes

pytestmark = pytest.mark.django_db


def thumbnail_size(image):
    with Image.open(image.thumbnail.path) as thumbnail:
        return thumbnail.size


def test_a_thumbnail_fits_320_pixels_and_keeps_the_shape():
    product = ProductFactory(image=None)
    image = product_image_add(
        product=product, file=SimpleUploadedFile("big.jpg", image_bytes(size=(1200, 1600)))
    )
    image_thumbnail_make(image=image)
    image.refresh_from_db()
    assert thumbnail_size(image) == (240, 320)
    assert image.thumbnail_url != image.image.url


def test_a_small_photo_is_not_enlarged():
    image = ProductFactory().primary_image  # 64x48
    image_thumbnail_make(image=image)
    assert thumbnail_size(image) == (64, 48)


def test_without_a_thumbnail_pages_show_the_photo():
    image = ProductFactory().primary_image
    assert image.thumbnail_url == image.image.url


def test_an_upload_gets_its_thumbnail_from_the_task_after_commit(
    settings, django_capture_on_commit_callbacks
):
    settings.CATALOG_AUTO_THUMBNAILS = True
    with django_capture_on_commit_callbacks(execute=True):
        image = ProductFactory().primary_image
    image.refresh_from_db()
    assert image.thumbnail


def test_the_catch_up_task_makes_missing_thumbnails():
    ProductFactory.create_batch(3)
    assert thumbnails_catch_up() == 3
    assert not ProductImage.objects.filter(thumbnail="").exists()
    assert thumbnails_catch_up() == 0
