import numpy as np
import pytest

from recommender import index as index_module
from recommender.index import CorruptIndex, FaissFlatIndex
from tests.recommender.helpers import random_unit_vectors

DIMENSION = 16  # a made-up size: these tests are about the index, not about real vectors
IDS = [10, 20, 30, 40]


@pytest.fixture
def vectors():
    return random_unit_vectors(len(IDS), DIMENSION)


@pytest.fixture
def index(vectors):
    return FaissFlatIndex.build(DIMENSION, IDS, vectors)


def result_ids(index, vector, k=None, allowed_ids=None):
    _, ids = index.search(vector, k or len(IDS), allowed_ids)
    return [int(i) for i in ids[0] if i >= 0]


def test_search_finds_each_vector_first_with_a_score_of_one(index, vectors):
    for image_id, vector in zip(IDS, vectors):
        scores, ids = index.search(vector, 2)
        assert ids[0][0] == image_id
        assert scores[0][0] == pytest.approx(1.0, abs=1e-5)
        assert scores[0][0] >= scores[0][1]


def test_search_returns_one_row_per_query(index, vectors):
    scores, ids = index.search(vectors, 3)
    assert scores.shape == ids.shape == (len(IDS), 3)
    assert list(ids[:, 0]) == IDS


def test_removed_ids_are_never_returned(index, vectors):
    index.remove([20, 999])  # an unknown id is ignored
    assert len(index) == 3
    assert 20 not in result_ids(index, vectors[1])


def test_adding_an_id_again_replaces_its_vector(index, vectors):
    replacement = random_unit_vectors(1, DIMENSION, seed=1)
    index.add([10], replacement)
    assert len(index) == len(IDS)
    assert result_ids(index, replacement, k=1) == [10]
    assert result_ids(index, vectors[0], k=1) != [10]


def test_allowed_ids_restrict_the_results(index, vectors):
    assert sorted(result_ids(index, vectors[0], allowed_ids=[30, 40])) == [30, 40]
    assert result_ids(index, vectors[0], allowed_ids=[]) == []


def test_an_empty_index_returns_no_results():
    scores, ids = FaissFlatIndex(DIMENSION).search(random_unit_vectors(1, DIMENSION), 5)
    assert ids.size == scores.size == 0


def test_save_then_load_gives_the_same_index(tmp_path, index, vectors):
    path = tmp_path / "index.faiss"
    index.save(path)
    loaded = FaissFlatIndex.load(path)
    assert len(loaded) == len(index)
    assert loaded.dimension == DIMENSION
    for vector in vectors:
        assert result_ids(loaded, vector) == result_ids(index, vector)


@pytest.mark.parametrize("content", [b"", b"this is not an index" * 10, "half"])
def test_an_unreadable_file_raises_corrupt_index(tmp_path, index, content):
    path = tmp_path / "index.faiss"
    index.save(path)
    if content == "half":
        content = path.read_bytes()[: path.stat().st_size // 2]
    path.write_bytes(content)
    with pytest.raises(CorruptIndex):
        FaissFlatIndex.load(path)


def test_save_leaves_only_the_index_file(tmp_path, index):
    index.save(tmp_path / "index.faiss")
    index.save(tmp_path / "index.faiss")
    assert [path.name for path in tmp_path.iterdir()] == ["index.faiss"]


def test_a_failed_save_keeps_the_previous_file_and_no_temporary_file(tmp_path, index, monkeypatch):
    path = tmp_path / "index.faiss"
    index.save(path)
    before = path.read_bytes()

    def fail(_):
        raise OSError("disk full")

    monkeypatch.setattr(index_module.faiss, "serialize_index", fail)
    with pytest.raises(OSError):
        FaissFlatIndex(DIMENSION).save(path)
    assert path.read_bytes() == before
    assert [item.name for item in tmp_path.iterdir()] == ["index.faiss"]


def test_search_with_vectors_gives_the_stored_vectors_of_the_results(index, vectors):
    index.remove([20])
    scores, ids, found = index.search_with_vectors(vectors[0], 3)
    assert list(ids[0]) == [int(i) for i in index.search(vectors[0], 3)[1][0]] and 20 not in ids[0]
    rows = {image_id: row for image_id, row in zip(IDS, vectors)}
    for image_id, score, vector in zip(ids[0], scores[0], found[0]):
        np.testing.assert_allclose(vector, rows[image_id], atol=1e-6)
        assert score == pytest.approx(float(vector @ vectors[0]), abs=1e-5)
