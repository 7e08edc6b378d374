import pytest
from django.urls import reverse

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_home_lists_25_active_products_per_page(client):
    ProductFactory.create_batch(27)
    ProductFactory(name="Hidden inactive product", is_active=False)
    first = client.get(reverse("catalog:home"))
    assert len(first.context["page"].object_list) == 25
    assert "27 products" in first.content.decode()
    second = client.get(reverse("catalog:home"), {"page": 2})
    assert len(second.context["page"].object_list) == 2
    assert "Hidden inactive product" not in first.content.decode() + second.content.decode()


def test_home_shows_each_product_photo_with_alt_text(client):
    product = ProductFactory(name="Puma Men Black Sneakers")
    page = client.get(reverse("catalog:home")).content.decode()
    assert f'src="{product.primary_image.thumbnail_url}" alt="Puma Men Black Sneakers"' in page


def test_home_says_how_to_import_when_the_catalogue_is_empty(client):
    assert "import_catalog" in client.get(reverse("catalog:home")).content.decode()


def test_product_photos_are_served(client):
    product = ProductFactory()
    response = client.get(product.primary_image.image.url)
    assert response.status_code == 200
