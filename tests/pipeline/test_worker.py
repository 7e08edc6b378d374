"""The async pipeline with real components: a redis-server and Celery worker processes
that these tests start and stop (never the machine's shared Redis)."""

import re
import time

import numpy as np
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from catalog.models import Product
from catalog.services import product_image_add
from fashionsite.celery import app as celery_app
from recommender import snapshots, tasks
from recommender.embedding import fingerprint, vector_model
from recommender.index import build_index
from recommender.models import ImageEmbedding
from recommender.selectors import current_index, similar_products
from recommender.services import embeddings_update
from tests.pipeline.processes import RedisServer, beat, wait_for, worker
from tests.recommender.helpers import demo_rows, import_products

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
VISIBILITY_TIMEOUT = 3


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db["HOST"] or "localhost", db["PORT"] or 5432
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"


def use_broker(url, eager):
    """Point this process's Celery app at another broker, dropping its pooled connections."""
    celery_app.conf.update(broker_url=url, task_always_eager=eager)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def env(redis, settings):
    """The environment of worker processes: this test's database, media, index and broker."""
    settings.RECOMMENDER_AUTO_UPDATE = True
    use_broker(redis.url, eager=False)
    yield {
        "DJANGO_SETTINGS_MODULE": "fashionsite.settings.test",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "RECOMMENDER_INDEX_DIR": str(settings.RECOMMENDER_INDEX_DIR),
        "REDIS_URL": redis.url,
        "RECOMMENDER_AUTO_UPDATE": "true",
        "RECOMMENDER_BACKBONE": "efficientnet_lite0",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "RECOMMENDER_CATCH_UP_SECONDS": "2",
    }
    use_broker("memory://", eager=True)


@pytest.fixture
def running_worker(env):
    process = worker(env).start()
    process.wait_for_log("ready.")
    yield process
    process.stop()


@pytest.fixture
def catalogue(env, tmp_path):
    """12 demo products, embedded and indexed (in this process, before any worker runs)."""
    from recommender.services import catch_up

    settings.RECOMMENDER_AUTO_UPDATE = False
    products = import_products(tmp_path / "catalogue", demo_rows()[::3])
    catch_up()
    settings.RECOMMENDER_AUTO_UPDATE = True
    return products


def new_product_like(source, name="New arrival"):
    product = Product.objects.create(
        name=name,
        gender=source.gender,
        master_category=source.master_category,
        sub_category=source.sub_category,
        article_type=source.article_type,
    )
    with open(source.primary_image.image.path, "rb") as photo:
        product_image_add(product=product, file=SimpleUploadedFile("photo.jpg", photo.read()))
    return product


def indexed_photo_ids():
    return current_index(fingerprint()).ids().tolist()


def done_rows(image):
    return ImageEmbedding.objects.filter(image=image, status=ImageEmbedding.Status.DONE)


def test_an_uploaded_photo_shows_in_more_like_this_of_another_process(catalogue, running_worker):
    source = catalogue[0]
    started = time.monotonic()
    newcomer = new_product_like(source)
    wait_for(
        lambda: newcomer in [r.product for r in similar_products(product=source, k=3)],
        30,
        "the new product did not show in the neighbours' results",
    )
    assert time.monotonic() - started < 30
    assert done_rows(newcomer.primary_image).count() == 1


def test_an_import_is_embedded_by_the_workers_batch_by_batch(env, running_worker, tmp_path):
    products = import_products(tmp_path / "catalogue", demo_rows()[:8], batch_size=4)
    photo_ids = {product.primary_image.id for product in products}
    wait_for(
        lambda: photo_ids <= set(indexed_photo_ids()), 60, "the imported photos were not indexed"
    )
    log = running_worker.log()
    # one task a batch (counted by id: a task held past the visibility timeout comes again)
    assert len(set(re.findall(r"embed_images\[([^]]+)\] received", log))) == 2
    assert not re.search(r"catch_up\[[^]]+\] received", log)


def succeeded(machine):
    """The ids of the refresh_index tasks a worker has finished. A task held past the
    visibility timeout is delivered again, so logged lines are no count of tasks."""
    return set(re.findall(r"refresh_index\[([^]]+)\] succeeded", machine.log()))


