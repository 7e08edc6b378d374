"""Retrieval quality on a labelled catalogue: every product queries all the others.

A hit has the query's articleType (and, stricter, its articleType and baseColour).
precision@k: hits among the top k; mAP@k: average precision over the top k, divided by
min(k, number of relevant products).
"""
import numpy as np

from .index import FaissFlatIndex


def nearest_others(vectors, k):
    """For each row, the indexes of its k nearest other rows (exact inner product)."""
    index = FaissFlatIndex.build(vectors.shape[1], np.arange(len(vectors)), vectors)
    _, neighbours = index.search(vectors, k + 1)
    return np.array([[n for n in row if n != query][:k] for query, row in enumerate(neighbours)])


def precision_and_map(neighbours, labels, k):
    labels = np.asarray(labels)
    hits = labels[neighbours[:, :k]] == labels[:, None]
    relevant = np.array([np.count_nonzero(labels == label) - 1 for label in labels])
    precision = hits.mean(axis=1)
    cumulative = np.cumsum(hits, axis=1)
    ranks = np.arange(1, k + 1)
    average_precision = (hits * cumulative / ranks).sum(axis=1) / np.maximum(np.minimum(k, relevant), 1)
    return float(precision.mean()), float(average_precision.mean())


def evaluate(vectors, article_types, colours, k=10):
    """The figures for one set of product vectors (one row per product)."""
    neighbours = nearest_others(np.ascontiguousarray(vectors, np.float32), k)
    strict = [f"{article_type}|{colour}" for article_type, colour in zip(article_types, colours)]
    p_type, map_type = precision_and_map(neighbours, article_types, k)
    p_strict, map_strict = precision_and_map(neighbours, strict, k)
    return {
        "queries": len(vectors), "k": k,
        "precision_article_type": round(p_type, 4), "map_article_type": round(map_type, 4),
        "precision_article_type_colour": round(p_strict, 4), "map_article_type_colour": round(map_strict, 4),
    }


def format_table(results_by_variant):
    """A plain-text table of evaluate() results, one row per variant."""
    lines = [f"{'variant':<40} {'queries':>7} {'P@k type':>9} {'mAP type':>9} {'P@k type+col':>13} {'mAP type+col':>13}"]
    for name, figures in results_by_variant.items():
        lines.append(
            f"{name:<40} {figures['queries']:>7} {figures['precision_article_type']:>9.4f} "
            f"{figures['map_article_type']:>9.4f} {figures['precision_article_type_colour']:>13.4f} "
            f"{figures['map_article_type_colour']:>13.4f}")
    return "\n".join(lines)
