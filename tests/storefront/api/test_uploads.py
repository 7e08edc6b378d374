"""Hostile uploads: only JPEG, PNG and WebP, stored and served as the format of their bytes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import ProductFactory
from tests.images import image_bytes, other_format_bytes
from tests.storefront.api.conftest import assert_error

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search/image/"


def upload(content, name, content_type):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_png_carrying_a_script_named_html_is_stored_and_served_as_a_png(staff, client):
    product = ProductFactory()
    content = image_bytes(image_format="PNG") + b"<script>alert(document.cookie)</script>"
    response = staff.post(
        f"/api/v1/products/{product.pk}/images/",
        {"photo": upload(content, "page.html", "text/html")},
    )
    assert response.status_code == 201, response.content
    url = response.json()["url"]
    assert url.endswith(".png")
    served = client.get(url.removeprefix("http://testserver"))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", sorted(other_format_bytes()))
def test_other_formats_are_refused_whatever_their_name_and_type(staff, anonymous, name):
    content = other_format_bytes()[name]
    product = ProductFactory()
    photos = product.images.count()
    for client, url, field in (
        (staff, f"/api/v1/products/{product.pk}/images/", "photo"),
        (anonymous, SEARCH, "photo"),
    ):
        sent = {field: upload(content, "shirt.jpg", "image/jpeg")}
        assert_error(client.post(url, sent), 400, "not_an_image")
    assert product.images.count() == photos


def test_a_gif_that_is_also_javascript_is_refused(staff):
    gif_script = b"GIF89a=1;alert(document.domain);//" + image_bytes(image_format="GIF")[10:]
    product = ProductFactory()
    response = staff.post(
        f"/api/v1/products/{product.pk}/images/",
        {"photo": upload(gif_script, "app.js", "text/javascript")},
    )
    assert_error(response, 400, "not_an_image")
