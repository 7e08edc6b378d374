from decimal import Decimal

import pytest

from catalog.selectors import CatalogueFilters, facet_counts, product_list, product_search
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    return {
        "shirt": ProductFactory(
            name="Turtle Check Men Navy Blue Shirt",
            article_type="Shirts",
            base_colour="Navy Blue",
            price=Decimal("29.00"),
        ),
        "dress": ProductFactory(
            name="Vero Moda Women Red Dress",
            gender="Women",
            article_type="Dresses",
            base_colour="Red",
            price=Decimal("59.00"),
        ),
        "shoes": ProductFactory(
            name="Puma Men Black Sneakers",
            master_category="Footwear",
            sub_category="Shoes",
            article_type="Casual Shoes",
            base_colour="Black",
        ),
        "hidden": ProductFactory(
            name="Hidden Men Navy Shirt", article_type="Shirts", is_active=False
        ),
    }


def names(queryset):
    return {product.name for product in queryset}


def test_an_empty_query_lists_the_active_catalogue(products):
    assert (
        names(product_search().products)
        == names(product_list())
        == {products["shirt"].name, products["dress"].name, products["shoes"].name}
    )


def test_a_query_matches_names_and_attributes(products):
    assert names(product_search(query="shirt").products) == {products["shirt"].name}
    assert names(product_search(query="navy").products) == {products["shirt"].name}
    assert names(product_search(query="women red").products) == {products["dress"].name}
    assert names(product_search(query="footwear").products) == {products["shoes"].name}


def test_a_query_with_no_match_finds_nothing(products):
    assert not product_search(query="umbrella").products.exists()


def test_filters_narrow_the_search(products):
    assert names(product_search(filters=CatalogueFilters(gender="Women")).products) == {
        products["dress"].name
    }
    assert names(product_search(filters=CatalogueFilters(price_min=Decimal("30"))).products) == {
        products["dress"].name
    }
    assert names(product_search(filters=CatalogueFilters(price_max=Decimal("30"))).products) == {
        products["shirt"].name
    }
    assert not product_search(
        query="shirt", filters=CatalogueFilters(gender="Women")
    ).products.exists()


def test_facets_count_each_value(products):
    facets = facet_counts(product_search().products)
    assert dict(facets["gender"]) == {"Men": 2, "Women": 1}
    assert dict(facets["article_type"]) == {"Shirts": 1, "Dresses": 1, "Casual Shoes": 1}