def test_two_workers_without_file_locks_lose_no_index_update(env, tmp_path):
    """Index writers on two machines share no file lock: the Redis lock serialises them."""
    settings.RECOMMENDER_AUTO_UPDATE = False
    products = import_products(tmp_path / "catalogue", demo_rows())
    embeddings_update()
    model = fingerprint()
    with snapshots.writer_lock(model):
        snapshots.publish(model, build_index(vector_model().size, [], np.zeros((0, 1))))
    machines = [worker(env | {"RECOMMENDER_INDEX_FILE_LOCK": "false"}, name) for name in "ab"]
    for machine in machines:
        machine.start().wait_for_log("ready.")
    try:
        photo_ids = [product.primary_image.id for product in products]
        # one refresh a photo: each reads, adds one, publishes
        sent = {tasks.refresh_index.delay([photo_id]).id for photo_id in photo_ids}
        wait_for(
            lambda: (
                all(succeeded(machine) for machine in machines)
                and sent <= set().union(*map(succeeded, machines))
            ),
            60,
            "the workers did not run every refresh",
        )
    finally:
        for machine in machines:
            machine.stop()
    assert sorted(snapshots.load_latest(model).ids().tolist()) == sorted(photo_ids)


def test_deactivation_and_deletion_propagate(catalogue, running_worker):
    deactivated, deleted = catalogue[1], catalogue[2]
    deactivated_photo, deleted_photo = deactivated.primary_image.id, deleted.primary_image.id
    deactivated.is_active = False
    deactivated.save()
    deleted.delete()
    wait_for(
        lambda: not {deactivated_photo, deleted_photo} & set(indexed_photo_ids()),
        30,
        "the deactivated and deleted products stayed in the index",
    )
    assert deactivated not in [
        r.product for r in similar_products(product=catalogue[0], k=len(catalogue))
    ]


def test_a_worker_killed_mid_task_has_the_task_redelivered(catalogue, env):
    newcomer = new_product_like(catalogue[0])  # queued: no worker is running yet
    doomed = worker(env, "doomed").start()
    doomed.wait_for_log(
        "recommender.tasks.embed_images"
    )  # received: now loading the model, embedding
    doomed.kill()
    assert not done_rows(newcomer.primary_image).exists()
    time.sleep(VISIBILITY_TIMEOUT + 1)
    survivor = worker(env, "survivor").start()
    try:
        wait_for(
            lambda: newcomer.primary_image.id in indexed_photo_ids(),
            60,
            "the task was not redelivered",
        )
    finally:
        survivor.stop()
    assert done_rows(newcomer.primary_image).count() == 1
    assert ImageEmbedding.objects.filter(image=newcomer.primary_image).count() == 1
    assert indexed_photo_ids().count(newcomer.primary_image.id) == 1


def test_a_save_while_redis_is_down_succeeds_and_catch_up_completes_it(
    catalogue, env, redis, running_worker, tmp_path
):
    redis.stop()
    started = time.monotonic()
    newcomer = new_product_like(catalogue[0])
    assert time.monotonic() - started < 10
    assert Product.objects.filter(pk=newcomer.pk).exists()
    assert not done_rows(newcomer.primary_image).exists()  # pending
    redis.start()
    scheduler = beat(env, tmp_path).start()
    try:
        wait_for(
            lambda: newcomer.primary_image.id in indexed_photo_ids(),
            60,
            "the catch-up did not complete it",
        )
    finally:
        scheduler.stop()
    assert done_rows(newcomer.primary_image).count() == 1


def test_a_corrupt_photo_fails_with_bounded_retries_without_blocking_the_queue(
    catalogue, running_worker
):
    settings.RECOMMENDER_AUTO_UPDATE = False
    broken, healthy = (
        new_product_like(catalogue[0], "Broken"),
        new_product_like(catalogue[1], "Healthy"),
    )
    with open(broken.primary_image.image.path, "wb") as file:
        file.write(b"this file was damaged on disk")
    tasks.embed_images.delay([broken.primary_image.id])
    tasks.embed_images.delay([healthy.primary_image.id])
    wait_for(lambda: healthy.primary_image.id in indexed_photo_ids(), 30, "the queue was blocked")
    for _ in range(4):
        tasks.catch_up.delay()
    wait_for(
        lambda: ImageEmbedding.objects.filter(image=broken.primary_image, attempts=3).exists(),
        60,
        "the failing photo was not retried up to the bound",
    )
    time.sleep(3)  # the last catch-up must leave it alone
    failure = ImageEmbedding.objects.get(image=broken.primary_image)
    assert (failure.status, failure.attempts) == (ImageEmbedding.Status.FAILED, 3)
    assert "cannot identify image file" in failure.error
    assert broken.primary_image.id not in indexed_photo_ids()
