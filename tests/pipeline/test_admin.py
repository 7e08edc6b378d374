"""What operators see and do: embedding states, index status, re-embed and rebuild."""

import json
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse

from catalog.models import ProductImage
from catalog.services import image_thumbnail_make
from recommender import tasks
from recommender.embedding import fingerprint
from recommender.models import ImageEmbedding, PhotoEmbedding
from recommender.selectors import current_index
from recommender.services import catch_up
from recommender.snapshots import latest_version
from tests.recommender.helpers import demo_rows, import_products

pytestmark = pytest.mark.django_db(transaction=True)
STATES_URL = reverse("admin:recommender_photoembedding_changelist")


@pytest.fixture
def catalogue(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    products = import_products(tmp_path / "catalogue", demo_rows()[:3])
    catch_up()
    settings.RECOMMENDER_AUTO_UPDATE = True
    return products


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(
        django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    )
    return client


def test_the_states_page_shows_each_photo_and_the_index(
    catalogue, admin_client, settings, tmp_path
):
    settings.RECOMMENDER_AUTO_UPDATE = False
    pending = import_products(tmp_path / "more", demo_rows()[3:4])[0]
    failed = catalogue[1].primary_image
    ImageEmbedding.objects.filter(image=failed).update(
        status="failed", vector=None, error="OSError: broken file", attempts=2
    )
    page = admin_client.get(STATES_URL).content.decode()
    assert "efficientnet_lite0 as named, with its trained projection" in page
    assert f"version {latest_version(fingerprint())[0]}, 3 vectors" in page
    assert "4: 2 embedded, 1 pending, 1 failed" in page
    assert "OSError: broken file" in page
    pending_page = admin_client.get(STATES_URL, {"state": "pending"}).content.decode()
    assert pending.name in pending_page and catalogue[0].name not in pending_page


def test_re_embed_action_recomputes_the_selected_photos(catalogue, admin_client):
    photo = catalogue[0].primary_image
    before = ImageEmbedding.objects.get(image=photo).updated_at
    response = admin_client.post(
        STATES_URL, {"action": "reembed_selected", "_selected_action": [photo.id]}, follow=True
    )
    assert "1 photo(s) embedded again and brought up to date in the index." in (
        response.content.decode()
    )
    row = ImageEmbedding.objects.get(image=photo)
    assert row.status == "done" and row.updated_at > before


def test_rebuild_action_publishes_a_new_index_version(catalogue, admin_client):
    version = latest_version(fingerprint())[0]
    admin_client.post(
        STATES_URL, {"action": "rebuild_index", "_selected_action": [catalogue[0].primary_image.id]}
    )
    assert latest_version(fingerprint())[0] == version + 1


def test_re_embed_is_offered_on_the_product_list(catalogue, admin_client):
    response = admin_client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "reembed_products", "_selected_action": [product.pk for product in catalogue]},
        follow=True,
    )
    assert "3 photo(s) embedded again" in response.content.decode()


def test_status_command_prints_the_same_figures(catalogue, capsys):
    call_command("recommender_status", "--json")
    status = json.loads(capsys.readouterr().out)
    assert status["backbone"] == "efficientnet_lite0"
    assert status["backbone_choice"] == "efficientnet_lite0 as named, with its trained projection"
    assert (status["index_size"], status["embedded"], status["pending"], status["failed"]) == (
        3,
        3,
        0,
        0,
    )
    assert status["index_age_seconds"] >= 0
    call_command("recommender_status")
    assert "index version" in capsys.readouterr().out


def test_the_states_page_cannot_delete_a_photo(catalogue, admin_client):
    photo = catalogue[0].primary_image
    page = admin_client.get(STATES_URL).content.decode()
    assert "delete_selected" not in page
    response = admin_client.post(
        STATES_URL, {"action": "delete_selected", "_selected_action": [photo.id], "post": "yes"}
    )
    assert response.status_code in (200, 302)
    delete_url = reverse("admin:recommender_photoembedding_delete", args=[photo.id])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert ProductImage.objects.filter(pk=photo.pk).exists()


def test_dropping_vectors_keeps_the_photos_and_the_index_follows(catalogue, admin_client):
    photo = catalogue[0].primary_image
    response = admin_client.post(
        STATES_URL, {"action": "drop_vectors", "_selected_action": [photo.id]}, follow=True
    )
    assert "Vectors of 1 photo(s) dropped" in response.content.decode()
    assert "the photos and their products stay" in response.content.decode()
    assert ProductImage.objects.filter(pk=photo.pk).exists()
    assert not ImageEmbedding.objects.filter(image=photo).exists()
    assert photo.pk not in current_index(fingerprint()).ids().tolist()
    assert len(current_index(fingerprint())) == 2


def test_a_photo_deleted_through_its_proxy_loses_its_files_and_its_vector(catalogue):
    photo = PhotoEmbedding.objects.get(pk=catalogue[0].primary_image.pk)
    image_thumbnail_make(image=photo)
    names = [photo.image.name, photo.thumbnail.name]
    assert all(default_storage.exists(name) for name in names)
    photo.delete()
    assert not any(default_storage.exists(name) for name in names)
    assert photo.pk not in current_index(fingerprint()).ids().tolist()


def test_the_product_list_and_page_show_each_photos_vector(catalogue, admin_client):
    indexed, failed = catalogue[0], catalogue[1]
    ImageEmbedding.objects.filter(image=failed.primary_image).update(
        status=ImageEmbedding.Status.FAILED, vector=None, error="OSError: truncated file"
    )
    listing = admin_client.get(reverse("admin:catalog_product_changelist")).content.decode()
    assert "1 done; 1 of 1 in the index" in listing
    assert "1 failed; 1 of 1 in the index" in listing  # the index has not followed yet
    page = admin_client.get(reverse("admin:catalog_product_change", args=[failed.pk]))
    assert "Photo 1 (primary): failed: OSError: truncated file · in the index" in (
        page.content.decode()
    )
    page = admin_client.get(reverse("admin:catalog_product_change", args=[indexed.pk]))
    assert "Photo 1 (primary): done · in the index" in page.content.decode()


def test_with_workers_the_actions_say_their_work_is_queued(catalogue, admin_client):
    photo = catalogue[0].primary_image
    with (
        mock.patch("recommender.admin.tasks_run_in_process", return_value=False),
        mock.patch.object(tasks.rebuild_index, "delay") as rebuild,
        mock.patch.object(tasks.embed_images, "delay"),
    ):
        said = [
            admin_client.post(
                STATES_URL, {"action": action, "_selected_action": [photo.id]}, follow=True
            ).content.decode()
            for action in ("rebuild_index", "reembed_selected")
        ]
    assert "The index rebuild is queued for the workers." in said[0]
    assert "1 photo(s) queued for embedding by the workers." in said[1]
    assert rebuild.called
