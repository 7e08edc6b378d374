"""Shoppers' photos kept for search by photo: stored under their hash in the media storage,
their queries kept beside them, removed by age and by a size cap."""

import hashlib
import os
import time

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.images import check_image_bytes
from catalog.models import ProductImage
from fashionsite.celery import app
from recommender import kept_photos, selectors, tasks
from recommender.kept_photos import PhotoNotKept
from recommender.photo_query import Box, PhotoQuery
from recommender.selectors import kept_photo, photo_checked, search_kept_photo
from recommender.services import kept_photos_clean, photo_keep, photo_query_keep
from tests.images import colour_for, image_bytes

pytestmark = pytest.mark.django_db
HOUR = 3600


def keep(n=0, image_format="JPEG", size=(64, 48)):
    """Keep a made photo of colour n; its KeptPhoto."""
    return photo_keep(checked=check_image_bytes(image_bytes(colour_for(n), size, image_format)))


def age(name, hours):
    """Make a stored file `hours` old."""
    then = time.time() - hours * HOUR
    os.utime(default_storage.path(name), (then, then))


def stored():
    """The names in the kept photos' folder, sorted."""
    return sorted(default_storage.listdir(kept_photos.FOLDER)[1])


def a_query(rows=2):
    return PhotoQuery(np.eye(rows, 8, dtype=np.float32))


def test_a_photo_is_kept_under_its_hash_and_format_outside_the_catalogue(media_root):
    jpeg, png = image_bytes(), image_bytes(colour_for(1), image_format="PNG")
    kept = [photo_keep(checked=check_image_bytes(content)) for content in (jpeg, png)]
    digests = [hashlib.sha256(content).hexdigest() for content in (jpeg, png)]
    assert [photo.name for photo in kept] == [
        f"photo-searches/{digests[0]}.jpg",
        f"photo-searches/{digests[1]}.png",
    ]
    assert (media_root / kept[0].name).read_bytes() == jpeg
    assert kept[0].url == f"/media/photo-searches/{digests[0]}.jpg"
    assert ProductImage.objects.count() == 0


def test_the_same_photo_sent_again_is_kept_once_and_from_then(settings):
    settings.RECOMMENDER_KEPT_PHOTOS_HOURS = 2
    photo = keep()
    age(photo.name, 1.5)
    assert keep() == photo
    assert stored() == [photo.name.split("/")[1]]
    settings.RECOMMENDER_KEPT_PHOTOS_HOURS = 1  # it would be gone were its age the first one's
    assert kept_photos_clean()["kept"] == 1


def test_a_kept_photo_is_found_by_its_digest_and_nothing_else():
    photo = keep(image_format="WEBP")
    assert kept_photo(photo.digest) == photo
    for digest in ("0" * 64, photo.digest.upper(), photo.digest[:-1], "../" + photo.digest):
        with pytest.raises(PhotoNotKept):
            kept_photo(digest)


def test_photo_checked_refuses_a_bad_upload():
    with pytest.raises(ValidationError, match="not an image"):
        photo_checked(SimpleUploadedFile("notes.jpg", b"not a photo"))
    assert photo_checked(SimpleUploadedFile("p.jpg", image_bytes())).format == "JPEG"


@pytest.fixture
def embeddings(monkeypatch):
    """The (photo bytes' hash, box) of each embed_photo_query call of the selectors; searches
    return [] (no index needed)."""
    calls = []

    def embed(content, box=None):
        calls.append((hashlib.sha256(content).hexdigest(), box))
        return a_query()

    monkeypatch.setattr(selectors, "embed_photo_query", embed)
    monkeypatch.setattr(selectors, "search_by_photo_query", lambda query, k, filters: [])
    return calls


def test_a_kept_photo_is_embedded_once_for_each_box(embeddings):
    photo = keep()
    box = Box(0.1, 0.2, 0.6, 0.9)
    for searched in (None, None, box, box, Box(0.1, 0.2, 0.6, 0.9), None):
        assert search_kept_photo(photo=photo, k=5, box=searched) == []
    assert embeddings == [(photo.digest, None), (photo.digest, box)]
    assert len([name for name in stored() if name.endswith(".npz")]) == 2


def test_the_kept_query_is_the_one_searched(monkeypatch, embeddings):
    photo = keep()
    searched = []
    monkeypatch.setattr(
        selectors, "search_by_photo_query", lambda query, k, filters: searched.append(query)
    )
    search_kept_photo(photo=photo, k=5)
    search_kept_photo(photo=photo, k=5)
    assert np.array_equal(searched[0].vectors, a_query().vectors)
    assert np.array_equal(searched[1].vectors, a_query().vectors)


