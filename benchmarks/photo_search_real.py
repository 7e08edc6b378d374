"""Search by photo with real shoppers' photos against the catalogue, 5-fold by photographer.

    python benchmarks/photo_search_real.py [--shoppers DIR] [--catalogue DIR] [--folds 5]
        [--bootstrap 2000] [--cache DIR]

Runs against the shop database of the environment (DJANGO_SETTINGS_MODULE, default
fashionsite.settings.base; DATABASE_URL or VAR_DIR), which must hold the imported,
embedded and indexed --catalogue folder (default ../shared/datasets/fashion-products:
manage.py import_catalog, embed_catalog, build_index).

The queries are the photos of --shoppers (default ../shared/datasets/shoppers-photos) whose
label has a catalogue counterpart (recommender.kinds.KIND_OF_LABEL). A result is right
when its articleType is one the photo's label maps to (that folder's README);
precision@10 is the share of right results among the first 10.

The photographer groups are split into --folds folds. For each fold the kind head is
trained as `manage.py train_kind_head` trains it, on the catalogue photos and the other
folds' shoppers' photos, and each photo of the fold is searched through the shop's own
recommender.selectors.search_by_photo_query. In the same run:

- baseline: a plain ImageNet CNN, the backbone's GeM of its last map of the photo padded
  square on white, exact cosine against the catalogue photos' same descriptor;
- shop_without_kind_head: the shop's search with no kind head (what the shop did before);
- shop: the shop's search with the fold's kind head.

Per label: precision@10 of each, and the shop's difference from the baseline with a 95%
interval, bootstrapped over photographer groups (the photos of one person are not
independent). Figures are given over all folds and, apart, over the groups of
`untouched_groups` (a fifth of them, seeded), which no choice of the kind head (its
size, epochs, weights, confidence) was tuned on. With benchmarks/data/shopper_boxes.csv
(hand-drawn boxes), the boxed photos are also searched by their box, with and without.

Descriptors are cached in --cache (default VAR_DIR/benchmarks), keyed by the model's
fingerprint. Prints JSON on stdout and a table on stderr.
"""

import argparse
import csv
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from catalog.models import ProductImage  # noqa: E402
from recommender import kinds, selectors  # noqa: E402
from recommender.backbones import BACKBONES  # noqa: E402
from recommender.embedding import default_embedder, photo_views, query_photo  # noqa: E402
from recommender.kind_training import photo_features, shopper_photos, train_kind_head  # noqa: E402
from recommender.kinds import KIND_ARTICLE_TYPES, KIND_OF_LABEL, plain_descriptors  # noqa: E402
from recommender.models import ImageEmbedding  # noqa: E402
from recommender.photo_query import Box, PhotoQuery  # noqa: E402
from recommender.projection import unit_rows  # noqa: E402
from recommender.training import labelled_photos  # noqa: E402

K = 10
BOXES = ROOT / "benchmarks" / "data" / "shopper_boxes.csv"
UNTOUCHED_SEED = 1234


def untouched_groups(groups):
    """The fifth of the photographer groups kept out of every tuning choice: the first fifth of
    the sorted groups shuffled with seed 1234."""
    ordered = sorted(set(groups))
    shuffled = [ordered[i] for i in np.random.default_rng(UNTOUCHED_SEED).permutation(len(ordered))]
    return set(shuffled[: len(ordered) // 5])


def folds_of(groups, folds):
    """(n,) fold number of each photo: the sorted groups dealt round-robin after a seeded
    shuffle, so one person's photos are all in one fold."""
    ordered = sorted(set(groups))
    shuffled = [ordered[i] for i in np.random.default_rng(0).permutation(len(ordered))]
    fold_of_group = {group: n % folds for n, group in enumerate(shuffled)}
    return np.array([fold_of_group[group] for group in groups])


def cached(path, key, compute):
    """The arrays saved at path under `key`, or compute() (a dict of arrays) saved there."""
    if path.is_file():
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["key"]) == key:
                return {name: stored[name] for name in stored.files if name != "key"}
    arrays = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, key=key, **arrays)
    return arrays


def query_arrays(embedder, paths, boxes=None):
    """{"plain": (n, d) photo-head inputs, "views": (n, 2, size) view vectors (zero rows past
    "nviews"), "nviews": (n,)} of photo files, each cut to its box when boxes are given."""
    plain, views, counts = [], np.zeros((len(paths), 2, embedder.model.size), np.float32), []
    for row, path in enumerate(tqdm(paths, desc="Describing queries", unit=" photos")):
        photo = query_photo(path, boxes[row] if boxes else None)
        plain.append(plain_descriptors(embedder, [photo])[0])
        vectors = embedder.vectors_of_views(photo_views(photo))
        views[row, : len(vectors)] = vectors
        counts.append(len(vectors))
    return {"plain": np.stack(plain), "views": views, "nviews": np.array(counts)}


