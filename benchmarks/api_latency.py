"""Server time of the API's "more like this" and of the product list with a search, in-process.

    VAR_DIR=/tmp/full/var python benchmarks/api_latency.py [--requests 200] [--k 25]

Runs against an existing catalogue (VAR_DIR or DATABASE_URL; imported, embedded and indexed:
`manage.py recommender_status` shows pending 0) through Django's test client, so the time is the
whole Django request (middleware, view, queries, index search, JSON) without the network. Warms
up, then sends GET /api/v1/products/{id}/similar/?k=K for varied product ids, and GET
/api/v1/products/?q=...; prints JSON: median and p95 milliseconds of each. Reads only.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")
os.environ.update({"ALLOWED_HOSTS": "testserver", "LOG_LEVEL": "WARNING"})

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from catalog.models import Product  # noqa: E402
from recommender.embedding import fingerprint  # noqa: E402

SEARCHES = [
    "blue shirt",
    "watch",
    "black casual shoes",
    "women kurta",
    "sports shoes",
    "red tshirt",
    "handbag",
    "men jeans",
    "white sneakers",
    "sunglasses",
]


def milliseconds(client, urls):
    times = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return times


def summary(times):
    return {
        "requests": len(times),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(statistics.quantiles(times, n=20)[18], 2),
        "max_ms": round(max(times), 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--k", type=int, default=25)
    args = parser.parse_args()
    client = Client()
    ids = list(
        Product.objects.filter(is_active=True, images__isnull=False)
        .values_list("id", flat=True)
        .distinct()
    )
    chosen = random.Random(0).sample(ids, min(args.requests, len(ids)))
    similar = [f"/api/v1/products/{pk}/similar/?k={args.k}" for pk in chosen]
    searches = [f"/api/v1/products/?q={query.replace(' ', '+')}" for query in SEARCHES]
    lists = [searches[n % len(searches)] for n in range(args.requests)]
    milliseconds(client, similar[:20] + searches)  # warm up: index loaded, connections and caches
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "products": len(ids),
                "model": fingerprint(),
                "similar": summary(milliseconds(client, similar)),
                "list_search": summary(milliseconds(client, lists)),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
