"""Photos served by Django in the embedded default (catalog.views.photo_file)."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests.images import image_bytes


@pytest.mark.parametrize("name", ["products/x/page.html", "products/x/app.js", "products/x/a.svg"])
def test_only_photo_files_are_served(client, name):
    default_storage.save(name, ContentFile(b"<script>alert(1)</script>"))
    assert client.get(f"/media/{name}").status_code == 404


@pytest.mark.parametrize(
    "extension, content_type", [("jpg", "image/jpeg"), ("png", "image/png"), ("webp", "image/webp")]
)
def test_a_photo_is_served_as_its_format_and_not_to_be_sniffed(client, extension, content_type):
    name = default_storage.save(f"products/x/a.{extension}", ContentFile(image_bytes()))
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
