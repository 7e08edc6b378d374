"""Two clients adding photos to one product at the same moment, through a real server: each gets
a clean answer, the product ends with one primary photo, and no file is left without its row."""

import threading
from pathlib import Path

import pytest
import requests
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from catalog.models import ProductImage
from tests.factories import ProductFactory, ProductImageFactory
from tests.images import colour_for, image_bytes

TRIALS = 8


@pytest.fixture
def token(transactional_db):
    user = User.objects.create_user(username="staff", password="pw-for-tests", is_staff=True)
    return Token.objects.create(user=user).key


def at_once(*calls):
    """Run each call in its own thread, all released at the same moment; their results, in
    order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(number, call):
        barrier.wait()
        results[number] = call()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def adding(url, token, content, **fields):
    """A call that POSTs the photo `content` to a product's images `url`."""
    return lambda: requests.post(
        url,
        data=fields,
        files={"photo": ("photo.jpg", content, "image/jpeg")},
        headers={"Authorization": f"Token {token}"},
        timeout=60,
    )


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
        url = f"{live_server.url}/api/v1/products/{product.pk}/images/"
        responses = at_once(adding(url, token, content), adding(url, token, content))
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
        url = f"{live_server.url}/api/v1/products/{product.pk}/images/"
        responses = at_once(*(adding(url, token, photo) for photo in photos))
        assert [response.status_code for response in responses] == [201, 201], [
            response.text for response in responses
        ]
        assert product.images.count() == 2
        assert product.images.filter(is_primary=True).count() == 1
    assert stored_files(media_root) == referenced_files()


def deleting(url, token):
    """A call that DELETEs the image at `url`."""
    return lambda: requests.delete(url, headers={"Authorization": f"Token {token}"}, timeout=60)


def test_a_primary_deleted_while_a_new_primary_is_added_leaves_one_primary(
    live_server, token, media_root
):
    for trial in range(TRIALS):
        product = ProductFactory(image=None)
        first, _ = (ProductImageFactory(product=product) for _ in range(2))
        url = f"{live_server.url}/api/v1/products/{product.pk}/images/"
        content = image_bytes(colour=colour_for(300 + trial))
        responses = at_once(
            deleting(f"{url}{first.pk}/", token), adding(url, token, content, is_primary="true")
        )
        assert [response.status_code for response in responses] == [204, 201], [
            response.text for response in responses
        ]
        assert product.images.count() == 2
        assert product.images.get(is_primary=True).pk == responses[1].json()["id"]
    assert stored_files(media_root) == referenced_files()
