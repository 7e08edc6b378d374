import pytest

from recommender.embedding import fingerprint
from recommender.selectors import current_index, similar_products
from recommender.services import embeddings_update, index_rebuild
from recommender.snapshots import KEEP_VERSIONS, latest_version, load_latest, snapshot_dir, versions
from tests.recommender.helpers import add_photo, flipped_photo

pytestmark = pytest.mark.django_db


def version_numbers():
    return [version for version, _ in versions(fingerprint())]


def add_embedded_photo(product):
    add_photo(product, flipped_photo(product))
    embeddings_update()


def test_nothing_is_published_before_the_first_rebuild():
    assert versions(fingerprint()) == []
    assert latest_version(fingerprint()) == (0, None)
    assert load_latest(fingerprint()) is None


def test_snapshots_live_in_the_index_folder_under_a_safe_name(settings):
    folder = snapshot_dir("some/model:v1")
    assert folder.parent == settings.RECOMMENDER_INDEX_DIR
    assert "/" not in folder.name and ":" not in folder.name


def test_index_rebuild_publishes_version_1_then_2(embedded_catalogue):
    assert index_rebuild() == 1
    assert index_rebuild() == 2
    assert version_numbers() == [1, 2]
    version, path = latest_version(fingerprint())
    assert version == 2 and path.is_file()
    assert len(load_latest(fingerprint())) == len(embedded_catalogue)


def test_only_the_newest_versions_are_kept(embedded_catalogue):
    for _ in range(KEEP_VERSIONS + 2):
        index_rebuild()
    assert version_numbers() == list(range(3, KEEP_VERSIONS + 3))
    assert sorted(path.name for path in snapshot_dir(fingerprint()).glob("*.faiss")) == [
        path.name for _, path in versions(fingerprint())
    ]


def test_current_index_builds_the_index_when_there_is_none(embedded_catalogue):
    assert len(current_index(fingerprint())) == len(embedded_catalogue)
    assert version_numbers() == [1]


def test_current_index_rebuilds_a_deleted_index_file(embedded_catalogue):
    index_rebuild()
    for _, path in versions(fingerprint()):
        path.unlink()
    assert len(current_index(fingerprint())) == len(embedded_catalogue)
    assert latest_version(fingerprint())[1].is_file()


def test_current_index_rebuilds_a_corrupt_index_file_and_searches_still_work(embedded_catalogue):
    index_rebuild()
    _, path = latest_version(fingerprint())
    path.write_bytes(b"garbage, not a FAISS index")
    assert len(current_index(fingerprint())) == len(embedded_catalogue)
    assert latest_version(fingerprint())[0] == 2
    found = similar_products(product=embedded_catalogue[0], k=3)
    assert len(found) == 3


def test_current_index_sees_a_new_version(embedded_catalogue):
    index_rebuild()
    assert len(current_index(fingerprint())) == len(embedded_catalogue)
    add_embedded_photo(embedded_catalogue[0])
    index_rebuild()
    assert len(current_index(fingerprint())) == len(embedded_catalogue) + 1


def test_a_reader_sees_an_index_rebuilt_after_the_index_files_were_deleted(embedded_catalogue):
    """The files are derived data that may be deleted; the version numbers then start again at 1."""
    index_rebuild()
    index_rebuild()
    assert len(current_index(fingerprint())) == len(
        embedded_catalogue
    )  # this process holds version 2
    for _, path in versions(fingerprint()):
        path.unlink()
    add_embedded_photo(embedded_catalogue[0])
    assert index_rebuild() == 1
    assert len(current_index(fingerprint())) == len(embedded_catalogue) + 1
