"""Errors outside the views' own answers: JSON under /api/, pages elsewhere; 413 from the
Content-Length before the body is read; 503 with Retry-After when the database is down."""

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.db import OperationalError
from rest_framework.test import APIClient

from storefront import views
from storefront.api import views as api_views
from tests.storefront.api.conftest import assert_error

pytestmark = pytest.mark.django_db

A_GIGABYTE = str(2**30)


@pytest.fixture
def api():
    client = APIClient()
    client.raise_request_exception = False
    return client


@pytest.fixture
def browser(client):
    client.raise_request_exception = False
    return client


class NeverRead:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_a_body_over_the_limit_is_refused_from_its_length_alone(api, browser):
    for client, url in ((api, "/api/v1/search/image/"), (browser, "/search/photo/")):
        response = client.generic(
            "POST",
            url,
            "",
            "multipart/form-data; boundary=x",
            CONTENT_LENGTH=A_GIGABYTE,
            **{"wsgi.input": NeverRead()},
        )
        assert response.status_code == 413
    assert_error(
        api.generic("POST", "/api/v1/search/image/", "", CONTENT_LENGTH=A_GIGABYTE),
        413,
        "file_too_large",
    )
    page = browser.generic("POST", "/search/photo/", "", CONTENT_LENGTH=A_GIGABYTE)
    assert page["Content-Type"].startswith("text/html") and b"1.0 GB" in page.content


@pytest.mark.parametrize("path", ["/api/v1/products%0A/", "/api/v1/%0A", "/api/", "/api/v2/x/"])
def test_an_unknown_api_address_is_a_json_404(api, path):
    assert_error(api.get(path), 404, "not_found")


def test_a_wrong_method_is_a_json_405(api):
    assert_error(api.put("/api/v1/search/image/"), 405, "method_not_allowed")


def test_a_failure_is_a_json_500_under_the_api_and_a_page_elsewhere(api, browser, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api_views, "product_list", fail)
    assert_error(api.get("/api/v1/products/"), 500, "server_error")
    monkeypatch.setattr(views, "product_search", fail)
    page = browser.get("/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


def test_a_suspicious_request_is_a_json_400_under_the_api(api, monkeypatch):
    def suspicious(**kwargs):
        raise SuspiciousFileOperation("a file name with path elements")

    monkeypatch.setattr(api_views, "product_list", suspicious)
    assert_error(api.get("/api/v1/products/"), 400, "bad_request")


def test_a_lost_database_is_a_503_with_retry_after(api, browser, monkeypatch):
    def lost(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(api_views, "product_list", lost)
    response = api.get("/api/v1/products/")
    assert_error(response, 503, "service_unavailable")
    assert response["Retry-After"] == "30"
    monkeypatch.setattr(views, "product_search", lost)
    page = browser.get("/")
    assert page.status_code == 503 and page["Retry-After"] == "30"
    assert page["Content-Type"].startswith("text/html") and b"Back soon" in page.content


@pytest.mark.parametrize(
    "method, path, params",
    [
        ("get", "/api/v1/products/99999/", {}),
        ("get", "/api/v1/products/", {"page_size": "0"}),
        ("get", "/api/v1/search/image/", {}),
        ("get", "/api/v1/products/", {"format": "api", "page_size": "x"}),
    ],
)
def test_errors_are_json_even_when_a_browser_asks_for_html(api, method, path, params):
    response = getattr(api, method)(path, params, HTTP_ACCEPT="text/html")
    assert response.status_code >= 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"]
