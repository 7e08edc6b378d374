from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.factories import ProductFactory, ProductImageFactory

pytestmark = pytest.mark.django_db

HOME = reverse("storefront:home")
PHOTO_SEARCH = reverse("storefront:photo_search")


def product_url(product, query=""):
    return reverse("storefront:product", args=[product.pk]) + query


def names_on(response, section="page"):
    """Names of the products a page's grid (or "more like this" results) shows."""
    if section == "page":
        return [product.name for product in response.context["page"].object_list]
    return [result.product.name for result in response.context[section]]


class Controls(HTMLParser):
    """Collects images, form controls and label targets of a page."""

    def __init__(self):
        super().__init__()
        self.images, self.controls, self.labelled = [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        elif tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])
        elif tag in ("input", "select") and attrs.get("type") not in ("hidden", "submit"):
            self.controls.append(attrs)


def controls_of(response):
    parser = Controls()
    parser.feed(response.content.decode())
    return parser


# The search grid


def test_home_lists_25_active_products_per_page(client):
    ProductFactory.create_batch(27)
    ProductFactory(name="Hidden inactive product", is_active=False)
    first = client.get(HOME)
    assert len(first.context["page"].object_list) == 25
    assert "27 products" in first.content.decode()
    second = client.get(HOME, {"page": 2})
    assert len(second.context["page"].object_list) == 2
    assert "Hidden inactive product" not in first.content.decode() + second.content.decode()


def test_home_shows_each_product_thumbnail_with_alt_text(client):
    product = ProductFactory(name="Puma Men Black Sneakers")
    page = client.get(HOME).content.decode()
    assert f'src="{product.primary_image.thumbnail_url}" alt="Puma Men Black Sneakers"' in page


def test_each_card_links_to_its_product_page(client):
    product = ProductFactory()
    assert f'href="{product_url(product)}"' in client.get(HOME).content.decode()


def test_home_says_how_to_import_when_the_catalogue_is_empty(client):
    assert "import_catalog" in client.get(HOME).content.decode()


def test_search_matches_the_words_of_the_catalogue_text(client):
    ProductFactory(
        name="Nike Women Red Dress", gender="Women", article_type="Dresses", base_colour="Red"
    )
    ProductFactory(name="Puma Men Blue Shirt")
    assert names_on(client.get(HOME, {"q": "red dress"})) == ["Nike Women Red Dress"]
    assert names_on(client.get(HOME, {"q": "shirts"})) == ["Puma Men Blue Shirt"]  # articleType


def test_facet_filters_narrow_the_grid_and_show_counts(client):
    ProductFactory(
        name="Women Red Dress", gender="Women", article_type="Dresses", base_colour="Red"
    )
    ProductFactory.create_batch(2, gender="Men", base_colour="Blue")
    response = client.get(HOME, {"gender": "Women"})
    assert names_on(response) == ["Women Red Dress"]
    assert ">Women (1)</option>" in response.content.decode()
    assert ">Blue (2)</option>" in client.get(HOME).content.decode()


def test_filters_combine_with_the_query(client):
    ProductFactory(name="Men Red Shirt", base_colour="Red")
    ProductFactory(name="Men Blue Shirt", base_colour="Blue")
    assert names_on(client.get(HOME, {"q": "shirt", "base_colour": "Red"})) == ["Men Red Shirt"]


def test_price_filters_appear_and_apply_when_prices_exist(client):
    ProductFactory(name="Cheap shirt", price="10.00")
    ProductFactory(name="Dear shirt", price="90.00")
    response = client.get(HOME, {"price_min": "50"})
    assert names_on(response) == ["Dear shirt"]
    assert 'name="price_max"' in response.content.decode()


def test_price_filters_are_hidden_without_prices(client):
    ProductFactory()
    assert 'name="price_min"' not in client.get(HOME).content.decode()


def test_a_bad_price_is_reported_and_ignored(client):
    ProductFactory(price="10.00")
    response = client.get(HOME, {"price_min": "cheap"})
    assert response.status_code == 200
    assert "Enter a number." in response.content.decode()
    assert len(names_on(response)) == 1


def test_no_match_says_so_and_suggests_removing_filters(client):
    ProductFactory(gender="Men")
    page = client.get(HOME, {"q": "zebra", "gender": "Men"}).content.decode()
    assert "No products match “zebra” with these filters." in page
    assert f'href="{HOME}?q=zebra">removing the filters' in page


def test_a_selected_filter_without_matches_stays_visible(client):
    ProductFactory(gender="Men")
    page = client.get(HOME, {"gender": "Girls"}).content.decode()
    assert '<option value="Girls" selected>Girls (0)</option>' in page


def test_pagination_links_keep_the_query_and_filters(client):
    ProductFactory.create_batch(26, base_colour="Blue")
    page = client.get(HOME, {"q": "shirt", "base_colour": "Blue"}).content.decode()
    assert 'href="?q=shirt&amp;base_colour=Blue&amp;page=2"' in page


