"""Versioned index files: `<RECOMMENDER_INDEX_DIR>/<fingerprint>/v<version>.faiss`.

Writers publish a new version (atomic write, then the older files are pruned) under a lock
(a Redis lock across machines, a file lock on one: writer_lock); readers load the newest
version and look for a newer one at most once a second, each process keeping its copy
(`loaded_index`). A reader that finds the newest file
damaged (its checksum, recommender.index) keeps the last good version and sends
`index_damaged` (a rebuild is queued). The files are derived data: any of them can be deleted
and rebuilt.
"""

import logging
import re
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import redis
from django.conf import settings
from filelock import FileLock
from redis.exceptions import LockError, LockNotOwnedError

from .files import make_folder
from .index import CorruptIndex, load_index
from .signals import index_damaged

logger = logging.getLogger(__name__)

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


# A writer holding the Redis lock longer than this (a killed process) loses it.
REDIS_LOCK_SECONDS = 600


@contextmanager
def writer_lock(fingerprint):
    """Serialise the writers of one fingerprint's index, on every machine: a context manager.
    With Redis (REDIS_URL), a Redis lock, which holds across machines; and a file lock in the
    index folder, which is enough on one machine, unless RECOMMENDER_INDEX_FILE_LOCK is off
    (file locks on a network file system are not reliable) and Redis serialises. Raises
    redis.exceptions.LockError when the Redis lock cannot be had in REDIS_LOCK_SECONDS."""
    folder = snapshot_dir(fingerprint)
    make_folder(folder)  # readable by all: the file lock would create it with the umask
    with ExitStack() as locks:
        if settings.REDIS_URL:
            locks.enter_context(redis_lock(f"lookalike:index-writer:{folder.name}"))
        if settings.RECOMMENDER_INDEX_FILE_LOCK or not settings.REDIS_URL:
            locks.enter_context(FileLock(folder / ".lock"))
        yield


@contextmanager
def redis_lock(name):
    """Hold the Redis lock `name`, for REDIS_LOCK_SECONDS at most (a killed holder's lock
    expires). A holder that outlived it has done its write: that is logged, not raised."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    lock = client.lock(name, timeout=REDIS_LOCK_SECONDS, blocking_timeout=REDIS_LOCK_SECONDS)
    try:
        if not lock.acquire():
            raise LockError(f"{name}: not had in {REDIS_LOCK_SECONDS} s")
        yield
        try:
            lock.release()
        except LockNotOwnedError:
            logger.warning("%s was held past %s s and had expired", name, REDIS_LOCK_SECONDS)
    finally:
        client.close()


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
    """A reader's copy of the newest good snapshot, reloaded when a newer version appears."""

    CHECK_EVERY_SECONDS = 1.0

    def __init__(self, fingerprint):
        self.fingerprint = fingerprint
        self.version = 0
        self.index = None
        self.checked_at = 0.0
        self.damaged = set()  # (version, modification time) of files found damaged: not read again

    def newest(self, force=False):
        """The newest good published index, or None when there is none."""
        now = time.monotonic()
        if force or self.index is None or now - self.checked_at >= self.CHECK_EVERY_SECONDS:
            self.checked_at = now
            self.load_if_changed()
        return self.index

    def load_if_changed(self):
        """Load the newest version when it is not the one held. A damaged file is logged and
        announced (index_damaged) once, and the last good version is kept: the one held, or,
        for a reader that holds none, the newest older file that reads."""
        for version, path in reversed(versions(self.fingerprint)):
            if version == self.version:
                return
            try:
                stamp = (version, path.stat().st_mtime_ns)
                if stamp in self.damaged:
                    continue
                self.index, self.version = load_index(path), version
                return
            except FileNotFoundError:
                continue  # pruned by a writer between listing and opening
            except CorruptIndex as error:
                self.damaged.add(stamp)
                logger.error("Index %s v%s is damaged: %s", self.fingerprint, version, error)
                index_damaged.send(LoadedIndex, fingerprint=self.fingerprint, version=version)
                if self.index is not None:
                    return


_readers = {}  # fingerprint -> this process's LoadedIndex


def loaded_index(fingerprint, force=False):
    """This process's copy of the newest good published index, reloaded when a newer version
    appears (looked for at most once a second, or now with `force`); None when no published file
    can be read (LoadedIndex.load_if_changed)."""
    return _readers.setdefault(fingerprint, LoadedIndex(fingerprint)).newest(force)
