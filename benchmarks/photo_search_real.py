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
trained as `manage.py train_kind_head` trains it, on the catalogue photos (on white and staged
on backgrounds cut from the other folds' photos) and the other folds' shoppers' photos, and
each photo of the fold is searched through the shop's own
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
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from recommender.embedding import default_embedder  # noqa: E402
from recommender.kind_training import shopper_photos  # noqa: E402
from recommender.photo_evaluation import (  # noqa: E402
    K,
    Staging,
    cached,
    catalogue_arrays,
    folds_of,
    measure,
    query_arrays,
)
from recommender.photo_query import Box  # noqa: E402
from recommender.reports import bars_by_label, write_index  # noqa: E402
from recommender.training import labelled_photos  # noqa: E402

BOXES = ROOT / "benchmarks" / "data" / "shopper_boxes.csv"
UNTOUCHED_SEED = 1234


def untouched_groups(groups):
    """The fifth of the photographer groups kept out of every tuning choice: the first fifth of
    the sorted groups shuffled with seed 1234."""
    ordered = sorted(set(groups))
    shuffled = [ordered[i] for i in np.random.default_rng(UNTOUCHED_SEED).permutation(len(ordered))]
    return set(shuffled[: len(ordered) // 5])


def boxed_queries(images, folder, embedder, cache, fingerprint):
    """{"rows": query rows with a hand-drawn box, "arrays": query_arrays of their boxes}."""
    with open(BOXES, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    position = {image: row for row, image in enumerate(images)}
    rows = [row for row in rows if row["image"] in position]
    boxes = [Box.of_edges([row[edge] for edge in Box.EDGES]) for row in rows]
    arrays = cached(
        cache / "boxed-head-views.npz",
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
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="also draw precision@10 per label in DIR (PNG, and the folder's index.html)",
    )
    args = parser.parse_args()
    cache = args.cache or Path(settings.VAR_DIR) / "benchmarks"
    embedder = default_embedder()
    fingerprint = embedder.model.fingerprint
    catalogue = catalogue_arrays(args.catalogue, fingerprint, cache, embedder)
    paths, labels, groups = shopper_photos(args.shoppers)
    labels, groups = np.array(labels), np.array(groups)
    queries = cached(
        cache / "shoppers-head-views.npz",
        f"{fingerprint}-{len(paths)}",
        lambda: query_arrays(embedder, paths),
    )
    images = [path.stem for path in paths]
    boxed = boxed_queries(images, args.shoppers / "images", embedder, cache, fingerprint)
    folds = folds_of(groups, args.folds)
    staging = Staging(labelled_photos(args.catalogue)[3], catalogue[0], paths, embedder, cache)
    searches = measure(catalogue, queries, labels, folds, embedder, staging, boxed)
    figures, relevant = searches.figures, searches.relevant
    box_figures = {
        name: np.array([by_row[position] for position in range(len(boxed["rows"]))])
        for name, by_row in searches.boxed.items()
    }
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
    if args.report:
        draw(report["all_folds"], args.report, args.folds)


def draw(table, folder, folds):
    """precision@10 per label (a summary's, "all" left out) of the shop and both baselines, as
    a bar chart in folder, and the folder's index.html."""
    names = {
        "shop": "the shop",
        "shop_without_kind_head": "without the kind head",
        "baseline": "plain CNN + GeM",
    }
    bars_by_label(
        folder / "photo_search_by_label.png",
        {
            caption: {label: entry[name] for label, entry in table.items() if label != "all"}
            for name, caption in names.items()
        },
        title=f"Search by photo on real shoppers' photos: precision@{K} per label "
        f"({folds} folds by photographer)",
        ylabel=f"precision@{K}",
    )
    write_index(folder, title="The engine's quality")


if __name__ == "__main__":
    main()
