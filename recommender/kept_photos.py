"""Shoppers' photos kept for a while, so that search by photo has a results page at a GET
URL: a filter change, another page, a box or the Back button never needs the photo again.

They are kept in Django's default storage (the shared media storage: any web machine
answers) under FOLDER, not in the catalogue (no ProductImage, never indexed):

- `photo-searches/<sha256>.<jpg|png|webp>`: the checked upload, named for its content and
  its format (catalog.images.EXTENSIONS);
- `photo-searches/<sha256>.<tag>.npz`: the PhotoQuery (recommender.photo_query) of each
  (model fingerprint, box) searched, so that a page of results does not embed again.

A photo and its queries are one group, removed together by services.kept_photos_clean (by
age and by a total size cap). This module names, reads, writes and lists the files; the
writes are called by recommender.services only.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalog.images import EXTENSIONS

from .photo_query import PhotoQuery

FOLDER = "photo-searches"
DIGEST_PATTERN = "[0-9a-f]{64}"  # a SHA-256 in hex: the name of a kept photo
PHOTO_EXTENSIONS = tuple(sorted(set(EXTENSIONS.values())))  # jpg, png, webp


class PhotoNotKept(LookupError):
    """No kept photo has this digest: never sent, removed after its time, or damaged."""


@dataclass(frozen=True)
class KeptPhoto:
    """A kept photo: `digest` (SHA-256 of its bytes, hex) and `name` in the default storage."""

    digest: str
    name: str

    @property
    def url(self):
        """Where a browser gets it (MEDIA_URL: nginx in production, catalog.views.photo_file
        in the embedded default)."""
        return default_storage.url(self.name)


@dataclass(frozen=True)
class KeptGroup:
    """A kept photo's files as listed: `digest`, `photo` (its name, None when only queries
    are left), `names` (every file, the photo included), `size` in bytes and `time` (the
    photo's modification time, aware; the newest file's when there is no photo)."""

    digest: str
    photo: str | None
    names: tuple
    size: int
    time: datetime


def photo_name(digest, extension):
    """The storage name of a kept photo, e.g. "photo-searches/<digest>.jpg"."""
    return f"{FOLDER}/{digest}.{extension}"


def query_name(digest, box, model_fingerprint):
    """The storage name of the PhotoQuery of a kept photo's `box` (None: the whole photo) by
    the model of `model_fingerprint`: "photo-searches/<digest>.<16 hex>.npz"."""
    what = f"{model_fingerprint} {box.key() if box is not None else 'whole'}"
    return f"{FOLDER}/{digest}.{hashlib.sha256(what.encode()).hexdigest()[:16]}.npz"


def find_photo(digest):
    """The KeptPhoto of a digest; raises PhotoNotKept when there is none (or the digest is not
    a SHA-256 in lowercase hex)."""
    if re.fullmatch(DIGEST_PATTERN, digest):
        for extension in PHOTO_EXTENSIONS:
            name = photo_name(digest, extension)
            if default_storage.exists(name):
                return KeptPhoto(digest, name)
    raise PhotoNotKept(f"No photo {digest} is kept.")


def photo_content(photo):
    """The bytes of a KeptPhoto; raises PhotoNotKept when it has gone since it was found or
    its bytes are not those it is named for (a write cut short)."""
    try:
        with default_storage.open(photo.name, "rb") as file:
            content = file.read()
    except FileNotFoundError as error:
        raise PhotoNotKept(f"The photo {photo.digest} is no longer kept.") from error
    if hashlib.sha256(content).hexdigest() != photo.digest:
        raise PhotoNotKept(f"The kept photo {photo.digest} is damaged.")
    return content


def read_query(name):
    """The PhotoQuery saved under `name`, or None when there is none or it cannot be read
    (a write cut short: it is then computed again)."""
    try:
        with default_storage.open(name, "rb") as file:
            return PhotoQuery.from_bytes(file.read())
    except (FileNotFoundError, ValueError):
        return None


def write(name, content):
    """Store `content` (bytes) under `name`, replacing a file of that name. A write that
    fails leaves no file behind (a storage such as FileSystemStorage writes in place)."""
    if default_storage.exists(name):
        default_storage.delete(name)
    try:
        default_storage.save(name, ContentFile(content))
    except BaseException:
        default_storage.delete(name)
        raise


def delete(names):
    """Delete these files (those already gone are skipped)."""
    for name in names:
        default_storage.delete(name)


def groups():
    """Every kept photo's KeptGroup, oldest first; files of FOLDER not named for a digest
    (none is written so) form groups of their own with no photo."""
    try:
        _, files = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return []
    by_digest = {}
    for file in files:
        digest = re.match(DIGEST_PATTERN, file)
        by_digest.setdefault(digest[0] if digest else file, []).append(file)
    found = [group_of(digest, files) for digest, files in by_digest.items()]
    return sorted((group for group in found if group is not None), key=lambda group: group.time)


def group_of(digest, files):
    """The KeptGroup of one digest's `files` (names in FOLDER), leaving out files removed
    while it was listed; None when none is left."""
    photos = {f"{digest}.{extension}" for extension in PHOTO_EXTENSIONS}
    sizes, times = {}, {}
    for file in files:
        name = f"{FOLDER}/{file}"
        try:
            sizes[name], times[name] = (
                default_storage.size(name),
                default_storage.get_modified_time(name),
            )
        except FileNotFoundError:
            continue
    if not sizes:
        return None
    photo = next((f"{FOLDER}/{file}" for file in files if file in photos), None)
    return KeptGroup(
        digest=digest,
        photo=photo if photo in sizes else None,
        names=tuple(sizes),
        size=sum(sizes.values()),
        time=times[photo] if photo in times else max(times.values()),
    )