def test_a_query_file_that_cannot_be_read_is_computed_again(embeddings):
    photo = keep()
    search_kept_photo(photo=photo, k=5)
    (query_file,) = [name for name in stored() if name.endswith(".npz")]
    with default_storage.open(f"{kept_photos.FOLDER}/{query_file}", "wb") as file:
        file.write(b"half a file")
    search_kept_photo(photo=photo, k=5)
    assert len(embeddings) == 2
    assert kept_photos.read_query(f"{kept_photos.FOLDER}/{query_file}") is not None


def test_a_damaged_kept_photo_is_not_searched(embeddings):
    photo = keep()
    with default_storage.open(photo.name, "wb") as file:
        file.write(image_bytes()[:100])  # a write cut short
    with pytest.raises(PhotoNotKept, match="damaged"):
        search_kept_photo(photo=photo, k=5)
    assert embeddings == []


def test_a_photo_removed_after_it_was_found_is_not_kept(embeddings):
    photo = keep()
    default_storage.delete(photo.name)
    with pytest.raises(PhotoNotKept):
        search_kept_photo(photo=photo, k=5)


def test_photos_past_their_time_go_with_their_queries(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # only the explicit clean-up below
    settings.RECOMMENDER_KEPT_PHOTOS_HOURS = 24
    old, new = keep(1), keep(2)
    photo_query_keep(photo=old, box=None, query=a_query())
    photo_query_keep(photo=new, box=Box(0, 0, 0.5, 0.5), query=a_query())
    age(old.name, 25)
    age(new.name, 23)
    assert kept_photos_clean() == {"removed": 1, "kept": 1, "bytes": folder_bytes()}
    assert [name.split(".")[0] for name in stored()] == [new.digest, new.digest]


def test_the_oldest_photos_go_when_they_take_more_than_the_cap(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    photos = [keep(n, size=(200, 200)) for n in range(3)]
    for hours, photo in zip((3, 2, 1), photos):
        age(photo.name, hours)
    sizes = [default_storage.size(photo.name) for photo in photos]
    settings.RECOMMENDER_KEPT_PHOTOS_MAX_BYTES = sizes[1] + sizes[2]
    assert kept_photos_clean()["removed"] == 1
    assert stored() == sorted(photo.name.split("/")[1] for photo in photos[1:])
    assert kept_photos_clean(room=1)["removed"] == 1  # room for one byte more
    assert stored() == [photos[2].name.split("/")[1]]


def test_files_left_of_a_removed_photo_go_at_once(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    photo = keep()
    photo_query_keep(photo=photo, box=None, query=a_query())
    default_storage.delete(photo.name)
    assert kept_photos_clean() == {"removed": 0, "kept": 0, "bytes": 0}
    assert stored() == []


def test_with_tasks_in_process_a_later_upload_cleans_up(settings):
    settings.RECOMMENDER_KEPT_PHOTOS_HOURS = 1
    settings.CELERY_TASK_ALWAYS_EAGER = False
    old = keep(1)
    age(old.name, 2)
    keep(2)
    assert old.name.split("/")[1] in stored()  # beat's job when tasks run on workers
    settings.CELERY_TASK_ALWAYS_EAGER = True
    new = keep(3)
    assert old.name.split("/")[1] not in stored() and new.name.split("/")[1] in stored()


def test_an_upload_makes_room_for_itself_under_the_cap(settings):
    first = keep(1, size=(200, 200))
    age(first.name, 1)
    settings.RECOMMENDER_KEPT_PHOTOS_MAX_BYTES = default_storage.size(first.name) + 10
    second = keep(2, size=(200, 200))
    assert stored() == [second.name.split("/")[1]]


def test_cleaning_an_empty_folder_does_nothing():
    assert kept_photos_clean() == {"removed": 0, "kept": 0, "bytes": 0}


def test_beat_runs_the_clean_up(settings):
    schedule = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "recommender.tasks.kept_photos_clean" in schedule
    assert "recommender.tasks.kept_photos_clean" in app.tasks
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.RECOMMENDER_KEPT_PHOTOS_HOURS = 1
    photo = keep()
    age(photo.name, 2)
    assert tasks.kept_photos_clean() == {"removed": 1, "kept": 0, "bytes": 0}


def test_a_failed_write_leaves_no_file(monkeypatch):
    def broken_save(storage, name, content):
        os.makedirs(os.path.dirname(storage.path(name)), exist_ok=True)
        with open(storage.path(name), "wb") as file:
            file.write(content.read()[:10])
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "_save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        keep()
    assert stored() == []


def folder_bytes():
    return sum(default_storage.size(f"{kept_photos.FOLDER}/{name}") for name in stored())
