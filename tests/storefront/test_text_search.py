"""The shop grid's text search on the page: notices, a way on from a dead end, and the
products found by look (with the real engine: the demo catalogue, embedded and indexed)."""

import pytest

from catalog.models import Product
from tests.storefront.test_views import HOME, names_on

pytestmark = pytest.mark.django_db


def found_by_look(response):
    return [result.product for result in response.context["by_look"]]


def test_products_without_the_words_are_found_by_look(client, catalogue):
    watches = [product for product in catalogue if product.article_type == "Watches"]
    wordless = watches[:4]
    Product.objects.filter(pk__in=[product.pk for product in wordless]).update(
        name="Item", article_type="", sub_category="", master_category="", base_colour=""
    )

    response = client.get(HOME, {"q": "watch"})

    assert set(names_on(response)) == {product.name for product in watches[4:]}
    by_look = found_by_look(response)
    assert len(set(by_look) & set(wordless)) >= 3
    assert not set(by_look) & set(watches[4:])  # the text's matches are not repeated
    assert "Found by look" in response.content.decode()


def test_a_misspelt_query_says_what_it_searched(client, catalogue):
    response = client.get(HOME, {"q": "wacth"})

    assert names_on(response) and all("Watch" in name for name in names_on(response))
    assert "No product matches “wacth”: showing results for “watch”." in response.content.decode()


def test_a_query_with_no_match_offers_the_closest_spelling_and_products_by_look(client, catalogue):
    response = client.get(HOME, {"q": "watchxyz", "sort": "name"})

    page = response.content.decode()
    assert names_on(response) == []
    # Three edits from "watch" and from "watches": the more frequent word, keeping the sort.
    assert 'Did you mean <a href="?q=watches&amp;sort=name">“watches”</a>?' in page
    # The 7 watches that are not among the 5 matches of "watches" it starts from come first.
    kinds = [product.article_type for product in found_by_look(response)]
    assert kinds[:7] == ["Watches"] * 7 and len(kinds) == 10


def test_a_query_longer_than_the_box_allows_is_a_400_that_says_so(client, catalogue):
    response = client.get(HOME, {"q": "watch " * 50})

    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
    assert names_on(response) == [] and response.context["by_look"] == []


@pytest.mark.parametrize("query", ["!!!", "😀"])
def test_a_query_without_words_and_no_match_is_a_page_not_an_error(client, catalogue, query):
    response = client.get(HOME, {"q": query, "gender": "Nobody"})
    assert response.status_code == 200
    assert "No products match" in response.content.decode()


def test_a_query_too_long_stays_in_the_box(client, catalogue):
    query = "watch " * 50
    response = client.get(HOME, {"q": query})
    assert f'value="{query}"' in response.content.decode()
