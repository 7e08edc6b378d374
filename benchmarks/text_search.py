"""Text search quality: precision@10 of the labelled query set (benchmarks/data/text_queries.csv)
for the shop's search and a plain baseline, per query and per half (tune, test).

    VAR_DIR=/tmp/full/var python benchmarks/text_search.py
    DATABASE_URL=postgres://... python benchmarks/text_search.py

Needs an imported catalogue (import_catalog ../shared/datasets/fashion-products); with --look,
embedded and indexed too. The baseline is a plain search: on PostgreSQL, full-text search of
the searched fields (English stemming, every word required) ranked by ts_rank; elsewhere every
word as a substring of one of the fields, newest first. Prints JSON.

--look: text to look-alikes. Every searched field of a seeded 30% of the products is blanked
(in a transaction rolled back at the end); for each query, the recall@25 (and @10) of the
blanked products it wants, in its text results alone and in the products found by look
(recommender.selectors.found_by_look: like its 5 best text matches, none of them).
"""

import argparse
import json
import os
import random
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
from catalog.search import SEARCHED_FIELDS  # noqa: E402
from catalog.search_evaluation import K, labelled_queries, precision_at_k, recall_at_k  # noqa: E402
from catalog.selectors import product_search  # noqa: E402
from recommender.selectors import found_by_look  # noqa: E402

BLANKED = 0.3  # of the products, for --look
LOOK_K = (10, 25)

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


def precision_figures(catalogue):
    """Per query and per half: precision@10 of each search."""
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
    return {"precision_at_10": half_means(rows, searches), "queries": rows}


def half_means(rows, names):
    """{half: {name: mean of the rows' figures (None left out)}, queries: rows in the half}."""
    return {
        half: {
            name: round(
                statistics.mean(
                    row[name] for row in rows if row["half"] == half and row[name] is not None
                ),
                3,
            )
            for name in names
        }
        | {"queries": sum(row["half"] == half for row in rows)}
        for half in ("tune", "test")
    }


def look_figures(catalogue):
    """Per query and per half: recall@10 and @25 of the blanked products it wants, in its text
    results and in the products found by look."""
    blanked = set(
        random.Random(0).sample([p.pk for p in catalogue], round(BLANKED * len(catalogue)))
    )
    by_id = {product.pk: product for product in catalogue}
    rows = []
    with transaction.atomic():
        Product.objects.filter(pk__in=blanked).update(**dict.fromkeys(SEARCHED_FIELDS, ""))
        for query in labelled_queries():
            wanted = {
                product.pk
                for product in catalogue
                if product.pk in blanked and query.wants(product)
            }
            text = product_search(query=query.text).products
            text_ids = list(text.values_list("pk", flat=True)[: max(LOOK_K)])
            look = found_by_look(seeds=text, exclude=text, k=max(LOOK_K))
            look_ids = [result.product.pk for result in look]
            row = {"query": query.text, "half": query.half, "blanked_wanted": len(wanted)}
            for k in LOOK_K:
                for name, ids in (("text", text_ids), ("look", look_ids)):
                    figure = recall_at_k(wanted, ids, k)
                    row[f"{name}_recall_at_{k}"] = None if figure is None else round(figure, 3)
            # Of all the products found by look, blanked or not: those the query wants.
            row["look_precision_at_25"] = statistics.mean(query.wants(by_id[pk]) for pk in look_ids)
            rows.append(row)
        transaction.set_rollback(True)
    names = [name for name in rows[0] if "recall" in name or "precision" in name]
    return {"blanked": len(blanked), "recall": half_means(rows, names), "queries": rows}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--look", action="store_true", help="measure text to look-alikes")
    args = parser.parse_args()
    catalogue = list(
        Product.objects.filter(is_active=True).only("article_type", "base_colour", "gender")
    )
    figures = look_figures(catalogue) if args.look else precision_figures(catalogue)
    print(
        json.dumps(
            {"database": connection.vendor, "products": len(catalogue), "k": K} | figures, indent=1
        )
    )


if __name__ == "__main__":
    main()
