"""Versioned index files: `<RECOMMENDER_INDEX_DIR>/<fingerprint>/v<version>.faiss`.

Writers publish a new version (atomic write, then the older files are pruned) under a
file lock; readers load the newest version and look for a newer one at most once a
second, each process keeping its copy (`loaded_index`). The files are derived data: any of
them can be deleted and rebuilt.
"""

import re
import time
from pathlib import Path

from django.conf import settings
from filelock import FileLock

from .index import CorruptIndex, load_index

VERSION_FILE = re.compile(r"^v(\d{8})\.faiss$")
KEEP_VERSIONS = 2  # a reader that just listed the folder can still open the previous file


def snapshot_dir(fingerprint):
    """The folder of a fingerprint's index files (characters other than letters,
    digits, _ . - replaced by _)."""
    return Path(settings.RECOMMENDER_INDEX_DIR) / re.sub(r"[^A-Za-z0-9_.-]", "_", fingerprint)


def versions(fingerprint):
    """Published versions, oldest first, as (version, path)."""
    folder = snapshot_dir(fingerprint)
    if not folder.is_dir():
        return []
    found = [
        (int(match.group(1)), folder / match.group(0))
        for match in map(VERSION_FILE.match, (path.name for path in folder.iterdir()))
        if match
    ]
    return sorted(found)


def latest_version(fingerprint):
    """(version, path) of the newest snapshot, or (0, None)."""
    found = versions(fingerprint)
    return found[-1] if found else (0, None)


def writer_lock(fingerprint):
    """Serialise writers of one fingerprint's index (other processes
    included): a context manager."""
    return FileLock(snapshot_dir(fingerprint) / ".lock")


def publish(fingerprint, index):
    """Write `index` as the next version; call under writer_lock. Returns the version."""
    version = latest_version(fingerprint)[0] + 1
    index.save(snapshot_dir(fingerprint) / f"v{version:08d}.faiss")
    for _, old in versions(fingerprint)[:-KEEP_VERSIONS]:
        old.unlink(missing_ok=True)
    return version


def load_latest(fingerprint):
    """The newest published index, read afresh, or None; raises
    CorruptIndex for an unreadable file."""
    _, path = latest_version(fingerprint)
    return load_index(path) if path else None


def holds_exactly(fingerprint, image_ids):
    """Whether the newest published index holds exactly these ids (False when there is none or
    its file cannot be read)."""
    try:
        index = load_latest(fingerprint)
    except CorruptIndex:
        return False
    return index is not None and set(index.ids().tolist()) == set(image_ids)


class LoadedIndex:
    """A reader's copy of the newest snapshot, reloaded when a newer version appears."""

    CHECK_EVERY_SECONDS = 1.0

    def __init__(self, fingerprint):
        self.fingerprint = fingerprint
        self.version = 0
        self.index = None
        self.checked_at = 0.0

    def newest(self, force=False):
        """The newest published index, or None when there is none yet."""
        now = time.monotonic()
        if force or self.index is None or now - self.checked_at >= self.CHECK_EVERY_SECONDS:
            self.checked_at = now
            self.load_if_changed()
        return self.index

    def load_if_changed(self):
        """Load the newest version when it is not the one held; raises CorruptIndex for a file
        that cannot be read."""
        # "Changed", not "newer": deleted snapshot files are rebuilt from version 1 again.
        for _ in range(3):
            version, path = latest_version(self.fingerprint)
            if path is None or version == self.version:
                return
            try:
                self.index, self.version = load_index(path), version
                return
            except FileNotFoundError:
                continue  # pruned by a writer between listing and opening: list again


_readers = {}  # fingerprint -> this process's LoadedIndex


def loaded_index(fingerprint, force=False):
    """This process's copy of the newest published index, reloaded when a newer version appears
    (looked for at most once a second, or now with `force`); None when none is published.
    Raises CorruptIndex for a file that cannot be read."""
    return _readers.setdefault(fingerprint, LoadedIndex(fingerprint)).newest(force)