def catalogue_arrays(folder, fingerprint, cache, embedder):
    """Article types, photo-head inputs, stored vectors and GeM baselines of the catalogue photos
    that are in the shop database, in one order."""
    ids, article_types, _, paths = labelled_photos(folder)
    plain = cached(
        cache / "catalogue.npz",
        f"{fingerprint}-{len(ids)}",
        lambda: {"plain": photo_features(embedder, paths)},
    )["plain"]
    stored = dict(
        ImageEmbedding.objects.current(fingerprint).values_list(
            "image__product__external_id", "vector"
        )
    )
    missing = [external_id for external_id in ids if external_id not in stored]
    if missing:
        sys.exit(f"{len(missing)} catalogue photos (e.g. {missing[0]}) have no stored vector here.")
    vectors = np.stack([ImageEmbedding.from_bytes(stored[external_id]) for external_id in ids])
    return np.array(article_types), plain, vectors


def gem_of_last_map(plain, embedder):
    """(n, channels) unit vectors of the baseline: the GeM of the last map, the first part of
    the plain descriptors (n, d)."""
    return unit_rows(plain[:, : BACKBONES[embedder.model.backbone_name].last_map_size])


def right_results(article_types, label):
    """(n,) bool: the catalogue photos whose articleType is right for a shoppers' label."""
    return np.isin(article_types, KIND_ARTICLE_TYPES[KIND_OF_LABEL[label]])


def baseline_precision(query_gem, catalogue_gem, right):
    """Precision@10 of exact cosine search of one query's GeM vector."""
    return right[np.argsort(-(catalogue_gem @ query_gem), kind="stable")[:K]].mean()


def shop_search(arrays, row, head, right_products):
    """(precision@10, share of results marked relevant) of the shop's search for one query
    row of `arrays` (query_arrays), with a kind head (None: without)."""
    views = arrays["views"][row, : arrays["nviews"][row]]
    scores = None if head is None else head.photo.probabilities(arrays["plain"][row : row + 1])[0]
    results = selectors.search_by_photo_query(PhotoQuery(views, scores), k=K)
    return (
        np.mean([right_products[result.product.pk] for result in results]),
        np.mean([result.relevant for result in results]),
    )


def install_kind_head(head):
    """Make `head` the shop's kind head for this run (None: no kind head)."""
    path = kinds.kind_head_path(selectors.fingerprint())
    path.unlink(missing_ok=True)
    if head is not None:
        head.save(path)
    kinds._heads.clear()
    selectors._photo_kinds.clear()
    return kinds.kind_head(selectors.fingerprint())


def right_products_of_labels(labels):
    """{label: {product id: whether its articleType is right for the label}}."""
    types = dict(ProductImage.objects.values_list("product_id", "product__article_type"))
    return {
        label: {
            pk: article_type in KIND_ARTICLE_TYPES[KIND_OF_LABEL[label]]
            for pk, article_type in types.items()
        }
        for label in set(labels)
    }


def measure(catalogue, queries, labels, folds, embedder, boxed):
    """({method: (n,) precision@10 of each query}, (n,) share of the shop's results marked
    relevant, {"whole photo"/"box": (b,) precision@10 of the boxed queries}). Each query is
    searched with the kind head of the fold that left it out."""
    article_types, plain, vectors = catalogue
    catalogue_gem, query_gem = (
        gem_of_last_map(plain, embedder),
        gem_of_last_map(queries["plain"], embedder),
    )
    right_products = right_products_of_labels(labels)
    n = len(labels)
    figures = {name: np.zeros(n) for name in ("baseline", "shop_without_kind_head", "shop")}
    relevant = np.zeros(n)
    box_figures = {"whole photo": np.zeros(len(boxed["rows"])), "box": np.zeros(len(boxed["rows"]))}
    install_kind_head(None)
    for row in tqdm(range(n), desc="Baseline and shop without kind head", unit=" photos"):
        right = right_results(article_types, labels[row])
        figures["baseline"][row] = baseline_precision(query_gem[row], catalogue_gem, right)
        figures["shop_without_kind_head"][row] = shop_search(
            queries, row, None, right_products[labels[row]]
        )[0]
    for fold in range(folds.max() + 1):
        train = folds != fold
        head = install_kind_head(
            train_kind_head(plain, vectors, article_types, queries["plain"][train], labels[train])
        )
        for row in tqdm(np.flatnonzero(~train), desc=f"Fold {fold + 1}", unit=" photos"):
            figures["shop"][row], relevant[row] = shop_search(
                queries, row, head, right_products[labels[row]]
            )
        for position, row in enumerate(boxed["rows"]):
            if not train[row]:
                right = right_products[labels[row]]
                box_figures["whole photo"][position] = figures["shop"][row]
                box_figures["box"][position] = shop_search(boxed["arrays"], position, head, right)[
                    0
                ]
    install_kind_head(None)
    return figures, relevant, box_figures


