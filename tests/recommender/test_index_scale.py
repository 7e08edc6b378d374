"""The approximate index (FaissIVFIndex) and the choice of index by catalogue size."""

import numpy as np
import pytest

from recommender import index as index_module
from recommender import snapshots
from recommender.embedding import fingerprint
from recommender.index import FaissFlatIndex, FaissIVFIndex, build_index, index_for_size, load_index
from recommender.models import ImageEmbedding
from recommender.selectors import current_index, similar_products
from recommender.services import index_rebuild, index_refresh_images
from tests.recommender.helpers import random_unit_vectors

DIMENSION = 64
COUNT = 4000


def clustered_unit_vectors(count, dimension, clusters=40, spread=0.35, seed=0):
    """Unit vectors around random centres: neighbourhoods like the
    catalogue's, not uniform noise."""
    rng = np.random.default_rng(seed)
    centres = random_unit_vectors(clusters, dimension, seed=seed + 100)
    noise = spread * rng.normal(size=(count, dimension)) / np.sqrt(dimension)
    vectors = centres[rng.integers(0, clusters, count)] + noise
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def data():
    vectors = clustered_unit_vectors(COUNT, DIMENSION)
    ids = np.arange(COUNT, dtype=np.int64) * 7 + 3  # ids that are not row numbers
    return ids, vectors


@pytest.fixture
def approximate(data):
    ids, vectors = data
    return FaissIVFIndex.build(DIMENSION, ids, vectors)


def result_ids(index, vector, k=10, allowed_ids=None):
    _, ids = index.search(vector, k, allowed_ids)
    return [int(i) for i in ids[0] if i >= 0]


def test_index_for_size_is_exact_below_the_threshold_and_approximate_from_it():
    assert index_for_size(DIMENSION, 0) is FaissFlatIndex
    assert index_for_size(DIMENSION, index_module.APPROXIMATE_FROM - 1) is FaissFlatIndex
    assert index_for_size(DIMENSION, index_module.APPROXIMATE_FROM) is FaissIVFIndex
    assert index_for_size(DIMENSION, 999, approximate_from=1000) is FaissFlatIndex
    assert index_for_size(DIMENSION, 1000, approximate_from=1000) is FaissIVFIndex


def test_build_index_builds_the_class_for_the_size(data):
    ids, vectors = data
    assert isinstance(
        build_index(DIMENSION, ids, vectors, approximate_from=COUNT + 1), FaissFlatIndex
    )
    built = build_index(DIMENSION, ids, vectors, approximate_from=COUNT)
    assert isinstance(built, FaissIVFIndex)
    assert len(built) == COUNT


def test_parameters_follow_the_size():
    assert FaissIVFIndex.nlist_for(1_000_000) == 4000
    assert FaissIVFIndex.nlist_for(100_000) == 1265
    assert FaissIVFIndex.nlist_for(100) == 2  # at least 39 training points a cell
    assert FaissIVFIndex.nprobe_for(4000) == 62
    assert FaissIVFIndex.nprobe_for(4) == 4  # never more cells than there are


def test_recall_at_10_against_exact_search(data, approximate):
    ids, vectors = data
    exact = FaissFlatIndex.build(DIMENSION, ids, vectors)
    queries = clustered_unit_vectors(200, DIMENSION, seed=5)  # same clusters, not indexed vectors
    _, truth = exact.search(queries, 10)
    _, found = approximate.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found.tolist(), truth.tolist())])
    assert recall >= 0.9


def test_each_vector_finds_itself_first(data, approximate):
    ids, vectors = data
    _, found = approximate.search(vectors[:100], 1)
    assert np.mean(found[:, 0] == ids[:100]) >= 0.98


def test_remove_and_add_again(data, approximate):
    ids, vectors = data
    removed = [int(ids[1]), 999_999]  # an unknown id is ignored
    approximate.remove(removed)
    assert len(approximate) == COUNT - 1
    assert int(ids[1]) not in result_ids(approximate, vectors[1])
    assert int(ids[1]) not in set(approximate.ids().tolist())
    replacement = random_unit_vectors(1, DIMENSION, seed=9)
    approximate.add([ids[1]], replacement)
    approximate.add([ids[1]], replacement)  # adding an id again replaces it
    assert len(approximate) == COUNT
    assert sorted(approximate.ids().tolist()) == sorted(ids.tolist())
    assert result_ids(approximate, replacement, k=1) == [int(ids[1])]


