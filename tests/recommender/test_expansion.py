"""Query expansion (recommender.expansion), in the evaluation and in the shop's searches."""

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Product, ProductImage
from catalog.services import products_set_active
from recommender.embedding import embed_photo_query, fingerprint
from recommender.evaluation import evaluate, nearest_others, search_others
from recommender.expansion import EXPANSION_POWER, expanded_queries, expansion_neighbours
from recommender.index import FaissFlatIndex
from recommender.models import ImageEmbedding
from recommender.selectors import expanded_query, product_vector, search_by_image, similar_products
from recommender.services import embeddings_update, index_refresh_images
from tests.recommender.helpers import add_photo, flipped_photo, resized_photo


def unit(*values):
    vector = np.asarray(values, np.float32)
    return vector / np.linalg.norm(vector)


def test_an_expanded_query_is_a_unit_vector_moved_towards_its_neighbours():
    query, near, far = unit(1, 0, 0), unit(1, 1, 0), unit(0, 0, 1)
    scores = np.array([[near @ query, far @ query]])
    expanded = expanded_queries(query[None], np.stack([near, far])[None], scores)[0]
    assert np.linalg.norm(expanded) == pytest.approx(1.0, abs=1e-6)
    expected = query + (near @ query) ** EXPANSION_POWER * near  # `far` is orthogonal: weight 0
    np.testing.assert_allclose(expanded, expected / np.linalg.norm(expected), atol=1e-6)


def test_neighbours_with_a_negative_similarity_do_not_move_the_query():
    query, opposite = unit(1, 0), unit(-1, 0.2)
    expanded = expanded_queries(query[None], opposite[None, None], np.array([[opposite @ query]]))
    np.testing.assert_allclose(expanded[0], query, atol=1e-6)


def test_the_evaluation_never_counts_a_query_as_its_own_neighbour_even_with_twins():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 8)).astype(np.float32)
    vectors[1] = vectors[0]  # two products with the same photo
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for expansion in (0, 3):
        neighbours = nearest_others(vectors, 5, expansion)
        assert neighbours.shape == (30, 5)
        assert not (neighbours == np.arange(30)[:, None]).any()
        assert neighbours[0, 0] == 1 and neighbours[1, 0] == 0


def test_a_query_whose_own_row_is_not_among_the_nearest_keeps_the_k_nearest():
    vectors = np.eye(4, dtype=np.float32)
    index = FaissFlatIndex.build(4, np.arange(4), vectors)
    queries = np.array([[-1, 0.9, 0.5, 0.1]] * 4, np.float32)  # row 0 is the farthest from query 0
    _, neighbours = search_others(index, queries, 2)
    assert neighbours[0].tolist() == [1, 2]
    assert neighbours[1].tolist() == [2, 3]  # its own row, the nearest, left out


def test_an_expansion_larger_than_the_catalogue_uses_every_other_product():
    vectors = np.eye(3, dtype=np.float32)
    np.testing.assert_array_equal(
        np.sort(nearest_others(vectors, 2, expansion=8), axis=1), [[1, 2], [0, 2], [0, 1]]
    )