def boxed_queries(images, folder, embedder, cache, fingerprint):
    """{"rows": query rows with a hand-drawn box, "arrays": query_arrays of their boxes}."""
    with open(BOXES, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    position = {image: row for row, image in enumerate(images)}
    rows = [row for row in rows if row["image"] in position]
    boxes = [
        Box(*(float(row[edge]) for edge in ("left", "top", "right", "bottom"))) for row in rows
    ]
    arrays = cached(
        cache / "boxed.npz",
        f"{fingerprint}-" + ",".join(box.key() for box in boxes),
        lambda: query_arrays(embedder, [folder / f"{row['image']}.jpg" for row in rows], boxes),
    )
    return {"rows": np.array([position[row["image"]] for row in rows], np.int64), "arrays": arrays}


def group_bootstrap(values, groups, rounds, seed=0):
    """(mean, low, high): the mean of `values` and its 95% interval from `rounds` resamplings of
    the photographer groups (with replacement, each group's values together)."""
    by_group = [values[groups == group] for group in np.unique(groups)]
    rng = np.random.default_rng(seed)
    means = []
    for _ in range(rounds):
        chosen = rng.integers(len(by_group), size=len(by_group))
        means.append(np.concatenate([by_group[i] for i in chosen]).mean())
    low, high = np.percentile(means, [2.5, 97.5])
    return round(float(values.mean()), 3), round(float(low), 3), round(float(high), 3)


def summary(figures, labels, groups, mask, rounds):
    """Per label and overall: each method's precision@10 and the shop's difference from the
    baseline with its bootstrap interval, over the queries of `mask`."""
    table = {}
    for label in [None, *sorted(set(labels))]:
        rows = mask & (labels == label) if label else mask
        if not rows.any():
            continue
        entry = {name: round(float(values[rows].mean()), 3) for name, values in figures.items()}
        entry["queries"] = int(rows.sum())
        difference = figures["shop"][rows] - figures["baseline"][rows]
        entry["shop_minus_baseline"] = group_bootstrap(difference, groups[rows], rounds)
        table[label or "all"] = entry
    return table


def print_table(table, title, out=sys.stderr):
    """The summary as text."""
    print(title, file=out)
    print(
        f"{'label':<10}{'n':>6}{'baseline':>10}{'before':>10}{'shop':>8}  shop-baseline [95%]",
        file=out,
    )
    for label, entry in table.items():
        mean, low, high = entry["shop_minus_baseline"]
        print(
            f"{label:<10}{entry['queries']:>6}{entry['baseline']:>10}"
            f"{entry['shop_without_kind_head']:>10}{entry['shop']:>8}"
            f"  {mean:+.3f} [{low:+.3f}, {high:+.3f}]",
            file=out,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shoppers", type=Path, default=ROOT.parent / "shared/datasets/shoppers-photos"
    )
    parser.add_argument(
        "--catalogue", type=Path, default=ROOT.parent / "shared/datasets/fashion-products"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=2000, help="bootstrap rounds")
    parser.add_argument("--cache", type=Path, default=None, help="default: VAR_DIR/benchmarks")
    args = parser.parse_args()
    cache = args.cache or Path(settings.VAR_DIR) / "benchmarks"
    embedder = default_embedder()
    fingerprint = embedder.model.fingerprint
    # Each fold's head is written in a folder of this run's: the shipped head, if any, saw every
    # photo.
    kinds.KIND_HEADS_DIR = Path(tempfile.mkdtemp())
    catalogue = catalogue_arrays(args.catalogue, fingerprint, cache, embedder)
    paths, labels, groups = shopper_photos(args.shoppers)
    labels, groups = np.array(labels), np.array(groups)
    queries = cached(
        cache / "shoppers.npz", f"{fingerprint}-{len(paths)}", lambda: query_arrays(embedder, paths)
    )
    images = [path.stem for path in paths]
    boxed = boxed_queries(images, args.shoppers / "images", embedder, cache, fingerprint)
    folds = folds_of(groups, args.folds)
    figures, relevant, box_figures = measure(catalogue, queries, labels, folds, embedder, boxed)
    everyone = np.ones(len(labels), bool)
    untouched = np.isin(groups, list(untouched_groups(groups)))
    report = {
        "fingerprint": fingerprint,
        "catalogue_size": len(catalogue[0]),
        "queries": len(labels),
        "folds": args.folds,
        "k": K,
        "all_folds": summary(figures, labels, groups, everyone, args.bootstrap),
        "untouched_groups": summary(figures, labels, groups, untouched, args.bootstrap),
        "shop_results_marked_relevant": round(float(relevant.mean()), 3),
        "boxed": {
            "queries": len(boxed["rows"]),
            **{name: round(float(values.mean()), 3) for name, values in box_figures.items()},
            "box_minus_whole": group_bootstrap(
                box_figures["box"] - box_figures["whole photo"],
                groups[boxed["rows"]],
                args.bootstrap,
            ),
        },
    }
    print_table(report["all_folds"], f"All {args.folds} folds, precision@{K}")
    print_table(report["untouched_groups"], "Untouched groups only")
    print(json.dumps(report["boxed"]), file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