def test_allowed_ids_restrict_the_results_even_when_few(data, approximate):
    ids, vectors = data
    allowed = [int(i) for i in ids[::400]]  # 10 ids spread over every cluster
    found = result_ids(approximate, vectors[0], k=10, allowed_ids=allowed)
    assert sorted(found) == sorted(allowed)  # the selective filter probes more cells
    assert result_ids(approximate, vectors[0], allowed_ids=[]) == []
    assert set(result_ids(approximate, vectors[0], k=25, allowed_ids=ids[:2000])) <= set(
        ids[:2000].tolist()
    )


def test_a_large_k_gets_k_results(data, approximate):
    _, vectors = data
    assert len(result_ids(approximate, vectors[0], k=1000)) == 1000


def test_an_empty_approximate_index_returns_no_results(data):
    ids, vectors = data
    index = FaissIVFIndex.build(DIMENSION, ids, vectors)
    index.remove(ids)
    scores, found = index.search(vectors[:1], 5)
    assert found.size == scores.size == 0


def test_save_then_load_gives_the_same_approximate_index(tmp_path, data, approximate):
    _, vectors = data
    path = tmp_path / "index.faiss"
    approximate.save(path)
    for loaded in (load_index(path), FaissFlatIndex.load(path), FaissIVFIndex.load(path)):
        assert isinstance(loaded, FaissIVFIndex)
        assert len(loaded) == COUNT and loaded.dimension == DIMENSION
        assert (loaded.nlist, loaded.nprobe) == (approximate.nlist, approximate.nprobe)
        for vector in vectors[:20]:
            assert result_ids(loaded, vector) == result_ids(approximate, vector)


def test_an_exact_file_still_loads_as_the_exact_class(tmp_path, data):
    ids, vectors = data
    FaissFlatIndex.build(DIMENSION, ids[:10], vectors[:10]).save(tmp_path / "index.faiss")
    assert isinstance(load_index(tmp_path / "index.faiss"), FaissFlatIndex)


def test_current_index_loads_whichever_type_was_published(db, data):
    ids, vectors = data
    with snapshots.writer_lock("scale-test"):
        snapshots.publish("scale-test", FaissIVFIndex.build(DIMENSION, ids, vectors))
    assert isinstance(current_index("scale-test"), FaissIVFIndex)
    with snapshots.writer_lock("scale-test"):
        snapshots.publish("scale-test", FaissFlatIndex.build(DIMENSION, ids, vectors))
    assert isinstance(current_index("scale-test"), FaissFlatIndex)


def test_rebuild_and_refresh_use_the_approximate_index_above_the_threshold(
    embedded_catalogue, monkeypatch
):
    model = fingerprint()
    monkeypatch.setattr(index_module, "APPROXIMATE_FROM", 1)
    index_rebuild()
    index = current_index(model)
    assert isinstance(index, FaissIVFIndex)
    assert len(index) == len(embedded_catalogue)
    product = embedded_catalogue[0]
    found = similar_products(product=product, k=3)
    assert product not in [result.product for result in found]
    assert len(found) == 3

    image_id = product.images.first().pk
    product.is_active = False
    product.save()
    index_refresh_images(image_ids=[image_id])  # incremental: the published type stays
    index = current_index(model)
    assert isinstance(index, FaissIVFIndex)
    assert image_id not in set(index.ids().tolist())
    assert snapshots.holds_exactly(
        model, ImageEmbedding.objects.indexable(model).values_list("image_id", flat=True)
    )


def test_the_approximate_index_gives_the_results_vectors_decoded_from_its_codes(approximate, data):
    ids, vectors = data
    approximate.remove(ids[1:2])
    scores, found_ids, found = approximate.search_with_vectors(vectors[:2], 10)
    rows = dict(zip(ids.tolist(), vectors))
    assert ids[1] not in found_ids
    for query, row_ids, row_scores, row_vectors in zip(vectors[:2], found_ids, scores, found):
        for image_id, score, vector in zip(row_ids, row_scores, row_vectors):
            assert float(vector @ rows[int(image_id)]) > 0.999  # 8-bit codes, decoded
            assert score == pytest.approx(float(vector @ query), abs=1e-3)
