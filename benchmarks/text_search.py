"""Text search quality: precision@10 of the labelled query set (benchmarks/data/text_queries.csv)
for the shop's search and a plain baseline, per query and per half (tune, test).

    VAR_DIR=/tmp/full/var python benchmarks/text_search.py
    DATABASE_URL=postgres://... python benchmarks/text_search.py

Needs an imported catalogue (import_catalog ../shared/datasets/fashion-products). The
baseline is a plain search: on PostgreSQL, full-text search of the searched fields (English
stemming, every word required) ranked by ts_rank; elsewhere every word as a substring of one
of the fields, newest first. Prints JSON.
"""

import json
import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Q  # noqa: E402

from catalog.models import Product, Synonym  # noqa: E402
from catalog.search_evaluation import K, labelled_queries, precision_at_k  # noqa: E402
from catalog.selectors import product_search  # noqa: E402

# The fields the search read before issue 20, in its order.
PLAIN_FIELDS = ["name", "article_type", "base_colour", "master_category", "sub_category", "gender"]


def plain_search(text):
    """The baseline: the shop's search before issue 20."""
    products = Product.objects.filter(is_active=True)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector(*PLAIN_FIELDS, config="english")
        search = SearchQuery(text, search_type="websearch", config="english")
        return (
            products.annotate(document=vector, rank=SearchRank(vector, search))
            .filter(document=search)
            .order_by("-rank", "-created_at", "-id")
        )
    for word in text.split():
        products = products.filter(
            Q.create([(f"{field}__icontains", word) for field in PLAIN_FIELDS], connector=Q.OR)
        )
    return products.order_by("-created_at", "-id")


def shop_search(text):
    return product_search(query=text).products


def shop_search_without_synonyms(text):
    """The shop's search with the synonym table empty (an ablation: how much of the figure
    the vocabulary brings, which was written by the author of the query set)."""
    with transaction.atomic():
        Synonym.objects.all().delete()
        found = first_results(shop_search(text))
        transaction.set_rollback(True)
    return found


def first_results(products):
    """The first K products (a queryset or a list)."""
    if isinstance(products, list):
        return products[:K]
    return list(products.only("article_type", "base_colour", "gender")[:K])


def main():
    catalogue = list(
        Product.objects.filter(is_active=True).only("article_type", "base_colour", "gender")
    )
    searches = {
        "plain": plain_search,
        "shop": shop_search,
        "shop_without_synonyms": shop_search_without_synonyms,
    }
    rows = []
    for query in labelled_queries():
        relevant = sum(query.wants(product) for product in catalogue)
        row = {"query": query.text, "half": query.half, "relevant": relevant}
        for name, search in searches.items():
            figure = precision_at_k(query, first_results(search(query.text)), relevant)
            row[name] = None if figure is None else round(figure, 3)
        rows.append(row)
    summary = {
        half: {
            name: round(
                statistics.mean(
                    row[name] for row in rows if row["half"] == half and row[name] is not None
                ),
                3,
            )
            for name in searches
        }
        | {"queries": sum(row["half"] == half for row in rows)}
        for half in ("tune", "test")
    }
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "products": len(catalogue),
                "k": K,
                "precision_at_10": summary,
                "queries": rows,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
