"""Search by photo on the pages: the upload is kept and answered at a GET URL (post, redirect,
get), pageable and narrowed by filters and a box without sending the photo again; results
below the relevance floor are set apart."""

import hashlib
from dataclasses import replace

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import ProductImage
from recommender import selectors
from recommender.photo_query import Box
from storefront import views
from tests.images import image_bytes
from tests.recommender.helpers import demo_photo

pytestmark = pytest.mark.django_db

PHOTO_SEARCH = reverse("storefront:photo_search")


def photo_upload(content, name="photo.jpg"):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def results_url(content):
    return reverse("storefront:photo_results", args=[hashlib.sha256(content).hexdigest()])


def searched(client, product, **filters):
    """POST the product's demo photo (with filters); the URL it is redirected to."""
    response = client.post(
        PHOTO_SEARCH, {"photo": photo_upload(demo_photo(product).read_bytes()), **filters}
    )
    assert response.status_code == 303
    return response["Location"]


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()  # the photo-search limit counts in the cache
    yield
    cache.clear()


@pytest.fixture
def embeddings(monkeypatch):
    """The box of each photo the selectors embed (the real embedding runs)."""
    boxes = []
    embed = selectors.embed_photo_query

    def counted(content, box=None):
        boxes.append(box)
        return embed(content, box)

    monkeypatch.setattr(selectors, "embed_photo_query", counted)
    return boxes


def test_the_page_has_an_upload_control(client):
    page = client.get(PHOTO_SEARCH).content.decode()
    assert 'type="file" name="photo" accept="image/*"' in page


def test_an_upload_is_redirected_to_its_results_at_a_get_url(client, catalogue, embeddings):
    content = demo_photo(catalogue[0]).read_bytes()
    response = client.post(
        PHOTO_SEARCH, {"photo": photo_upload(content), "article_type": "Watches", "gender": ""}
    )
    assert response.status_code == 303
    assert response["Location"] == results_url(content) + "?article_type=Watches"
    assert embeddings == []  # the results page embeds, once


def test_the_results_page_shows_the_photo_and_the_most_similar_products(client, catalogue):
    product = catalogue[0]
    response = client.get(searched(client, product))
    assert response.status_code == 200
    results = response.context["page"].object_list
    assert len(results) == 25 and results[0].product == product
    page = response.content.decode()
    assert f'href="{reverse("storefront:product", args=[product.pk])}"' in page
    photo = response.context["photo"]
    assert f'<img src="{photo.url}" alt="The photo you searched with">' in page
    served = client.get(photo.url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == demo_photo(product).read_bytes()


def test_the_photo_is_kept_outside_the_catalogue(client, catalogue, media_root):
    content = demo_photo(catalogue[0]).read_bytes()
    images = ProductImage.objects.count()
    searched(client, catalogue[0])
    digest = hashlib.sha256(content).hexdigest()
    assert (media_root / "photo-searches" / f"{digest}.jpg").read_bytes() == content
    assert ProductImage.objects.count() == images


def test_the_kept_queries_are_not_served(client, catalogue, media_root):
    client.get(searched(client, catalogue[0]))
    (query,) = (media_root / "photo-searches").glob("*.npz")
    assert client.get(f"/media/photo-searches/{query.name}").status_code == 404


def test_results_are_pageable_and_filtered_by_the_query_string(client, catalogue):
    url = searched(client, catalogue[0])
    first, second = client.get(url), client.get(url, {"page": 2})
    page_one = [result.product for result in first.context["page"].object_list]
    page_two = [result.product for result in second.context["page"].object_list]
    assert len(page_two) == len(catalogue) - 25  # every other product: 11
    assert not set(page_one) & set(page_two)
    assert 'href="?page=2" rel="next"' in first.content.decode()
    watches = client.get(url, {"article_type": "Watches"}).context["page"].object_list
    assert watches and {result.product.article_type for result in watches} == {"Watches"}


def test_filters_pages_and_reloads_do_not_embed_again(client, catalogue, embeddings):
    url = searched(client, catalogue[0])
    for query in ({}, {"article_type": "Watches"}, {"page": 2}, {}):
        assert client.get(url, query).status_code == 200
    assert embeddings == [None]


def test_the_box_reaches_the_engine_once(client, catalogue, embeddings):
    url = searched(client, catalogue[0])
    box = {"left": "10", "top": "20", "right": "60.5", "bottom": "90"}
    for query in (box, {**box, "page": 2}, {**box, "gender": "Men"}):
        response = client.get(url, query)
        assert response.status_code == 200
    assert embeddings == [Box(0.1, 0.2, 0.605, 0.9)]
    page = response.content.decode()
    assert "Most similar to the part you marked" in page
    assert "Clear the box" in page and 'href="?gender=Men"' in page
    assert 'name="left" value="10"' in page


@pytest.mark.parametrize(
    "box, message",
    [
        ({"left": "10", "top": "20"}, "Give all four edges of the box"),
        ({"left": "10", "top": "20", "right": "11", "bottom": "90"}, "at least 2% wide and high"),
        ({"left": "60", "top": "20", "right": "10", "bottom": "90"}, "at least 2% wide and high"),
        ({"left": "-1", "top": "20", "right": "50", "bottom": "90"}, "Left (%): Ensure this"),
        ({"left": "x", "top": "20", "right": "50", "bottom": "90"}, "Left (%): Enter a number"),
        ({"left": "0", "top": "0", "right": "150", "bottom": "90"}, "Right (%): Ensure this"),
    ],
)
def test_a_bad_box_is_a_400_with_a_message(client, catalogue, embeddings, box, message):
    response = client.get(searched(client, catalogue[0]), box)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "Most similar" not in page
    assert "Clear the box" in page
    assert embeddings == []


@pytest.mark.parametrize("digest", ["0" * 64, "a" * 64])
def test_a_photo_not_kept_is_a_404_that_says_so(client, db, digest):
    response = client.get(reverse("storefront:photo_results", args=[digest]))
    assert response.status_code == 404
    page = response.content.decode()
    assert "This search by photo is over" in page and 'type="file" name="photo"' in page


def test_a_photo_removed_by_the_clean_up_is_a_404(client, catalogue, settings):
    url = searched(client, catalogue[0])
    settings.RECOMMENDER_KEPT_PHOTOS_MAX_BYTES = 0
    client.post(PHOTO_SEARCH, {"photo": photo_upload(image_bytes())})  # cleans up first
    assert client.get(url).status_code == 404


def test_an_address_that_is_not_a_digest_is_not_found(client, db):
    for path in ("/search/photo/abc/", f"/search/photo/{'A' * 64}/", f"/search/photo/{'0' * 65}/"):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "upload, message",
    [
        (photo_upload(b"this is not a picture", "notes.jpg"), "not an image"),
        (photo_upload(b"", "empty.jpg"), "The submitted file is empty."),
        (None, "Choose a photo to search with."),
    ],
)
def test_bad_uploads_get_a_clear_message(client, db, upload, message):
    response = client.post(PHOTO_SEARCH, {"photo": upload} if upload else {})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_an_oversized_upload_gets_a_clear_message(client, db, settings):
    settings.CATALOG_MAX_UPLOAD_BYTES = 1000
    response = client.post(PHOTO_SEARCH, {"photo": photo_upload(b"x" * 2000)})
    assert response.status_code == 400
    assert "the limit is 1000 bytes" in response.content.decode()


