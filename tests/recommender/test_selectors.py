from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Product, ProductImage
from catalog.services import products_set_active
from recommender import index as index_module
from recommender import selectors
from recommender.embedding import fingerprint
from recommender.photo_query import PhotoQuery
from recommender.selectors import (
    ProductFilters,
    current_index,
    nearest_products,
    product_vector,
    search_by_image,
    similar_products,
)
from recommender.services import embeddings_update, index_rebuild, index_refresh_images
from tests.images import image_bytes
from tests.recommender.helpers import add_photo, flipped_photo, resized_photo

pytestmark = pytest.mark.django_db


def products_of(results):
    return [result.product for result in results]


def upload(content, name="shopper.jpg"):
    return SimpleUploadedFile(name, content)


def of_type(products, article_type):
    return [product for product in products if product.article_type == article_type]


def test_most_products_have_mostly_their_own_article_type_among_the_top_5(catalogue):
    def mostly_same_type(product):
        return (
            sum(
                found.article_type == product.article_type
                for found in products_of(similar_products(product=product, k=5))
            )
            >= 3
        )

    assert sum(map(mostly_same_type, catalogue)) >= 0.8 * len(catalogue)


def test_a_product_is_never_similar_to_itself(catalogue):
    for product in catalogue:
        assert product not in products_of(similar_products(product=product, k=10))


def test_results_are_best_first_with_scores_between_minus_1_and_1(catalogue):
    scores = [result.score for result in similar_products(product=catalogue[0], k=10)]
    assert len(scores) == 10
    assert scores == sorted(scores, reverse=True)
    assert max(map(abs, scores)) <= 1 + 1e-4, f"inner products of unit vectors, got {scores}"


def test_all_other_products_can_be_returned(catalogue):
    found = products_of(similar_products(product=catalogue[0], k=100))
    assert sorted(product.pk for product in found) == sorted(
        product.pk for product in catalogue[1:]
    )


@pytest.mark.parametrize(
    "refresh_index", [False, True], ids=["index not refreshed", "index refreshed"]
)
def test_an_inactive_product_is_never_returned(catalogue, refresh_index):
    query = catalogue[0]
    neighbour = similar_products(product=query, k=1)[0].product
    products_set_active(queryset=Product.objects.filter(pk=neighbour.pk), is_active=False)
    if refresh_index:
        index_refresh_images(image_ids=neighbour.images.values_list("id", flat=True))
    found = products_of(similar_products(product=query, k=len(catalogue)))
    assert neighbour not in found
    assert len(found) == len(catalogue) - 2  # every active product but the query


def test_a_product_with_two_photos_is_returned_once(catalogue):
    twice, query = of_type(catalogue, "Tshirts")[:2]
    second = add_photo(twice, flipped_photo(twice))
    embeddings_update()
    index_refresh_images(image_ids=[second.id])
    found = [
        product.pk for product in products_of(similar_products(product=query, k=len(catalogue)))
    ]
    assert len(found) == len(set(found)) == len(catalogue) - 1
    assert twice.pk in found
    assert twice not in products_of(similar_products(product=twice, k=5))


def test_filters_give_exactly_k_products_when_enough_match(catalogue):
    t_shirt = of_type(catalogue, "Tshirts")[0]
    found = products_of(
        similar_products(product=t_shirt, k=5, filters=ProductFilters(article_type="Watches"))
    )
    assert len(found) == 5
    assert {product.article_type for product in found} == {"Watches"}


@pytest.mark.parametrize(
    "filters, matches",
    [
        (ProductFilters(gender="Women"), lambda product: product.gender == "Women"),
        (
            ProductFilters(price_min=Decimal("100"), price_max=Decimal("200")),
            lambda product: Decimal("100") <= product.price <= Decimal("200"),
        ),
        (
            ProductFilters(gender="Men", article_type="Casual Shoes"),
            lambda product: (product.gender, product.article_type) == ("Men", "Casual Shoes"),
        ),
        (ProductFilters(base_colour="Black"), lambda product: product.base_colour == "Black"),
    ],
    ids=["gender", "price range", "gender and article type", "colour"],
)
def test_filters_return_every_matching_product_and_only_those(catalogue, filters, matches):
    query = catalogue[0]
    found = products_of(similar_products(product=query, k=len(catalogue), filters=filters))
    expected = [product for product in catalogue[1:] if matches(product)]
    assert expected  # the filter is not trivially empty
    assert sorted(product.pk for product in found) == sorted(product.pk for product in expected)


def test_filters_that_match_no_product_give_no_result(catalogue):
    assert (
        similar_products(product=catalogue[0], filters=ProductFilters(article_type="Sarees")) == []
    )


@pytest.mark.parametrize("article_type", ["Casual Shoes", "Watches"])
@pytest.mark.parametrize(
    "variant",
    [
        flipped_photo,
        lambda product: resized_photo(product, 500),
        lambda product: resized_photo(product, 150),
    ],
    ids=["flipped", "upscaled 500x500", "downscaled 150x150"],
)
def test_search_by_image_finds_the_photographed_product_first(catalogue, article_type, variant):
    product = of_type(catalogue, article_type)[0]
    found = products_of(search_by_image(upload=upload(variant(product)), k=3))
    assert found[0] == product