def test_every_image_has_alt_text_and_every_control_a_label(client):
    ProductFactory.create_batch(2, price="5.00")
    product = ProductFactory()
    for url in (HOME, product_url(product), PHOTO_SEARCH):
        parser = controls_of(client.get(url))
        assert all(image.get("alt") for image in parser.images)
        assert parser.controls and all(
            control["id"] in parser.labelled for control in parser.controls
        )
    assert controls_of(client.get(HOME)).images


# The product page, "more like this", the trail


def test_product_page_shows_all_photos_and_attributes(client):
    product = ProductFactory(name="Levis Men Blue Shirt", season="Fall", usage="Casual")
    ProductImageFactory(product=product)
    response = client.get(product_url(product))
    page = response.content.decode()
    for image in product.images.all():
        assert f'src="{image.image.url}"' in page
    assert "<h1>Levis Men Blue Shirt</h1>" in page and "Fall" in page and "Casual" in page


def test_product_page_of_an_unknown_or_inactive_product_is_not_found(client):
    inactive = ProductFactory(is_active=False)
    assert client.get(product_url(inactive)).status_code == 404
    assert client.get(reverse("storefront:product", args=[99999])).status_code == 404


def test_product_page_without_a_vector_says_there_is_nothing_similar_yet(client):
    page = client.get(product_url(ProductFactory())).content.decode()
    assert "No similar products yet" in page


def test_more_like_this_shows_25_similar_products_with_their_scores(client, catalogue):
    response = client.get(product_url(catalogue[0]))
    results = response.context["results"]
    assert len(results) == 25
    assert catalogue[0] not in [result.product for result in results]
    page = response.content.decode()
    assert f'href="{product_url(results[0].product)}"' in page
    assert f"{results[0].score:.2f} match" in page


def test_toggles_filter_inside_the_search_and_stay_in_the_links(client, catalogue):
    pairs = Counter((product.gender, product.base_colour) for product in catalogue)
    product = max(catalogue, key=lambda product: pairs[product.gender, product.base_colour])
    response = client.get(product_url(product), {"same_gender": "1", "match_colour": "1"})
    results = response.context["results"]
    assert results and all(result.product.gender == product.gender for result in results)
    assert all(result.product.base_colour == product.base_colour for result in results)
    link = product_url(results[0].product, "?same_gender=1&match_colour=1")
    assert f'href="{link.replace("&", "&amp;")}"' in response.content.decode()


def test_same_category_keeps_the_master_category(client, catalogue):
    product = catalogue[0]
    results = client.get(product_url(product), {"same_category": "on"}).context["results"]
    assert results and {result.product.master_category for result in results} == {
        product.master_category
    }


def test_trail_lists_the_last_steps_and_cuts_back_when_going_back(client):
    first, second, third = ProductFactory.create_batch(3)
    for product in (first, second, third):
        response = client.get(product_url(product))
    assert response.context["trail"] == [first, second, third]
    page = response.content.decode()
    assert (
        f'href="{product_url(first)}?back=1"' in page
        and f'<span aria-current="page">{third.name}</span>' in page
    )
    assert client.get(product_url(second), {"back": "1"}).context["trail"] == [first, second]


def test_trail_keeps_the_last_eight_products(client):
    products = ProductFactory.create_batch(10)
    for product in products:
        response = client.get(product_url(product))
    assert response.context["trail"] == products[-8:]


# Inspired by what you viewed


def test_a_new_visitor_sees_no_inspiration(client, catalogue):
    assert "Inspired by what you viewed" not in client.get(HOME).content.decode()


def test_home_is_inspired_by_the_viewed_products_excluding_them(client, catalogue):
    viewed = [product for product in catalogue if product.article_type == "Watches"][:2]
    for product in viewed:
        client.get(product_url(product))
    response = client.get(HOME)
    inspired = [result.product for result in response.context["inspired"]]
    assert "Inspired by what you viewed" in response.content.decode()
    assert len(inspired) == 10 and not set(inspired) & set(viewed)
    assert inspired[0].article_type == "Watches"


def test_inspiration_is_left_out_of_searches(client, catalogue):
    client.get(product_url(catalogue[0]))
    assert client.get(HOME, {"q": "watch"}).context["inspired"] == []


# Search by photo


def test_every_page_has_one_search_box_and_one_photo_picker(client):
    product = ProductFactory()
    for url in (HOME, product_url(product), PHOTO_SEARCH):
        page = client.get(url).content.decode()
        assert page.count('type="search"') == 1, url
        assert page.count('type="file"') == 1, url


def test_product_photos_are_served(client):
    product = ProductFactory()
    response = client.get(product.primary_image.image.url)
    assert response.status_code == 200
