"""Retrieval quality on a labelled catalogue: every product (or those chosen: `queries`)
queries all the others, ranked as the shop ranks them (with query expansion:
recommender.expansion). One vector per product (its primary photo), so a query's expansion
neighbours are other products; in the shop they are the nearest photos, which are the same
where a product has one photo.

A hit has the query's articleType (and, stricter, its articleType and baseColour).
precision@k: hits among the top k; mAP@k: average precision over the top k, divided by
min(k, number of relevant products).
"""

import numpy as np

from .expansion import expanded_queries
from .index import FaissFlatIndex

K = 10  # results a query, unless told otherwise


def query_rows(count, queries=None):
    """The row indexes that query among `count` rows: `queries` (a boolean mask or indexes),
    default every row."""
    rows = np.arange(count)
    return rows if queries is None else rows[queries]


def nearest_others(vectors, k, expansion=0, queries=None):
    """For each query row (`queries`, default every row), the indexes of its k nearest other
    rows (exact inner product), each query first expanded by its `expansion` nearest other rows."""
    index = FaissFlatIndex.build(vectors.shape[1], np.arange(len(vectors)), vectors)
    rows = query_rows(len(vectors), queries)
    queried = vectors[rows]
    expansion = min(expansion, len(vectors) - 1)
    if expansion:
        scores, neighbours = search_others(index, queried, expansion, rows)
        queried = expanded_queries(queried, vectors[neighbours], scores)
    return search_others(index, queried, k, rows)[1]


def search_others(index, queries, k, rows=None):
    """(scores, indexes) of each query row's k nearest rows of the index, its own row (`rows`:
    the index row of each query, default the query's position) left out."""
    rows = np.arange(len(queries)) if rows is None else np.asarray(rows)
    scores, neighbours = index.search(queries, k + 1)
    others = neighbours != rows[:, None]
    others[others.all(axis=1), -1] = False  # the own row was not found: drop the last instead
    return scores[others].reshape(len(queries), k), neighbours[others].reshape(len(queries), k)


def result_hits(neighbours, labels, k, queries=None):
    """(queries, k) bool: whether each of a query's first k results (`neighbours`, row indexes)
    has the query's label (`labels` of every row; `queries` as in precision_and_map)."""
    labels = np.asarray(labels)
    return labels[neighbours[:, :k]] == labels[query_rows(len(labels), queries)][:, None]


def precision_by_label(hits, labels):
    """{label: mean precision of its queries}: `hits` (queries, k) as result_hits gives, and
    the label of each query."""
    precision = hits.mean(axis=1)
    labels = np.asarray(labels)
    return {label: float(precision[labels == label].mean()) for label in sorted(set(labels))}


def precision_and_map(neighbours, labels, k, queries=None):
    """(precision@k, mAP@k) averaged over the queries: `labels` of every row, `neighbours`
    (queries, >= k) row indexes of each query row's results (`queries`, default every row),
    best first; a result is relevant when its label is the query's. Average precision is
    divided by min(k, the other rows with the query's label), at least 1."""
    labels = np.asarray(labels)
    query_labels = labels[query_rows(len(labels), queries)]
    hits = result_hits(neighbours, labels, k, queries)
    relevant = np.array([np.count_nonzero(labels == label) - 1 for label in query_labels])
    precision = hits.mean(axis=1)
    cumulative = np.cumsum(hits, axis=1)
    ranks = np.arange(1, k + 1)
    average_precision = (hits * cumulative / ranks).sum(axis=1) / np.maximum(
        np.minimum(k, relevant), 1
    )
    return float(precision.mean()), float(average_precision.mean())


def evaluate(vectors, article_types, colours, k=K, expansion=0, queries=None):
    """The figures for one set of product vectors (one row per product, all of them the
    database), with queries expanded by `expansion` neighbours (0: plain search). `queries`
    (a boolean mask or indexes) picks the rows that query, default every row."""
    neighbours = nearest_others(np.ascontiguousarray(vectors, np.float32), k, expansion, queries)
    strict = [f"{article_type}|{colour}" for article_type, colour in zip(article_types, colours)]
    p_type, map_type = precision_and_map(neighbours, article_types, k, queries)
    p_strict, map_strict = precision_and_map(neighbours, strict, k, queries)
    return {
        "queries": len(neighbours),
        "k": k,
        "precision_article_type": round(p_type, 4),
        "map_article_type": round(map_type, 4),
        "precision_article_type_colour": round(p_strict, 4),
        "map_article_type_colour": round(map_strict, 4),
    }


def format_table(results_by_variant):
    """A plain-text table of evaluate() results, one row per variant."""
    lines = [
        f"{'variant':<40} {'queries':>7} {'P@k type':>9} {'mAP type':>9} "
        f"{'P@k type+col':>13} {'mAP type+col':>13}"
    ]
    for name, figures in results_by_variant.items():
        lines.append(
            f"{name:<40} {figures['queries']:>7} {figures['precision_article_type']:>9.4f} "
            f"{figures['map_article_type']:>9.4f} "
            f"{figures['precision_article_type_colour']:>13.4f} "
            f"{figures['map_article_type_colour']:>13.4f}"
        )
    return "\n".join(lines)