def test_search_by_image_applies_filters(catalogue):
    shoe = of_type(catalogue, "Casual Shoes")[0]
    found = products_of(
        search_by_image(
            upload=upload(flipped_photo(shoe)), k=4, filters=ProductFilters(article_type="Watches")
        )
    )
    assert len(found) == 4
    assert {product.article_type for product in found} == {"Watches"}


def test_search_by_image_returns_nothing_from_an_empty_catalogue(db):
    assert search_by_image(upload=upload(image_bytes())) == []


@pytest.mark.parametrize(
    "name, content, code",
    [
        ("notes.txt", b"this is text, not a photo", "not_an_image"),
        ("empty.jpg", b"", "empty"),
        ("large.jpg", image_bytes(size=(200, 200)), "file_too_large"),
        ("huge.png", image_bytes(size=(20, 20), image_format="PNG"), "too_many_pixels"),
    ],
)
def test_search_by_image_refuses_a_bad_upload(settings, name, content, code):
    # The 200x200 JPEG is over 1000 bytes; the 20x20 PNG is under that but over 100 pixels.
    settings.CATALOG_MAX_UPLOAD_BYTES = 1000
    settings.CATALOG_MAX_IMAGE_PIXELS = 100
    with pytest.raises(ValidationError) as raised:
        search_by_image(upload=upload(content, name))
    assert raised.value.code == code


def test_with_several_query_vectors_each_product_scores_its_best_over_them(catalogue):
    shoe, watch = of_type(catalogue, "Casual Shoes")[0], of_type(catalogue, "Watches")[0]
    queries = np.stack([product_vector(shoe), product_vector(watch)])
    found = {
        result.product.pk: result.score for result in nearest_products(queries, k=len(catalogue))
    }
    alone = [
        {result.product.pk: result.score for result in nearest_products(query, k=len(catalogue))}
        for query in queries
    ]
    assert found.keys() == alone[0].keys() == alone[1].keys()
    for product_id, score in found.items():
        assert score == pytest.approx(max(alone[0][product_id], alone[1][product_id]), abs=1e-6)
    assert found[shoe.pk] == pytest.approx(1.0, abs=1e-4) and found[watch.pk] == pytest.approx(
        1.0, abs=1e-4
    )
    assert list(found.values()) == sorted(found.values(), reverse=True)


class ListedIndex:
    """An index whose search gives, for each query, the first n of a fixed best-first
    list of (score, image id)."""

    exact = True

    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return max(len(row) for row in self.rows)

    def search(self, queries, n, allowed_ids=None):
        rows = [row[:n] + [(-3.4e38, -1)] * (n - len(row[:n])) for row in self.rows]
        return (
            np.array([[score for score, _ in row] for row in rows], np.float32),
            np.array([[image_id for _, image_id in row] for row in rows], np.int64),
        )


def test_with_several_queries_a_product_just_below_one_shortlist_is_still_found(
    catalogue, monkeypatch
):
    many, near, far = catalogue[:3]
    # `many` has 20 photos: the first query's shortlist (2k + 8 = 12 photos) holds it alone.
    photos = [
        ProductImage.objects.create(
            product=many, image=f"x/{n}.jpg", width=1, height=1, sha256=f"{n:064d}"
        )
        for n in range(20)
    ]
    first = [(0.99 - 0.001 * n, photo.pk) for n, photo in enumerate(photos)] + [
        (0.90, near.images.get().pk)
    ]
    second = [
        (0.50 - 0.01 * n, product.images.get().pk)
        for n, product in enumerate([far, *catalogue[3:20]])
    ]
    monkeypatch.setattr(
        selectors, "current_index", lambda model_fingerprint: ListedIndex([first, second])
    )
    found = nearest_products(np.zeros((2, 4), np.float32), k=2)
    assert [(result.product, round(result.score, 3)) for result in found] == [
        (many, 0.99),
        (near, 0.9),
    ]


def test_an_approximate_indexs_shortlist_is_ranked_by_the_exact_stored_vectors(
    catalogue, monkeypatch
):
    monkeypatch.setattr(index_module, "APPROXIMATE_FROM", 1)
    index_rebuild()  # now an inverted file with 8-bit codes, whose own scores are off by about 1e-3
    assert not current_index(fingerprint()).exact
    query = product_vector(catalogue[0])
    found = nearest_products(query, k=10)
    assert len(found) == 10
    for result in found:
        assert result.score == pytest.approx(
            float(query @ product_vector(result.product)), abs=1e-6
        )
    assert [result.score for result in found] == sorted(
        (result.score for result in found), reverse=True
    )


def test_a_process_checks_and_embeds_at_most_so_many_photos_at_once(settings, monkeypatch):
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    settings.RECOMMENDER_PHOTO_SEARCHES_AT_ONCE = 2
    selectors.photo_searches.cache_clear()
    running, most, lock = [0], [0], threading.Lock()

    def slow_embedding(content, box):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return PhotoQuery(np.zeros((1, 4), np.float32))

    monkeypatch.setattr(
        selectors, "check_image_upload", lambda upload: SimpleNamespace(content=b"")
    )
    monkeypatch.setattr(selectors, "embed_photo_query", slow_embedding)
    monkeypatch.setattr(selectors, "search_by_photo_query", lambda query, k, filters, floor: [])
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda n: search_by_image(upload=SimpleUploadedFile("p", b"x")), range(6)))
    selectors.photo_searches.cache_clear()
    assert most[0] == 2
