"""One limit on anonymous searches by photo: the page and the API, per client address."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.images import image_bytes

pytestmark = pytest.mark.django_db

API = "/api/v1/search/image/"
PAGE = "/search/photo/"


@pytest.fixture(autouse=True)
def two_a_minute(settings):
    settings.REST_FRAMEWORK = dict(
        settings.REST_FRAMEWORK, DEFAULT_THROTTLE_RATES={"image_search": "2/minute"}
    )
    cache.clear()  # the counts of earlier tests


def search(client, url, **headers):
    photo = SimpleUploadedFile("p.jpg", image_bytes())
    return client.post(url, {"photo": photo}, **headers)


def test_the_page_and_the_api_share_one_count(client):
    api = APIClient()
    assert search(api, API).status_code == 200
    assert search(client, PAGE).status_code == 303
    refused = search(client, PAGE)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert b"Too many searches by photo" in refused.content
    assert search(api, API).status_code == 429


@pytest.mark.parametrize("proxies", [0, 1])
def test_a_new_forwarded_header_each_time_does_not_escape_the_limit(client, settings, proxies):
    settings.TRUSTED_PROXIES = proxies
    statuses = [
        search(
            client, PAGE, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 203.0.113.7"
        ).status_code
        for n in range(5)
    ]
    assert statuses == [303, 303, 429, 429, 429]


def test_behind_a_proxy_each_client_has_its_own_count(client, settings):
    settings.TRUSTED_PROXIES = 1
    for address in ("203.0.113.7", "203.0.113.8"):
        for _ in range(2):
            response = search(client, PAGE, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=address)
            assert response.status_code == 303


def test_when_the_cache_is_down_searches_go_on_and_it_is_logged(client, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    for url, ok in ((API, 200), (PAGE, 303)):
        for _ in range(3):
            assert search(APIClient() if url == API else client, url).status_code == ok
    assert "Photo-search limit not applied" in caplog.text


def test_a_results_page_counts_as_a_search_under_the_same_limit(client):
    results = search(client, PAGE)["Location"]
    assert client.get(results).status_code == 200
    refused = client.get(results, {"gender": "Men"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert b"Too many searches by photo" in refused.content
    assert search(APIClient(), API).status_code == 429
