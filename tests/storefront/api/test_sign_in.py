"""Failed sign-ins slow down per (account, address): the API token and the admin."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tests.storefront.api.conftest import assert_error

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def account(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return User.objects.create_user("alice", password="the-right-one", is_staff=True)


def sign_in(client, password, address, url=TOKEN):
    """A sign-in: JSON to the API's token endpoint, a form to the admin's."""
    body = {"username": "alice", "password": password}
    if url == TOKEN:
        return client.post(url, body, format="json", REMOTE_ADDR=address)
    return client.post(url, body, REMOTE_ADDR=address)


def test_after_the_limit_that_account_from_that_address_waits(account):
    api = APIClient()
    for _ in range(2):
        assert_error(sign_in(api, "guess", ATTACKER), 400, "invalid")
    for password in ("guess", "guess", "the-right-one"):
        response = sign_in(api, password, ATTACKER)
        assert_error(response, 429, "throttled")
        assert int(response["Retry-After"]) == 15 * 60


def test_nobody_locks_the_owner_out_from_elsewhere(account):
    api = APIClient()
    for _ in range(10):
        sign_in(api, "guess", ATTACKER)
    assert sign_in(api, "the-right-one", OWNER).json()["token"]


def test_the_admin_sign_in_is_counted_the_same_way(account, client):
    admin = "/admin/login/?next=/admin/"
    for _ in range(3):
        sign_in(client, "guess", ATTACKER, admin)
    locked = sign_in(client, "the-right-one", ATTACKER, admin)
    assert locked.status_code == 429 and locked["Retry-After"] == str(15 * 60)
    assert b"Too many failed sign-ins" in locked.content
    assert sign_in(client, "the-right-one", OWNER, admin).status_code == 302


def test_a_success_clears_the_count(account):
    api = APIClient()
    for _ in range(2):
        sign_in(api, "guess", ATTACKER)
    assert sign_in(api, "the-right-one", ATTACKER).status_code == 200
    for _ in range(2):
        assert_error(sign_in(api, "guess", ATTACKER), 400, "invalid")


def test_the_token_endpoint_takes_json_only(account):
    response = APIClient().post(TOKEN, {"username": "alice", "password": "the-right-one"})
    assert_error(response, 415, "unsupported_media_type")
