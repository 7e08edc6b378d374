"""The trail lives in a signed cookie: anonymous pages write no session row."""

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from fashionsite.celery import sessions_clear_expired
from storefront.trail import COOKIE, Trail
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_anonymous_pages_create_no_session(client):
    products = [ProductFactory() for _ in range(3)]
    for product in products:
        assert client.get(f"/products/{product.pk}/").status_code == 200
    for url in ("/", "/?q=shirt", "/search/photo/", "/api/v1/products/"):
        assert client.get(url).status_code == 200
    assert Session.objects.count() == 0
    assert COOKIE in client.cookies


def test_a_tampered_trail_cookie_is_ignored(client):
    seen, planted = ProductFactory(), ProductFactory()
    client.get(f"/products/{seen.pk}/")
    value = client.cookies[COOKIE].value
    assert value.startswith(f"{seen.pk}:")
    client.cookies[COOKIE] = value.replace(str(seen.pk), str(planted.pk), 1)
    response = client.get(f"/products/{seen.pk}/")
    assert [step.pk for step in response.context["trail"]] == [seen.pk]


def test_a_product_reached_again_moves_to_the_end_of_the_trail():
    trail = Trail()
    for product_id in (1, 2, 3, 2):
        trail.visit(product_id)
    assert (trail.steps, trail.viewed) == ([1, 3, 2], [1, 3, 2])


def test_going_back_on_the_trail_cuts_it_there():
    trail = Trail()
    for product_id in (1, 2, 3):
        trail.visit(product_id)
    trail.visit(2, back=True)
    assert trail.steps == [1, 2]


def test_a_click_in_more_like_this_appends_and_a_click_on_the_trail_goes_back(client):
    first, second, third = ProductFactory.create_batch(3)
    for product in (first, second, third, second):  # the last: "More like this" on the third
        response = client.get(f"/products/{product.pk}/")
    assert [step.pk for step in response.context["trail"]] == [first.pk, third.pk, second.pk]
    assert f'href="/products/{first.pk}/?back=1"' in response.content.decode()
    response = client.get(f"/products/{first.pk}/", {"back": "1"})
    assert [step.pk for step in response.context["trail"]] == [first.pk]


def test_beat_clears_expired_sessions():
    now = timezone.now()
    Session.objects.create(
        session_key="old", session_data="", expire_date=now - timezone.timedelta(days=1)
    )
    Session.objects.create(
        session_key="new", session_data="", expire_date=now + timezone.timedelta(days=1)
    )
    assert sessions_clear_expired() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]
