"""The grid's pages and order: numbered pages, a page that does not exist is a 404, a sort
control, and URLs without empty parameters."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
HOME = reverse("storefront:home")


def names_on(response):
    return [product.name for product in response.context["page"].object_list]


@pytest.fixture
def five_pages(settings):
    settings.CATALOG_PAGE_SIZE = 2
    return ProductFactory.create_batch(10)


@pytest.mark.parametrize("page", ["9999", "6", "0", "-1", "two", "1.5"])
def test_a_page_that_does_not_exist_is_a_404(client, five_pages, page):
    assert client.get(HOME, {"page": page}).status_code == 404


def test_pages_are_numbered_with_first_and_last(client, five_pages):
    page = client.get(HOME, {"page": 3}).content.decode()
    for number in (1, 2, 4, 5):
        assert f'href="?page={number}"' in page
    assert '<span aria-current="page">3</span>' in page
    assert 'rel="first">First</a>' in page and 'rel="last">Last</a>' in page


def test_pages_far_away_are_elided(client, settings):
    settings.CATALOG_PAGE_SIZE = 1
    ProductFactory.create_batch(20)
    page = client.get(HOME, {"page": 10}).content.decode()
    assert page.count('<span class="gap">…</span>') == 2
    assert 'href="?page=20"' in page and 'href="?page=15"' not in page


def test_the_grid_sorts_by_name_newest_and_price(client):
    cheap = ProductFactory(name="B shirt", price=Decimal("10"))
    dear = ProductFactory(name="C shirt", price=Decimal("90"))
    unpriced = ProductFactory(name="A shirt", price=None)
    assert names_on(client.get(HOME, {"sort": "name"})) == ["A shirt", "B shirt", "C shirt"]
    assert names_on(client.get(HOME, {"sort": "newest"})) == ["A shirt", "C shirt", "B shirt"]
    assert names_on(client.get(HOME, {"sort": "price"})) == [cheap.name, dear.name, unpriced.name]
    assert names_on(client.get(HOME, {"sort": "-price"})) == [dear.name, cheap.name, unpriced.name]


def test_an_unknown_sort_is_the_best_match(client):
    ProductFactory.create_batch(2)
    assert client.get(HOME, {"sort": "drop table"}).status_code == 200


def test_price_orders_are_offered_only_where_prices_exist(client):
    ProductFactory(price=None)
    assert "Price: low to high" not in client.get(HOME).content.decode()
    ProductFactory(price=Decimal("5"))
    assert "Price: low to high" in client.get(HOME).content.decode()


def test_empty_parameters_are_dropped_from_the_url(client):
    response = client.get(HOME, {"q": "shirt", "gender": "", "sort": "", "page": ""})
    assert response.status_code == 302
    assert response["Location"] == f"{HOME}?q=shirt"
    assert client.get(HOME, {"gender": ""})["Location"] == HOME


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)
    assert 'rel="icon"' in client.get(HOME).content.decode()


def test_a_product_without_a_photo_shows_a_placeholder_in_the_grid_and_on_its_page(client):
    product = ProductFactory(image=None, name="Photo to come")
    assert names_on(client.get(HOME)) == ["Photo to come"]
    for url in (HOME, reverse("storefront:product", args=[product.pk])):
        assert 'aria-label="No photo yet"' in client.get(url).content.decode()
