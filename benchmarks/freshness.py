"""How soon a new product shows in "more like this", with a real Celery worker.

    python benchmarks/freshness.py [--uploads 20]

Starts its own redis-server (free port) and one `celery worker` process, on a new SQLite
database and media folder (or DATABASE_URL, an empty database), imports the demo
catalogue, embeds and indexes it, then creates products one by one through the ORM, each
with a copy of a catalogue photo, and measures the time from the commit until the new
product is among the 5 most similar products of that catalogue product, as seen by this
process (the worker embeds, indexes and publishes; this process reloads the index file).
Prints JSON: median and max seconds.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
VAR_DIR = tempfile.mkdtemp(prefix="freshness-")
os.environ.update(
    {
        "VAR_DIR": VAR_DIR,
        "DJANGO_SETTINGS_MODULE": "fashionsite.settings.base",
        "RECOMMENDER_AUTO_UPDATE": "false",
    }
)

from tests.pipeline.processes import RedisServer, wait_for, worker  # noqa: E402

REDIS = RedisServer().start()
os.environ["REDIS_URL"] = REDIS.url

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402

from catalog.models import Product  # noqa: E402
from catalog.services import product_image_add  # noqa: E402
from recommender.selectors import similar_products  # noqa: E402


def new_arrival_like(source, number):
    product = Product.objects.create(
        name=f"New arrival {number}",
        gender=source.gender,
        master_category=source.master_category,
        sub_category=source.sub_category,
        article_type=source.article_type,
        base_colour=source.base_colour,
    )
    with open(source.primary_image.image.path, "rb") as photo:
        product_image_add(product=product, file=SimpleUploadedFile("photo.jpg", photo.read()))
    return product


def seconds_until_visible(source, number):
    started = time.monotonic()
    product = new_arrival_like(source, number)  # autocommit: the task is sent on commit
    wait_for(
        lambda: product in [r.product for r in similar_products(product=source, k=5)],
        60,
        f"product {product.pk} did not show",
    )
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=20)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("import_catalog", str(REPO / "data" / "demo-catalogue"), no_progress=True)
    call_command("embed_catalog", no_progress=True)
    call_command("build_index")
    env = {key: os.environ[key] for key in ("VAR_DIR", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["RECOMMENDER_AUTO_UPDATE"] = "true"
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    process = worker(env).start()
    try:
        process.wait_for_log("ready.")
        settings.RECOMMENDER_AUTO_UPDATE = True
        sources = list(Product.objects.order_by("id")[: args.uploads])
        seconds_until_visible(sources[0], 0)  # the worker loads its model on the first task
        delays = [
            seconds_until_visible(source, number) for number, source in enumerate(sources, start=1)
        ]
    finally:
        process.stop()
        REDIS.stop()
    print(
        json.dumps(
            {
                "uploads": len(delays),
                "median_s": round(statistics.median(delays), 2),
                "max_s": round(max(delays), 2),
                "all_s": [round(delay, 2) for delay in delays],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
