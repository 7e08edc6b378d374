"""Headers every response carries (fashionsite's settings), whatever app answers."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests.images import image_bytes

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response):
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize(
    "url",
    ["/", "/search/photo/", "/admin/login/", "/api/v1/products/", "/api/v1/docs/", "/nowhere/"],
)
def test_every_response_has_the_content_security_policy_and_nosniff(client, url):
    response = client.get(url)
    assert policy(response) == POLICY
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_served_photo_has_them_too(client):
    name = default_storage.save("products/x/a.jpg", ContentFile(image_bytes()))
    response = client.get(f"/media/{name}")
    assert policy(response) == POLICY and response["X-Content-Type-Options"] == "nosniff"


def test_swagger_ui_has_no_inline_script_or_style(client):
    page = client.get("/api/v1/docs/").content.decode()
    assert "<script>" not in page and "<style>" not in page
    script = client.get("/api/v1/docs/", {"script": ""})
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_static_files_and_early_refusals_have_them_too(client):
    static = client.get("/static/css/shop.css")
    refused = client.generic("POST", "/search/photo/", "", CONTENT_LENGTH=str(2**30))
    for response in (static, refused):
        assert policy(response) == POLICY
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
