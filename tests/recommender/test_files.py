import os

import pytest

from recommender.files import LoadedFiles, write_atomically


def test_a_written_file_replaces_the_old_one_whole(tmp_path):
    path = tmp_path / "folder" / "model.onnx"
    write_atomically(path, lambda temporary: temporary.write_bytes(b"first"))
    write_atomically(path, lambda temporary: temporary.write_bytes(b"second"))
    assert path.read_bytes() == b"second"
    assert os.listdir(path.parent) == ["model.onnx"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old")

    def half_then_fail(temporary):
        temporary.write_bytes(b"ha")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, half_then_fail)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.onnx"]


def test_the_file_and_its_new_folders_are_group_readable_under_a_strict_umask(tmp_path):
    umask = os.umask(0o077)  # what a hardened service account has: files 0600, folders 0700
    try:
        path = write_atomically(
            tmp_path / "index" / "model" / "v1.faiss", lambda temporary: temporary.write_bytes(b"x")
        )
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
    assert [folder.stat().st_mode & 0o777 for folder in (path.parent, path.parent.parent)] == [
        0o755,
        0o755,
    ]


def test_a_loaded_file_is_read_once_and_again_when_it_changes(tmp_path):
    reads = []
    files = LoadedFiles(lambda path: reads.append(path) or path.read_text())
    path = tmp_path / "file.txt"
    assert files.get(path) is None
    path.write_text("one")
    assert files.get(path) == "one" and files.get(path) == "one"
    path.write_text("two")
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1_000_000))
    assert files.get(path) == "two"
    assert len(reads) == 2
    files.clear()
    assert files.get(path) == "two" and len(reads) == 3
