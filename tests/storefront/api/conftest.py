import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.recommender.conftest import catalogue, recommender_settings  # noqa: F401  (a real embedded catalogue)


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()  # the throttles count requests in the cache
    yield
    cache.clear()


def client_with_token(username, *, is_staff):
    user = User.objects.create_user(username=username, password="pw-for-tests", is_staff=is_staff)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def anonymous(db):
    return APIClient()


@pytest.fixture
def staff(db):
    return client_with_token("staff", is_staff=True)


@pytest.fixture
def customer(db):
    return client_with_token("customer", is_staff=False)


def assert_error(response, status, code, fields=None):
    """The common error format: {"error": {"code", "message", "fields"?}}."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if fields is not None:
        assert sorted(error["fields"]) == sorted(fields)
    return error
