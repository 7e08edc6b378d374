"""Retrieval quality on a labelled catalogue: every product queries all the others,
ranked as the shop ranks them (with query expansion: recommender.expansion). One vector
per product (its primary photo), so a query's expansion neighbours are other products;
in the shop they are the nearest photos, which are the same where a product has one photo.

A hit has the query's articleType (and, stricter, its articleType and baseColour).
precision@k: hits among the top k; mAP@k: average precision over the top k, divided by
min(k, number of relevant products).
"""

import numpy as np

from .expansion import expanded_queries
from .index import FaissFlatIndex


def nearest_others(vectors, k, expansion=0):
    """For each row, the indexes of its k nearest other rows (exact inner product), each
    row's query first expanded by its `expansion` nearest other rows."""
    index = FaissFlatIndex.build(vectors.shape[1], np.arange(len(vectors)), vectors)
    queries = vectors
    expansion = min(expansion, len(vectors) - 1)
    if expansion:
        scores, neighbours = search_others(index, vectors, expansion)
        queries = expanded_queries(vectors, vectors[neighbours], scores)
    return search_others(index, queries, k)[1]


def search_others(index, queries, k):
    """(scores, indexes) of each query row's k nearest rows of the index, its own row left out."""
    scores, neighbours = index.search(queries, k + 1)
    others = neighbours != np.arange(len(queries))[:, None]
    others[others.all(axis=1), -1] = False  # the own row was not found: drop the last instead
    return scores[others].reshape(len(queries), k), neighbours[others].reshape(len(queries), k)


def precision_and_map(neighbours, labels, k):
    """(precision@k, mAP@k) averaged over the queries: `neighbours` (n, >= k) row indexes of
    each query's results, best first; a result is relevant when its label is the query's.
    Average precision is divided by min(k, the other rows with the query's label), at least 1."""
    labels = np.asarray(labels)
    hits = labels[neighbours[:, :k]] == labels[:, None]
    relevant = np.array([np.count_nonzero(labels == label) - 1 for label in labels])
    precision = hits.mean(axis=1)
    cumulative = np.cumsum(hits, axis=1)
    ranks = np.arange(1, k + 1)
    average_precision = (hits * cumulative / ranks).sum(axis=1) / np.maximum(
        np.minimum(k, relevant), 1
    )
    return float(precision.mean()), float(average_precision.mean())


def evaluate(vectors, article_types, colours, k=10, expansion=0):
    """The figures for one set of product vectors (one row per product), with queries
    expanded by `expansion` neighbours (0: plain search)."""
    neighbours = nearest_others(np.ascontiguousarray(vectors, np.float32), k, expansion)
    strict = [f"{article_type}|{colour}" for article_type, colour in zip(article_types, colours)]
    p_type, map_type = precision_and_map(neighbours, article_types, k)
    p_strict, map_strict = precision_and_map(neighbours, strict, k)
    return {
        "queries": len(vectors),
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