# The relevance floor on the pages


def scores_shown(response):
    return response.content.decode().count(" match</span>")


@pytest.fixture
def three_relevant(monkeypatch):
    """Searches whose first 3 results clear the floor and the others do not."""

    def marked(search):
        def search_marked(**kwargs):
            return [
                replace(result, relevant=rank < 3) for rank, result in enumerate(search(**kwargs))
            ]

        return search_marked

    monkeypatch.setattr(views, "search_kept_photo", marked(views.search_kept_photo))
    monkeypatch.setattr(views, "similar_products", marked(views.similar_products))


def test_results_below_the_floor_come_after_a_divider_without_a_score(
    client, catalogue, three_relevant
):
    for response in (
        client.get(searched(client, catalogue[0])),
        client.get(reverse("storefront:product", args=[catalogue[0].pk])),
    ):
        page = response.content.decode()
        assert page.count('<h3 class="floor">Less similar</h3>') == 1
        assert scores_shown(response) == 3
        close, far = page.split('<h3 class="floor">')
        assert close.count('class="card"') == 3 and far.count('class="card"') == 22
        assert "Nothing in the catalogue is close" not in page


def test_a_page_of_results_all_below_the_floor_after_close_ones_has_the_divider(
    client, catalogue, three_relevant
):
    response = client.get(searched(client, catalogue[0]), {"page": 2})
    page = response.content.decode()
    assert '<h3 class="floor">Less similar</h3>' in page and scores_shown(response) == 0
    assert "Nothing in the catalogue is close" not in page


def test_when_nothing_is_close_the_page_says_so_and_shows_the_nearest(
    client, catalogue, monkeypatch
):
    def none_relevant(search):
        return lambda **kwargs: [replace(r, relevant=False) for r in search(**kwargs)]

    monkeypatch.setattr(views, "search_kept_photo", none_relevant(views.search_kept_photo))
    monkeypatch.setattr(views, "similar_products", none_relevant(views.similar_products))
    photo = client.get(searched(client, catalogue[0]))
    product = client.get(reverse("storefront:product", args=[catalogue[0].pk]))
    for response, subject in ((photo, "your photo"), (product, "this product")):
        page = response.content.decode()
        assert f"Nothing in the catalogue is close to {subject}." in page
        assert "These are the nearest products anyway." in page
        assert page.count('class="card"') == 25 and scores_shown(response) == 0
        assert "Less similar" not in page


def test_a_negative_score_is_never_shown(client, catalogue, monkeypatch):
    similar = views.similar_products
    monkeypatch.setattr(
        views,
        "similar_products",
        lambda **kwargs: [replace(r, score=-0.13) for r in similar(**kwargs)],
    )
    response = client.get(reverse("storefront:product", args=[catalogue[0].pk]))
    assert "-0.13" not in response.content.decode() and scores_shown(response) == 0
