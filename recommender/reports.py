"""Pictures of the engine's quality for the people who tune it: PNG files drawn with Matplotlib
and an index.html that shows them. Written by `manage.py evaluate_retrieval --report DIR` and
`benchmarks/photo_search_real.py --report DIR`; the explorer (explorer/app.py) shows them.
"""

import html
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display, in any process

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

THUMBNAIL = 96  # pixels, a contact sheet's square cells
RIGHT, WRONG = "#1a7f37", "#cf222e"
INDEX = "index.html"
MAP_LABELS = 10  # articleTypes named on the map of the vectors


def bars_by_label(path, figures, *, title, ylabel="precision@10"):
    """A bar chart at `path` (PNG): figures {variant: {label: value}}, the labels side by side
    in the order of the first variant's best first, one bar of each variant per label."""
    variants = list(figures)
    first = figures[variants[0]]
    labels = sorted(first, key=lambda label: (-first[label], label))
    width = 0.8 / len(variants)
    figure, axes = plt.subplots(figsize=(max(8, 0.5 * len(labels)) + 3, 5))  # + the legend
    positions = np.arange(len(labels))
    for number, variant in enumerate(variants):
        values = [figures[variant].get(label, np.nan) for label in labels]
        axes.bar(positions + number * width, values, width, label=variant)
    axes.set_xticks(positions + width * (len(variants) - 1) / 2, labels, rotation=60, ha="right")
    axes.set_ylim(0, 1)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside the bars, never on them
    axes.grid(axis="y", alpha=0.3)
    save(figure, path)


@dataclass(frozen=True)
class SheetRow:
    """One query of a contact sheet: its photo (a file or file-like object), a caption, and its
    results as (photo, right) pairs, best first."""

    query: object
    caption: str
    results: list


def contact_sheet(path, rows, *, title):
    """A contact sheet at `path` (PNG): one row per SheetRow, the query's photo first, then its
    results, each framed green when right and red when wrong."""
    columns = 1 + max((len(row.results) for row in rows), default=0)
    height = 1.45 * len(rows) + 0.6
    figure, axes = plt.subplots(len(rows), columns, figsize=(1.3 * columns, height), squeeze=False)
    for axes_row, row in zip(axes, rows):
        show(axes_row[0], row.query, None)
        axes_row[0].set_title(row.caption, fontsize=6, loc="left")
        for cell, (photo, right) in zip(axes_row[1:], row.results):
            show(cell, photo, RIGHT if right else WRONG)
        for cell in axes_row[1 + len(row.results) :]:
            cell.axis("off")
    figure.suptitle(title)
    save(figure, path, top=1 - 0.5 / height)  # room for the title above the first row


def show(axes, photo, frame):
    """Draw a photo in a cell, squared on white, framed in `frame` (a colour) or not."""
    with Image.open(photo) as image:
        image = ImageOps.pad(
            ImageOps.exif_transpose(image).convert("RGB"), (THUMBNAIL, THUMBNAIL), color="white"
        )
    axes.imshow(image)
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_visible(frame is not None)
        if frame:
            spine.set_edgecolor(frame)
            spine.set_linewidth(3)


def vector_map(path, vectors, master_categories, article_types, *, title, seed=0):
    """A 2-D map at `path` (PNG) of (n, d) unit vectors by UMAP (McInnes, Healy and Melville,
    "UMAP: Uniform Manifold Approximation and Projection", 2018; cosine metric), each point
    coloured by its masterCategory, the MAP_LABELS largest articleTypes named at their median
    point."""
    import umap  # slow to import (numba): only when a map is drawn

    neighbours = max(2, min(15, len(vectors) - 1))
    points = umap.UMAP(n_neighbors=neighbours, metric="cosine", random_state=seed).fit_transform(
        vectors
    )
    figure, axes = plt.subplots(figsize=(9, 8))
    master_categories, article_types = np.asarray(master_categories), np.asarray(article_types)
    for category in sorted(set(master_categories)):
        mine = master_categories == category
        axes.scatter(*points[mine].T, s=4, alpha=0.6, label=f"{category} ({mine.sum()})")
    for article_type, _ in Counter(article_types).most_common(MAP_LABELS):
        x, y = np.median(points[article_types == article_type], axis=0)
        axes.annotate(article_type, (x, y), fontsize=8, ha="center", weight="bold")
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_title(title)
    axes.legend(markerscale=3, fontsize=8)
    save(figure, path)


def save(figure, path, top=1.0):
    """Write a figure to a PNG file (its folder made when missing) and close it; `top`: the
    share of its height the plots may fill (a suptitle goes above)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout(rect=(0, 0, 1, top))
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_index(folder, *, title):
    """folder/index.html showing every PNG file of the folder (the pictures of each report
    written there), by name; returns its path."""
    items = "\n".join(
        f'<figure><img src="{html.escape(path.name)}" alt="{html.escape(path.stem)}">'
        f"<figcaption>{html.escape(path.name)}</figcaption></figure>"
        for path in sorted(Path(folder).glob("*.png"))
    )
    index = Path(folder, INDEX)
    index.write_text(
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}'
        "</title><style>img{max-width:100%}figure{margin:2em 0}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n{items}\n</body></html>\n"
    )
    return index
