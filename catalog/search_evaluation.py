"""Text search quality on a labelled query set (benchmarks/data/text_queries.csv): each
query names the articleTypes a shopper means by it and, where the query says so, the colours
and the gender.

precision@10 of a query: its relevant products among its first 10 results, divided by
min(10, the relevant products in the catalogue searched), so that a query with 3 red dresses
to find scores 1.0 when it lists all 3 first.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from .models import Gender

QUERY_SET = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "text_queries.csv"
K = 10


@dataclass(frozen=True)
class LabelledQuery:
    """A query as typed, what it means (articleTypes; colours and gender when named: empty
    for any) and its half of the set ("tune" or "test")."""

    text: str
    article_types: frozenset
    colours: frozenset
    gender: str
    half: str

    def wants(self, product):
        """Whether `product` (anything with article_type, base_colour and gender) is one the
        query means; a Unisex product suits either gender."""
        return (
            product.article_type in self.article_types
            and (not self.colours or product.base_colour in self.colours)
            and (not self.gender or product.gender in (self.gender, Gender.UNISEX))
        )


def labelled_queries(path=QUERY_SET, half=None):
    """The LabelledQuery rows of the CSV at `path` (columns query, article_types, colours,
    gender, half; several values separated by ";"), those of `half` only when given."""
    with open(path, newline="", encoding="utf-8") as file:
        queries = [
            LabelledQuery(
                text=row["query"],
                article_types=frozenset(filter(None, row["article_types"].split(";"))),
                colours=frozenset(filter(None, row["colours"].split(";"))),
                gender=row["gender"],
                half=row["half"],
            )
            for row in csv.DictReader(file)
        ]
    return [query for query in queries if half is None or query.half == half]


def precision_at_k(query, results, relevant_count, k=K):
    """precision@k of one query's `results` (products, best first) when the catalogue holds
    `relevant_count` products it wants: hits in the first k / min(k, relevant_count); None
    when the catalogue holds none."""
    if not relevant_count:
        return None
    hits = sum(query.wants(product) for product in results[:k])
    return hits / min(k, relevant_count)


def recall_at_k(wanted_ids, result_ids, k):
    """Of the product ids in `wanted_ids` (a set), the share found in the first k of
    `result_ids`, divided by min(k, len(wanted_ids)) (None when it is empty)."""
    if not wanted_ids:
        return None
    found = sum(product_id in wanted_ids for product_id in result_ids[:k])
    return found / min(k, len(wanted_ids))
