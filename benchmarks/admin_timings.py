"""Server time of the admin's lists and product page, in-process with the Django test client.

    VAR_DIR=/tmp/full/var python benchmarks/admin_timings.py [--requests 50]

Needs an imported, embedded and indexed catalogue in VAR_DIR (or DATABASE_URL). Signs in as a
superuser (`bench-admin`, created when missing), runs with DEBUG off, warms up, then times the
product list (first page, a filter, a search, a later page), the photo embeddings list (first
page, the "failed" filter) and product pages (their photos' vectors shown). Prints JSON: the
median and p95 milliseconds of each.
"""

import argparse
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from benchmarks.page_timings import SETTINGS, print_summaries, timed  # noqa: E402
from catalog.models import Product  # noqa: E402

PRODUCT_LISTS = [{}, {"article_type": "Tshirts"}, {"q": "shirt"}, {"p": "40"}]
EMBEDDING_LISTS = [{}, {"state": "failed"}]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    admin = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", "bench@example.com", None
    )
    ids = list(Product.objects.values_list("pk", flat=True))
    products = random.Random(0).sample(ids, min(len(ids), args.requests))
    pages = {
        "product_list": lambda n: (
            reverse("admin:catalog_product_changelist"),
            PRODUCT_LISTS[n % len(PRODUCT_LISTS)],
        ),
        "embeddings_list": lambda n: (
            reverse("admin:recommender_photoembedding_changelist"),
            EMBEDDING_LISTS[n % len(EMBEDDING_LISTS)],
        ),
        "product_page": lambda n: (
            reverse("admin:catalog_product_change", args=[products[n % len(products)]]),
            {},
        ),
    }
    with override_settings(**SETTINGS):
        client = Client()
        client.force_login(admin)
        for page in pages.values():  # warm up: index loaded, templates compiled
            for number in range(5):
                timed(client, *page(number))
        times = {
            name: [timed(client, *page(number)) for number in range(args.requests)]
            for name, page in pages.items()
        }
    print_summaries(len(ids), times)


if __name__ == "__main__":
    main()
