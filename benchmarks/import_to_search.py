"""How soon an imported catalogue is searchable, with a real Celery worker embedding it.

    python benchmarks/import_to_search.py [--catalogue ../shared/datasets/fashion-products]
                                          [--batch-size 500] [--concurrency 2]

Starts its own redis-server (free port) and one `celery worker` process (`--concurrency`
processes), on a new SQLite database and media folder (or DATABASE_URL, an empty database).
The worker is warmed up on the demo catalogue first (imported, embedded and indexed by it),
then the catalogue is imported in this process, `--batch-size` rows a transaction. For each
batch: the seconds from its commit until every one of its photos is in the published index
(the worker embeds, indexes and publishes; this process reads the newest index file).
Prints JSON: the first batch's delay, the median and max over batches, the import's length.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
VAR_DIR = tempfile.mkdtemp(prefix="import-to-search-")
os.environ.update({"VAR_DIR": VAR_DIR, "DJANGO_SETTINGS_MODULE": "fashionsite.settings.base"})

from tests.pipeline.processes import CeleryProcess, RedisServer, wait_for  # noqa: E402

REDIS = RedisServer().start()
os.environ["REDIS_URL"] = REDIS.url

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from catalog.models import ProductImage  # noqa: E402
from catalog.services import catalog_import  # noqa: E402
from catalog.signals import photos_added  # noqa: E402
from recommender import snapshots  # noqa: E402
from recommender.embedding import fingerprint  # noqa: E402

DEFAULT_CATALOGUE = REPO.parent / "shared" / "datasets" / "fashion-products"


class Batches:
    """Each imported batch's photo ids, commit time and the time its photos were all indexed,
    watched by a thread that reads the newest index file."""

    def __init__(self):
        self.committed = []  # (time.monotonic() of the commit, set of photo ids)
        self.indexed_at = {}  # batch number -> time.monotonic() when all were indexed
        self.done = threading.Event()

    def photos_added(self, sender, image_ids, bulk, **kwargs):
        ids = set(image_ids)
        transaction.on_commit(lambda: self.committed.append((time.monotonic(), ids)))

    def watch(self):
        while not self.done.is_set():
            index = snapshots.load_latest(fingerprint())
            indexed = set(index.ids().tolist()) if index is not None else set()
            now = time.monotonic()
            for number, (_, ids) in enumerate(list(self.committed)):
                if number not in self.indexed_at and ids <= indexed:
                    self.indexed_at[number] = now
            time.sleep(0.2)

    def delays(self):
        """Seconds from each batch's commit until its photos were all indexed, in order."""
        return [
            self.indexed_at[number] - committed
            for number, (committed, _) in enumerate(self.committed)
        ]


def worker_environment():
    env = {key: os.environ[key] for key in ("VAR_DIR", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    return env


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    process = CeleryProcess(
        "worker",
        worker_environment(),
        "--queues",
        "embeddings,index",
        "--concurrency",
        str(args.concurrency),
        "--without-gossip",
        "--without-mingle",
    ).start()
    batches = Batches()
    try:
        process.wait_for_log("ready.")
        catalog_import(path=REPO / "data" / "demo-catalogue", progress=False)
        demo = set(ProductImage.objects.values_list("id", flat=True))
        wait_for(
            lambda: (
                (index := snapshots.load_latest(fingerprint())) is not None
                and demo <= set(index.ids().tolist())
            ),
            600,
            "the demo catalogue was not indexed (worker warm-up)",
        )
        photos_added.connect(batches.photos_added)
        watcher = threading.Thread(target=batches.watch, daemon=True)
        watcher.start()
        started = time.monotonic()
        report = catalog_import(path=args.catalogue, batch_size=args.batch_size, progress=False)
        import_seconds = time.monotonic() - started
        wait_for(lambda: len(batches.indexed_at) == len(batches.committed), 1800, "not all indexed")
        batches.done.set()
    finally:
        process.stop()
        REDIS.stop()
    delays = batches.delays()
    print(
        json.dumps(
            {
                "products_created": report.created,
                "products_unchanged": report.unchanged,  # the demo catalogue's, imported before
                "rows_skipped": len(report.skipped),
                "batches": len(delays),
                "batch_size": args.batch_size,
                "worker_concurrency": args.concurrency,
                "import_s": round(import_seconds, 1),
                "first_batch_commit_to_searchable_s": round(delays[0], 1),
                "median_batch_s": round(statistics.median(delays), 1),
                "max_batch_s": round(max(delays), 1),
                "all_indexed_after_import_start_s": round(
                    max(batches.indexed_at.values()) - started, 1
                ),
                "batch_delays_s": [round(delay, 1) for delay in delays],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
