"""The pictures of `manage.py evaluate_retrieval --report DIR` (drawn by recommender.reports):
precision@k by articleType of the shop's ranking beside two baselines, contact sheets of
sampled and of the worst queries, and a map of the vectors. Every product's primary photo
queries all the others, as recommender.evaluation measures them.

The baselines: the shop's own vectors searched plainly (no query expansion), and a plain
ImageNet CNN, the GeM of the backbone's last map of the photo padded square on white, searched
by exact cosine (as benchmarks/photo_search_real.py's baseline).
"""

from collections import Counter
from pathlib import Path

import numpy as np

from catalog.models import ProductImage

from .embedding import default_embedder
from .evaluation import nearest_others, precision_by_label, result_hits
from .kind_training import photo_features
from .photo_evaluation import gem_of_last_map
from .reports import SheetRow, bars_by_label, contact_sheet, vector_map, write_index

SAMPLED = 8  # queries on the sampled contact sheet
WORST = 20  # queries on the worst ones' sheet
CHARTED_TYPES = 30  # the largest articleTypes, on the bar chart
SHOP, PLAIN, CNN = "the shop", "the shop's vectors, no expansion", "plain CNN + GeM"


def write_retrieval_report(folder, photos, backbone, k, expansion, seed=0):
    """Draw the pictures of recommender.selectors.PrimaryPhotos (more than k of them) in
    `folder` for a backbone (None: the setting's) and an expansion (neighbours); returns the
    path of the folder's index.html."""
    folder = Path(folder)
    images = ProductImage.objects.in_bulk(photos.image_ids)
    files = [images[image_id].image.path for image_id in photos.image_ids]
    shop = nearest_others(photos.vectors, k, expansion)
    hits = {
        SHOP: result_hits(shop, photos.article_types, k),
        PLAIN: result_hits(nearest_others(photos.vectors, k), photos.article_types, k),
        CNN: result_hits(
            nearest_others(plain_cnn_vectors(files, backbone), k), photos.article_types, k
        ),
    }
    bars_by_label(
        folder / "precision_by_article_type.png",
        by_article_type(hits, photos.article_types),
        title=f"precision@{k} of the {CHARTED_TYPES} largest articleTypes ({len(files)} products, "
        "each querying the others)",
        ylabel=f"precision@{k}",
    )
    thumbnails = [thumbnail_file(images[image_id]) for image_id in photos.image_ids]

    def sheet_rows(queries):
        return [
            SheetRow(
                thumbnails[query],
                f"{photos.article_types[query]}: {hits[SHOP][query].mean():.1f}",
                [(thumbnails[row], right) for row, right in zip(shop[query], hits[SHOP][query])],
            )
            for query in queries
        ]

    sampled = np.random.default_rng(seed).choice(len(files), min(SAMPLED, len(files)), False)
    worst = np.argsort(hits[SHOP].mean(axis=1), kind="stable")[:WORST]
    contact_sheet(
        folder / "sampled_queries.png",
        sheet_rows(sorted(sampled)),
        title=f"{len(sampled)} sampled queries and the shop's top {k} (green: same articleType)",
    )
    contact_sheet(
        folder / "worst_queries.png",
        sheet_rows(worst),
        title=f"The {len(worst)} worst queries and the shop's top {k}",
    )
    vector_map(
        folder / "vector_map.png",
        photos.vectors,
        photos.master_categories,
        photos.article_types,
        title=f"The {len(files)} products' vectors (UMAP), by masterCategory",
    )
    return write_index(folder, title="The engine's quality")


def plain_cnn_vectors(files, backbone):
    """(n, channels) unit vectors of the plain CNN baseline of photo files."""
    embedder = default_embedder(backbone)
    return gem_of_last_map(photo_features(embedder, files), embedder)


def by_article_type(hits, article_types):
    """{variant: {articleType: precision}} of the CHARTED_TYPES largest articleTypes."""
    charted = {label for label, _ in Counter(article_types).most_common(CHARTED_TYPES)}
    return {
        variant: {
            label: value
            for label, value in precision_by_label(variant_hits, article_types).items()
            if label in charted
        }
        for variant, variant_hits in hits.items()
    }


def thumbnail_file(image):
    """The path of a photo's thumbnail, or of the photo while it has none."""
    return (image.thumbnail or image.image).path
