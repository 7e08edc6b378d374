"""embed_catalog's worker processes (recommender.embedding_processes): real spawned processes."""
import os
import time
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from recommender import embedding, services
from recommender.embedding_processes import MIN_PHOTOS, embedding_executor, most_processes, processes_for
from recommender.models import ImageEmbedding


def worker_state(pause):
    """Run in a worker: which process, on which cores, with which runtime setting."""
    time.sleep(pause)  # long enough for each worker to get a task, though one may start a little later
    return os.getpid(), tuple(sorted(os.sched_getaffinity(0))), django_settings.RECOMMENDER_RUNTIME


@pytest.mark.slow
@pytest.mark.skipif(most_processes() < 2, reason="needs two cores")
def test_each_worker_runs_pinned_to_its_own_core_with_the_callers_settings(settings):
    settings.RECOMMENDER_RUNTIME = "onnx"  # the test settings (and a fresh process) say torch
    with embedding_executor("efficientnet_lite0", 2) as executor:
        states = set(executor.map(worker_state, [3.0] * 4))
    pids, cores, runtimes = zip(*states)
    assert len(set(pids)) == 2 and os.getpid() not in pids
    assert sorted(cores) == [(core,) for core in sorted(os.sched_getaffinity(0))[:2]]
    assert set(runtimes) == {"onnx"}


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.skipif(most_processes() < 2, reason="needs two cores")
def test_worker_processes_store_the_vectors_of_in_process_embedding(small_catalogue, monkeypatch):
    monkeypatch.setattr(services, "embed_files", embedding.embed_files)  # not the tests' cache: it stays here
    broken = small_catalogue[2].primary_image
    Path(broken.image.path).write_bytes(b"these bytes are not a photo")
    report = services.embeddings_update(processes=2, batch_size=2)

    assert [image_id for image_id, _ in report.failed] == [broken.id]
    assert report.embedded == len(small_catalogue) - 1
    readable = [product.primary_image for product in small_catalogue if product.primary_image != broken]
    in_process = embedding.embed_files([image.image.path for image in readable])
    stored = [ImageEmbedding.from_bytes(ImageEmbedding.objects.get(image=image, fingerprint=report.fingerprint).vector)
              for image in readable]
    np.testing.assert_allclose(np.stack(stored), in_process, atol=1e-5)


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

