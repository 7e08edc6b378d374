"""The relevance floor: measured from held-out results, stored per model, applied to the
results of "more like this" and search by photo."""

import numpy as np
import pytest

from recommender import floors, selectors
from recommender.embedding import fingerprint
from recommender.floors import Floors, floor_from_scores, relevance_floors
from recommender.photo_query import PhotoQuery
from recommender.selectors import similar_products


def test_the_floor_is_where_results_stop_being_mostly_right():
    # 1,000 results: right above 0.6 (scores 0.6-1.0), wrong below.
    scores = np.linspace(1.0, 0.2, 1000)
    right = scores >= 0.6
    floor = floor_from_scores(scores, right, per_bin=100)
    assert 0.6 <= floor <= 0.7
    assert right[scores >= floor].all()


def test_results_all_right_put_the_floor_at_the_lowest_score_and_none_right_above_all():
    scores = np.array([0.9, 0.5, 0.1])
    assert floor_from_scores(scores, [True, True, True], per_bin=1) == pytest.approx(0.1)
    assert floor_from_scores(scores, [False, True, True], per_bin=1) > 0.9
    with pytest.raises(ValueError):
        floor_from_scores([], [])


def test_floors_survive_their_file_and_a_file_of_something_else_is_refused(tmp_path):
    Floors(0.5, 0.3, "test data").save(tmp_path / "floors.json")
    assert Floors.load(tmp_path / "floors.json") == Floors(0.5, 0.3, "test data")
    (tmp_path / "other.json").write_text('{"threshold": 1}')
    with pytest.raises(ValueError, match="relevance floors"):
        Floors.load(tmp_path / "other.json")


@pytest.fixture
def floor_files(tmp_path, monkeypatch):
    """A floor folder of the test's own: install(more_like_this, search_by_photo) writes the
    model's floors."""
    monkeypatch.setattr(floors, "FLOORS_DIR", tmp_path / "floors")
    floors._floors.clear()
    yield lambda *values: Floors(*values).save(floors.floors_path(fingerprint()))
    floors._floors.clear()


def test_more_like_this_marks_the_results_under_the_floor_and_still_lists_them(
    catalogue, floor_files
):
    product = catalogue[0]
    plain = similar_products(product=product, k=10)
    assert all(result.relevant for result in plain)  # no floor measured: all relevant
    floor = plain[4].score
    floor_files(floor, -1.0)
    assert relevance_floors(fingerprint()).more_like_this == floor
    results = similar_products(product=product, k=10)
    assert [r.product.pk for r in results] == [r.product.pk for r in plain]
    assert [r.relevant for r in results] == [r.score >= floor for r in results]
    assert [r.relevant for r in results][:5] == [True] * 5 and not results[-1].relevant


def test_search_by_photo_uses_its_own_floor(catalogue, floor_files):
    vector = selectors.product_vector(catalogue[0])
    floor_files(-1.0, 2.0)  # a floor no score reaches, for search by photo only
    results = selectors.search_by_photo_query(PhotoQuery(vector[None]), k=5)
    assert len(results) == 5 and not any(result.relevant for result in results)
    assert all(result.relevant for result in similar_products(product=catalogue[0], k=5))


def test_the_floor_and_the_expansion_can_be_switched_off_by_the_caller(catalogue, floor_files):
    product = catalogue[0]
    floor_files(2.0, 2.0)  # floors no score reaches
    assert not any(result.relevant for result in similar_products(product=product, k=5))
    assert all(r.relevant for r in similar_products(product=product, k=5, floor=False))
    vector = selectors.product_vector(product)
    photo = selectors.search_by_photo_query(PhotoQuery(vector[None]), k=5, floor=False)
    assert all(result.relevant for result in photo)

    plain = similar_products(product=product, k=10, expansion=False, floor=False)
    nearest = selectors.nearest_products(vector, k=10, exclude_product_id=product.pk)
    assert [(r.product.pk, r.score) for r in plain] == [(r.product.pk, r.score) for r in nearest]