def test_the_evaluation_with_expansion_differs_from_plain_search_only_by_the_expansion():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(40, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = vectors @ vectors.T
    np.fill_diagonal(scores, -np.inf)
    nearest = np.argsort(-scores, axis=1)[:, :3]
    expanded = expanded_queries(vectors, vectors[nearest], np.take_along_axis(scores, nearest, 1))
    expanded_scores = expanded @ vectors.T
    np.fill_diagonal(expanded_scores, -np.inf)
    np.testing.assert_array_equal(
        nearest_others(vectors, 5, 3), np.argsort(-expanded_scores, axis=1)[:, :5]
    )


def test_the_evaluation_of_some_queries_ranks_them_as_among_all_queries():
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(40, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    types, colours = rng.choice(["a", "b", "c"], 40), rng.choice(["x", "y"], 40)
    some = np.zeros(40, bool)
    some[types == "a"] = True
    for expansion in (0, 3):
        np.testing.assert_array_equal(
            nearest_others(vectors, 5, expansion, some), nearest_others(vectors, 5, expansion)[some]
        )
        figures = evaluate(vectors, types, colours, k=5, expansion=expansion, queries=some)
        assert figures["queries"] == some.sum()
        hits = types[nearest_others(vectors, 5, expansion)[some]] == "a"
        assert figures["precision_article_type"] == pytest.approx(hits.mean(), abs=1e-4)


def stored_vectors_of(photos):
    rows = (
        ImageEmbedding.objects.current(fingerprint())
        .filter(image__in=photos)
        .values_list("image_id", "vector")
    )
    return {image_id: ImageEmbedding.from_bytes(vector) for image_id, vector in rows}


@pytest.mark.django_db
def test_the_shop_expands_a_query_only_with_other_active_products_photos(catalogue, settings):
    settings.RECOMMENDER_EXPANSION_NEIGHBOURS = 4
    query = catalogue[0]
    add_photo(query, flipped_photo(query))  # a second photo of its own, nearest of all
    embeddings_update()
    index_refresh_images(image_ids=query.images.values_list("id", flat=True))
    first_neighbour = similar_products(product=query, k=1)[0].product
    products_set_active(queryset=Product.objects.filter(pk=first_neighbour.pk), is_active=False)
    index_refresh_images(image_ids=first_neighbour.images.values_list("id", flat=True))
    vector = product_vector(query)
    stored = stored_vectors_of(
        ProductImage.objects.filter(product__is_active=True).exclude(product=query)
    )
    vectors = np.stack(list(stored.values()))
    nearest = np.argsort(-(vectors @ vector))[:4]
    expected = expanded_queries(
        vector[None], vectors[nearest][None], (vectors[nearest] @ vector)[None]
    )[0]
    own_photos = list(query.images.values_list("id", flat=True))
    np.testing.assert_allclose(expanded_query(vector, own_photos), expected, atol=1e-5)
    # Had it stayed active, the deactivated product would have been one of the four.
    its_photo = next(iter(stored_vectors_of(first_neighbour.images.all()).values()))
    assert its_photo @ vector > np.sort(vectors @ vector)[-4]


@pytest.mark.django_db
def test_more_like_this_searches_with_the_expanded_query(catalogue, settings):
    settings.RECOMMENDER_EXPANSION_NEIGHBOURS = 4
    product = catalogue[0]
    expanded = expanded_query(product_vector(product), [image.pk for image in product.images.all()])
    assert not np.allclose(expanded, product_vector(product), atol=1e-3)
    assert_scores_are_plain_inner_products(similar_products(product=product, k=5), expanded)


@pytest.mark.parametrize("value", [-1, 2.5, "8"])
def test_a_bad_expansion_setting_is_refused_with_its_name(settings, value):
    settings.RECOMMENDER_EXPANSION_NEIGHBOURS = value
    with pytest.raises(ImproperlyConfigured, match="RECOMMENDER_EXPANSION_NEIGHBOURS"):
        expansion_neighbours()


def assert_scores_are_plain_inner_products(results, *queries):
    """Each result's score is its best inner product over its photos and the queries."""
    for result in results:
        own_vectors = np.stack(list(stored_vectors_of(result.product.images.all()).values()))
        assert result.score == pytest.approx(
            float((own_vectors @ np.stack(queries).T).max()), abs=1e-5
        )


@pytest.mark.django_db
def test_with_expansion_off_the_query_is_searched_as_it_is(catalogue, settings):
    settings.RECOMMENDER_EXPANSION_NEIGHBOURS = 0
    vector = product_vector(catalogue[0])
    assert expanded_query(vector, []) is vector
    assert_scores_are_plain_inner_products(similar_products(product=catalogue[0], k=3), vector)


@pytest.mark.django_db
def test_search_by_photo_is_never_expanded(catalogue, settings):
    settings.RECOMMENDER_EXPANSION_NEIGHBOURS = 8
    photo = resized_photo(catalogue[0], 300)
    results = search_by_image(upload=SimpleUploadedFile("shopper.jpg", photo), k=3)
    assert results[0].product == catalogue[0]
    assert_scores_are_plain_inner_products(results, *embed_photo_query(photo).vectors)
