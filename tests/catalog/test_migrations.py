import hashlib
import importlib
import io

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from catalog.models import ProductImage
from tests.factories import ProductFactory
from tests.images import LOOPING_EPS, image_bytes

pytestmark = pytest.mark.django_db

migration = importlib.import_module("catalog.migrations.0003_photo_files_named_for_their_format")


def stored_photo(product, name, content):
    name = default_storage.save(name, ContentFile(content))
    sha256 = hashlib.sha256(content).hexdigest()
    return ProductImage.objects.create(
        product=product, image=name, width=1, height=1, sha256=sha256, position=0
    )


def test_photos_are_renamed_or_converted_for_their_format_and_nothing_is_lost(
    django_capture_on_commit_callbacks,
):
    product = ProductFactory()
    png = image_bytes(image_format="PNG", colour=(1, 2, 3))
    gif = image_bytes(image_format="GIF", colour=(40, 50, 60))
    jpeg = image_bytes(colour=(7, 8, 9))
    page = stored_photo(product, "products/x/aaaa.html", png)
    animation = stored_photo(product, "products/x/bbbb.gif", gif)
    right = stored_photo(product, "products/x/cccc.jpg", jpeg)
    eps = stored_photo(product, "products/x/dddd.jpg", LOOPING_EPS)

    with django_capture_on_commit_callbacks(execute=True):
        migration.name_photos_for_their_format(apps, None)

    page.refresh_from_db()
    assert page.image.name == "products/x/aaaa.png" and page.image.read() == png
    animation.refresh_from_db()
    converted_bytes = default_storage.open(animation.image.name).read()
    assert animation.image.name.endswith(".png")
    assert animation.sha256 == hashlib.sha256(converted_bytes).hexdigest()
    with Image.open(io.BytesIO(converted_bytes)) as converted:
        assert converted.format == "PNG"
        assert converted.convert("RGB").getpixel((0, 0)) == (40, 50, 60)
    right.refresh_from_db()
    eps.refresh_from_db()
    assert (right.image.name, eps.image.name) == ("products/x/cccc.jpg", "products/x/dddd.jpg")
    assert sorted(default_storage.listdir("products/x")[1]) == sorted(
        ["aaaa.png", animation.image.name.rsplit("/", 1)[1], "cccc.jpg", "dddd.jpg"]
    )
