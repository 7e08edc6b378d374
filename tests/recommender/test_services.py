import hashlib
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile

from catalog.models import Product
from catalog.services import products_set_active
from recommender import embedding, services
from recommender.embedding import fingerprint
from recommender.models import ImageEmbedding, PhotoEmbedding
from recommender.selectors import similar_products
from recommender.services import (
    embeddings_update,
    index_rebuild,
    index_refresh_images,
)
from recommender.snapshots import latest_version, load_latest
from tests.factories import ProductFactory
from tests.recommender.helpers import add_photo, flipped_photo, random_unit_vectors, resized_photo

pytestmark = pytest.mark.django_db


def indexed_ids():
    return set(load_latest(fingerprint()).ids().tolist())


def image_ids(products):
    return {product.primary_image.id for product in products}


def stored_vector(image):
    return ImageEmbedding.from_bytes(
        ImageEmbedding.objects.get(image=image, fingerprint=fingerprint()).vector
    )


def test_embeddings_update_stores_one_vector_per_photo_under_the_fingerprint(small_catalogue):
    report = embeddings_update()
    assert (report.fingerprint, report.embedded, report.failed) == (
        fingerprint(),
        len(small_catalogue),
        [],
    )
    rows = ImageEmbedding.objects.all()
    assert {row.image_id for row in rows} == image_ids(small_catalogue)
    assert {row.fingerprint for row in rows} == {fingerprint()}
    assert all(row.image_sha256 == row.image.sha256 for row in rows)
    assert len({len(ImageEmbedding.from_bytes(row.vector)) for row in rows}) == 1
    assert not PhotoEmbedding.objects.without_current_vector(fingerprint()).exists()


def test_a_second_embeddings_update_embeds_nothing(embedded_catalogue):
    assert embeddings_update().embedded == 0
    assert ImageEmbedding.objects.count() == len(embedded_catalogue)


def test_embeddings_update_can_be_limited_to_some_photos(small_catalogue):
    chosen = small_catalogue[0].primary_image
    assert embeddings_update(image_ids=[chosen.id]).embedded == 1
    assert list(ImageEmbedding.objects.values_list("image_id", flat=True)) == [chosen.id]


def test_a_replaced_photo_is_stale_and_its_vector_recomputed(embedded_catalogue):
    image = embedded_catalogue[0].primary_image
    before = stored_vector(image)
    content = Path(embedded_catalogue[1].primary_image.image.path).read_bytes()
    image.sha256 = hashlib.sha256(content).hexdigest()
    image.image.save("replacement.jpg", ContentFile(content))

    assert list(PhotoEmbedding.objects.without_current_vector(fingerprint())) == [image]
    assert embeddings_update().embedded == 1
    assert ImageEmbedding.objects.get(image=image).image_sha256 == image.sha256
    assert not np.array_equal(stored_vector(image), before)


def test_a_photo_that_cannot_be_read_is_reported_and_the_others_are_embedded(small_catalogue):
    broken = small_catalogue[2].primary_image
    Path(broken.image.path).write_bytes(b"these bytes are not a photo")
    report = embeddings_update()
    assert [image_id for image_id, _ in report.failed] == [broken.id]
    assert report.embedded == len(small_catalogue) - 1
    done = ImageEmbedding.objects.filter(status=ImageEmbedding.Status.DONE)
    assert set(done.values_list("image_id", flat=True)) == image_ids(small_catalogue) - {broken.id}
    failure = ImageEmbedding.objects.get(image=broken)
    assert (failure.status, failure.attempts, failure.vector) == (
        ImageEmbedding.Status.FAILED,
        1,
        None,
    )
    assert "cannot identify image file" in failure.error


def test_a_misconfigured_runtime_stops_the_update_without_marking_any_photo_failed(
    small_catalogue, settings, monkeypatch
):
    monkeypatch.setattr(
        services, "embed_files", embedding.embed_files
    )  # not the session's cached vectors
    settings.RECOMMENDER_RUNTIME = "tensorrt"
    with pytest.raises(ImproperlyConfigured, match="RECOMMENDER_RUNTIME='tensorrt'"):
        embeddings_update()
    assert not ImageEmbedding.objects.exists()  # fixed and run again, every photo is embedded


def test_a_vector_from_another_model_is_never_used(embedded_catalogue):
    stranger = ProductFactory()  # its photo has no vector from the current model
    photo = stranger.primary_image
    vector_length = len(stored_vector(embedded_catalogue[0].primary_image))
    ImageEmbedding.objects.create(
        image=photo,
        fingerprint="other-model",
        image_sha256=photo.sha256,
        vector=ImageEmbedding.to_bytes(random_unit_vectors(1, vector_length)[0]),
    )
    index_rebuild()
    assert indexed_ids() == image_ids(embedded_catalogue)
    assert similar_products(product=stranger) == []
    found = similar_products(product=embedded_catalogue[0], k=len(embedded_catalogue) + 1)
    assert stranger not in [result.product for result in found]


@pytest.fixture
def indexed_catalogue(embedded_catalogue):
    index_rebuild()
    return embedded_catalogue


def test_index_refresh_adds_a_new_photo_without_a_rebuild(indexed_catalogue):
    product, other = indexed_catalogue[0], indexed_catalogue[3]
    new_photo = add_photo(product, flipped_photo(product))
    not_refreshed = add_photo(other, resized_photo(other, 150))
    embeddings_update()
    version_before = latest_version(fingerprint())[0]

    assert index_refresh_images(image_ids=[new_photo.id]) == version_before + 1
    # Only the named photo is added: a rebuild would have added the other new one too.
    assert indexed_ids() == image_ids(indexed_catalogue) | {new_photo.id}
    assert not_refreshed.id not in indexed_ids()


def test_index_refresh_drops_the_photos_of_a_deactivated_product(indexed_catalogue):
    product = indexed_catalogue[1]
    products_set_active(queryset=Product.objects.filter(pk=product.pk), is_active=False)
    index_refresh_images(image_ids=[product.primary_image.id])
    assert indexed_ids() == image_ids(indexed_catalogue) - {product.primary_image.id}


def test_index_refresh_drops_a_deleted_photo(indexed_catalogue):
    image = indexed_catalogue[4].primary_image
    image_id, remaining = image.id, image_ids(indexed_catalogue) - {image.id}
    image.delete()
    index_refresh_images(image_ids=[image_id])
    assert indexed_ids() == remaining
