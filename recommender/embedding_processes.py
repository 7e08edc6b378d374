"""Embedding a large run of photos (embed_catalog) in one process per core.

Threads in one process lose 10-20% of two cores to Python's GIL in the work around the
backbone (decoding, pooling, projection); processes pinned one to a core do not
(docs/benchmarks.md). Each process loads its own embedder, which takes a few seconds, so
runs of fewer than MIN_PHOTOS photos and GPU runs embed in-process, as do Celery's tasks
(services.embeddings_update embeds in-process unless asked).
"""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .backbones import choose_backbone
from .runtimes.choice import resolve_runtime, wants_gpu
from .runtimes.cpu import available_cores

MIN_PHOTOS = 512
# What makes the embedder: a worker process takes the caller's values, whatever its own
# environment or a test changed.
EMBEDDER_SETTINGS = (
    "RECOMMENDER_BACKBONE",
    "RECOMMENDER_RESNET50_WEIGHTS",
    "RECOMMENDER_DEVICE",
    "RECOMMENDER_RUNTIME",
    "RECOMMENDER_MODEL_DIR",
)


def most_processes():
    """One a core; one where a process cannot be pinned to a core (not Linux)."""
    return available_cores() if hasattr(os, "sched_setaffinity") else 1


def processes_for(photo_count):
    """One process per core for a run of `photo_count` photos on a CPU, where it pays; else 1."""
    return 1 if photo_count < MIN_PHOTOS or wants_gpu() else most_processes()


def embedding_executor(backbone_name, processes, model_fingerprint):
    """An executor to submit recommender.embedding.embed_files to: `processes` worker processes,
    each pinned to its own core, or one thread of this process (which overlaps the caller's
    own work, storing the last batch, with the embedding). The workers check that they make
    the vectors of `model_fingerprint`, the one the caller stores them under."""
    if not 1 <= processes <= most_processes():
        raise ValueError(
            f"{processes} worker processes: use 1 to {most_processes()}, one a core at most."
        )
    resolve_runtime(
        choose_backbone(backbone_name)
    )  # a misconfigured runtime: its error here, not in each worker
    if processes == 1:
        return ThreadPoolExecutor(max_workers=1)
    context = multiprocessing.get_context(
        "spawn"
    )  # forking a process that runs torch's threads can hang
    cores = context.Queue()
    for core in sorted(os.sched_getaffinity(0))[:processes]:
        cores.put(core)
    embedder_settings = {name: getattr(settings, name) for name in EMBEDDER_SETTINGS}
    return ProcessPoolExecutor(
        processes,
        mp_context=context,
        initializer=start_worker,
        initargs=(cores, backbone_name, embedder_settings, model_fingerprint),
    )


def start_worker(cores, backbone_name, embedder_settings, model_fingerprint):
    """In a new worker process: take a core, then the caller's settings, then load the embedder
    once. The core comes first: torch imported before the pinning makes OpenVINO about a fifth
    slower (docs/benchmarks.md)."""
    os.sched_setaffinity(0, {cores.get()})
    import django
    import torch

    torch.set_num_threads(1)
    django.setup()
    for name, value in embedder_settings.items():
        setattr(settings, name, value)
    from .embedding import default_embedder, fingerprint

    worker_fingerprint = fingerprint(backbone_name)
    if worker_fingerprint != model_fingerprint:
        raise ImproperlyConfigured(
            f"This worker process would make the vectors of {worker_fingerprint}, "
            f"not those of {model_fingerprint}: check its environment."
        )
    default_embedder(backbone_name)
