"""embed_catalog's worker processes (recommender.embedding_processes): real spawned processes."""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from recommender import embedding, services
from recommender.embedding import fingerprint
from recommender.embedding_processes import (
    MIN_PHOTOS,
    embedding_executor,
    most_processes,
    processes_for,
)
from recommender.models import ImageEmbedding


def worker_state(barrier):
    """Run in a worker: which process, on which cores, with which runtime setting."""
    barrier.wait(timeout=120)  # both workers hold a task at once
    return os.getpid(), tuple(sorted(os.sched_getaffinity(0))), django_settings.RECOMMENDER_RUNTIME


@pytest.mark.slow
@pytest.mark.skipif(most_processes() < 2, reason="needs two cores")
def test_each_worker_runs_pinned_to_its_own_core_with_the_callers_settings(settings, tmp_path):
    settings.RECOMMENDER_RUNTIME = "onnx"  # the test settings (and a fresh process) say torch
    settings.RECOMMENDER_MODEL_DIR = tmp_path
    with multiprocessing.get_context("spawn").Manager() as manager:
        barrier = manager.Barrier(2)
        with embedding_executor(
            "efficientnet_lite0", 2, fingerprint("efficientnet_lite0")
        ) as executor:
            states = set(executor.map(worker_state, [barrier] * 2))
    pids, cores, runtimes = zip(*states)
    assert len(set(pids)) == 2 and os.getpid() not in pids
    assert sorted(cores) == [(core,) for core in sorted(os.sched_getaffinity(0))[:2]]
    assert set(runtimes) == {"onnx"}


@pytest.mark.slow
@pytest.mark.skipif(most_processes() < 2, reason="needs two cores")
def test_a_worker_that_would_make_other_vectors_stops_the_run():
    with embedding_executor("efficientnet_lite0", 2, "another-model") as executor:
        with pytest.raises(BrokenProcessPool):
            executor.submit(os.getpid).result()


def test_a_misconfigured_runtime_is_refused_before_any_worker_starts(settings):
    settings.RECOMMENDER_RUNTIME = "tensorrt"
    with pytest.raises(ImproperlyConfigured, match="RECOMMENDER_RUNTIME='tensorrt'"):
        embedding_executor(
            "efficientnet_lite0", most_processes(), fingerprint("efficientnet_lite0")
        )


def test_no_more_processes_than_cores():
    with pytest.raises(ValueError, match="one a core at most"):
        embedding_executor(
            "efficientnet_lite0", most_processes() + 1, fingerprint("efficientnet_lite0")
        )


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.skipif(most_processes() < 2, reason="needs two cores")
def test_worker_processes_store_the_vectors_of_in_process_embedding(small_catalogue, monkeypatch):
    monkeypatch.setattr(
        services, "embed_files", embedding.embed_files
    )  # not the tests' cache: it stays here
    executors = []

    def recorded_executor(*args):
        executors.append(embedding_executor(*args))
        return executors[-1]

    monkeypatch.setattr(services, "embedding_executor", recorded_executor)
    broken = small_catalogue[2].primary_image
    Path(broken.image.path).write_bytes(b"these bytes are not a photo")
    report = services.embeddings_update(processes=2, batch_size=2)

    assert [type(executor) for executor in executors] == [ProcessPoolExecutor]
    assert [image_id for image_id, _ in report.failed] == [broken.id]
    assert report.embedded == len(small_catalogue) - 1
    readable = [
        product.primary_image for product in small_catalogue if product.primary_image != broken
    ]
    in_process = embedding.embed_files([image.image.path for image in readable])
    stored = [
        ImageEmbedding.from_bytes(
            ImageEmbedding.objects.get(image=image, fingerprint=report.fingerprint).vector
        )
        for image in readable
    ]
    np.testing.assert_allclose(np.stack(stored), in_process, atol=1e-5)


@pytest.mark.skipif(most_processes() < 2, reason="needs two cores")
def test_only_large_runs_on_a_cpu_get_a_process_per_core(settings):
    settings.RECOMMENDER_DEVICE = "cpu"
    assert processes_for(MIN_PHOTOS - 1) == 1
    assert processes_for(MIN_PHOTOS) == most_processes()
    settings.RECOMMENDER_DEVICE = "cuda"
    assert processes_for(10 * MIN_PHOTOS) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("processes", ["0", str(most_processes() + 1)])
def test_embed_catalog_refuses_more_processes_than_cores(processes):
    with pytest.raises(CommandError, match="--processes must be between 1 and"):
        call_command("embed_catalog", "--no-progress", "--processes", processes)
