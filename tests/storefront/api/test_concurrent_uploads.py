"""Two clients adding photos to one product at the same moment, through a real server: each gets
a clean answer, the product ends with one primary photo, and no file is left without its row."""

import threading
from pathlib import Path

import pytest
import requests
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from catalog.models import ProductImage
from tests.factories import ProductFactory
from tests.images import colour_for, image_bytes

TRIALS = 8


@pytest.fixture
def token(transactional_db):
    user = User.objects.create_user(username="staff", password="pw-for-tests", is_staff=True)
    return Token.objects.create(user=user).key


def add_at_once(url, token, photos):
    """POST each photo to `url` from its own thread, all released at the same moment; the
    responses in the order of `photos`."""
    barrier = threading.Barrier(len(photos))
    responses = [None] * len(photos)

    def add(number, content):
        barrier.wait()
        responses[number] = requests.post(
            url,
            files={"photo": ("photo.jpg", content, "image/jpeg")},
            headers={"Authorization": f"Token {token}"},
            timeout=60,
        )

    threads = [
        threading.Thread(target=add, args=(number, content))
        for number, content in enumerate(photos)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def stored_files(media_root):
    """The names of the photo files under media_root, as the storage names them."""
    root = Path(media_root)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def referenced_files():
    """The names of the files the rows refer to."""
    return {
        name
        for row in ProductImage.objects.values_list("image", "thumbnail")
        for name in row
        if name
    }


def test_the_same_photo_added_twice_at_once_is_201_and_400(live_server, token, media_root):
    for trial in range(TRIALS):
        product = ProductFactory(image=None)
        content = image_bytes(colour=colour_for(trial))
        responses = add_at_once(
            f"{live_server.url}/api/v1/products/{product.pk}/images/", token, [content, content]
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201, 400], [response.text for response in responses]
        refused = next(response for response in responses if response.status_code == 400)
        assert refused.json()["error"]["code"] == "duplicate_image"
        assert product.images.count() == 1
        assert product.images.get().is_primary
    assert stored_files(media_root) == referenced_files()


def test_two_first_photos_added_at_once_are_both_kept_with_one_primary(
    live_server, token, media_root
):
    for trial in range(TRIALS):
        product = ProductFactory(image=None)
        photos = [image_bytes(colour=colour_for(2 * trial + side)) for side in (100, 101)]
        responses = add_at_once(
            f"{live_server.url}/api/v1/products/{product.pk}/images/", token, photos
        )
        assert [response.status_code for response in responses] == [201, 201], [
            response.text for response in responses
        ]
        assert product.images.count() == 2
        assert product.images.filter(is_primary=True).count() == 1
    assert stored_files(media_root) == referenced_files()
