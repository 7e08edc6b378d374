"""Server time of the shop pages, in-process with the Django test client.

    VAR_DIR=/tmp/full/var python benchmarks/page_timings.py [--requests 200]

Needs an imported, embedded and indexed catalogue in VAR_DIR (or DATABASE_URL); check
`manage.py recommender_status` shows 0 pending first. Runs with DEBUG off, warms up, then
times product pages ("more like this", varied products and toggles) and the search grid
(queries, filters, pages; the unfiltered home page includes "inspired by what you viewed"),
as one shopper whose session carries the trail. Prints JSON: median and p95 milliseconds.
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

import django  # noqa: E402

django.setup()

from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from catalog.models import Product  # noqa: E402

SEARCHES = [
    {},
    {"q": "shirt"},
    {"q": "blue jeans"},
    {"q": "watch", "gender": "Women"},
    {"gender": "Men", "master_category": "Footwear"},
    {"base_colour": "Black", "page": "3"},
    {"q": "red dress"},
    {"article_type": "Tshirts", "gender": "Men", "page": "2"},
    {"q": "sports shoes"},
    {"q": "handbag", "base_colour": "Brown"},
]
TOGGLES = [{}, {}, {"same_gender": "1"}, {"same_category": "1"}, {"match_colour": "1"}]
SETTINGS = {
    "DEBUG": False,
    "ALLOWED_HOSTS": ["testserver"],
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
}


def timed(client, url, params):
    start = time.perf_counter()
    response = client.get(url, params)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, params, response.status_code)
    return elapsed


def summary(times):
    return {
        "requests": len(times),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(statistics.quantiles(times, n=20)[-1], 1),
    }


def print_summaries(products, pages):
    """Print JSON: the catalogue's size and each page's summary ({page: [milliseconds]})."""
    print(
        json.dumps(
            {"products": products, **{name: summary(times) for name, times in pages.items()}},
            indent=2,
        )
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    ids = list(Product.objects.filter(is_active=True).values_list("pk", flat=True))
    products = random.Random(0).sample(ids, min(len(ids), args.requests + 20))
    home = reverse("storefront:home")

    def product_page(client, number):
        return timed(
            client,
            reverse("storefront:product", args=[products[number % len(products)]]),
            TOGGLES[number % len(TOGGLES)],
        )

    def search_grid(client, number):
        return timed(client, home, SEARCHES[number % len(SEARCHES)])

    with override_settings(**SETTINGS):
        client = Client()
        for number in range(20):  # warm up: index loaded, templates compiled, caches filled
            product_page(client, args.requests + number)
            search_grid(client, number)
        pages = {
            "product_page": [product_page(client, number) for number in range(args.requests)],
            "search_grid": [search_grid(client, number) for number in range(args.requests)],
        }
    print_summaries(len(ids), pages)


if __name__ == "__main__":
    main()
