import os
from unittest import mock

import numpy as np
import pytest

from recommender import selectors, snapshots
from recommender.embedding import fingerprint
from recommender.index import CorruptIndex
from recommender.selectors import current_index, similar_products
from recommender.services import catch_up, embeddings_update, index_rebuild
from recommender.signals import index_damaged
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


def overwrite_half_the_vectors(path, dimension):
    """Overwrite the second half of the vectors of an exact index file with other numbers, its
    header and ids left as they are (fault 6 of issue 19)."""
    data = bytearray(path.read_bytes())
    count = len(load_latest(fingerprint()))
    vectors_end = data.rfind(b"IxM2") if b"IxM2" in data else len(data)  # ids follow the vectors
    start = vectors_end - count * dimension * 4 // 2
    data[start:vectors_end] = np.random.default_rng(0).bytes(vectors_end - start)
    path.write_bytes(bytes(data))


def test_a_damaged_newest_file_is_passed_over_logged_and_rebuilt(
    embedded_catalogue, caplog, django_capture_on_commit_callbacks
):
    index_rebuild()
    held = current_index(fingerprint())  # this process holds version 1
    add_embedded_photo(embedded_catalogue[0])
    index_rebuild()
    _, path = latest_version(fingerprint())
    overwrite_half_the_vectors(path, held.dimension)
    with pytest.raises(CorruptIndex, match="checksum"):
        load_latest(fingerprint())
    # Tasks run in-process here: the queued rebuild publishes version 3 once queued.
    with django_capture_on_commit_callbacks(execute=True):
        assert snapshots.loaded_index(fingerprint(), force=True) is held
    assert f"Index {fingerprint()} v2 is damaged" in caplog.text
    assert latest_version(fingerprint())[0] == 3
    assert len(snapshots.loaded_index(fingerprint(), force=True)) == len(embedded_catalogue) + 1


def test_a_reader_without_a_good_index_takes_the_newest_good_file(embedded_catalogue):
    index_rebuild()
    index_rebuild()
    _, path = latest_version(fingerprint())
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # one bit pattern changed
    rebuilds = []
    index_damaged.connect(lambda **kwargs: rebuilds.append(kwargs["version"]), weak=False)
    try:
        reader = snapshots.LoadedIndex(fingerprint())
        assert (reader.newest().ids().size, reader.version) == (len(embedded_catalogue), 1)
    finally:
        index_damaged.receivers.pop()
    assert rebuilds == [2]


def test_the_catch_up_verifies_the_checksum(embedded_catalogue):
    index_rebuild()
    _, path = latest_version(fingerprint())
    overwrite_half_the_vectors(path, load_latest(fingerprint()).dimension)
    assert catch_up()["index_rebuilt"]
    assert load_latest(fingerprint()).ids().size == len(embedded_catalogue)


def test_with_workers_a_reader_with_no_index_queues_the_rebuild_and_searches_the_database(
    embedded_catalogue, django_capture_on_commit_callbacks
):
    queued = []
    with (
        mock.patch.object(selectors, "tasks_run_in_process", return_value=False),
        mock.patch.object(selectors.tasks.rebuild_index, "delay", queued.append),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert len(current_index(fingerprint())) == len(embedded_catalogue)
        assert len(current_index(fingerprint())) == len(embedded_catalogue)
    assert queued == [fingerprint()]  # once, not once a search
    assert versions(fingerprint()) == []  # the web process published nothing


def test_a_new_index_folder_is_readable_by_all_under_a_strict_umask(embedded_catalogue, settings):
    settings.RECOMMENDER_INDEX_DIR = settings.RECOMMENDER_INDEX_DIR / "new" / "index"
    umask = os.umask(0o077)
    try:
        index_rebuild()
    finally:
        os.umask(umask)
    _, path = latest_version(fingerprint())
    assert [folder.stat().st_mode & 0o777 for folder in (path.parent, path.parent.parent)] == [
        0o755,
        0o755,
    ]
    assert path.stat().st_mode & 0o777 == 0o644
