"""Training the projection (recommender.projection) on a labelled catalogue folder.

Used by `manage.py train_projection`; nothing here runs in the shop itself.
"""

import csv
import random
from pathlib import Path

import numpy as np
from more_itertools import chunked
from PIL import Image
from tqdm import tqdm

from catalog.images import WHITE

from .embedding import VectorModel
from .evaluation import evaluate
from .preprocessing import read_photos
from .projection import Projection, unit_rows

COSINE_SCALE = 16.0
MAP_SIZE = 128  # each map's output; 256 was no better (docs/benchmarks.md)
COLOUR_LOSS_WEIGHT = 0.25
TYPE_WEIGHT = 0.35  # of the type part in the vector (Projection.apply)
EPOCHS = 80
SHOPPER_LIKE_VERSION = 1  # bump when shopper_like changes (train_projection's descriptor cache)


def labelled_photos(folder):
    """(ids, article types, colours, photo paths) of the rows of styles.csv that have a photo."""
    folder = Path(folder)
    with open(folder / "styles.csv", newline="", encoding="utf-8") as file:
        rows = [
            row
            for row in csv.DictReader(file)
            if (folder / "images" / f"{row['id']}.jpg").is_file()
        ]
    return (
        [row["id"] for row in rows],
        [row["articleType"] for row in rows],
        [row["baseColour"] for row in rows],
        [folder / "images" / f"{row['id']}.jpg" for row in rows],
    )


def compute_descriptors(embedder, paths, batch_size=32, progress=True, shopper_seed=None):
    """(shape descriptors, colour signatures) of photo files; with `shopper_seed`, of a
    shopper-like copy of each photo instead (shopper_like, seeded)."""
    rng = random.Random(shopper_seed)
    shapes, colours = [], []
    batches = list(chunked(paths, batch_size))
    for batch in tqdm(batches, desc="Describing photos", unit=" batches", disable=not progress):
        photos = read_photos(batch)
        if shopper_seed is not None:
            photos = [shopper_like(photo, rng) for photo in photos]
        shape, colour = embedder.descriptors(photos)
        shapes.append(shape)
        colours.append(colour)
    return np.vstack(shapes).astype(np.float32), np.vstack(colours).astype(np.float32)


def shopper_like(photo, rng):
    """The photo as a shopper might frame it, half the time an off-centre crop (65-90% of
    each side), otherwise tilted by up to 15 degrees on white. Training on these as well
    keeps the spatial parts of the descriptor from tying a product to one framing."""
    width, height = photo.size
    if rng.random() < 0.5:
        crop_width, crop_height = (
            int(width * rng.uniform(0.65, 0.9)),
            int(height * rng.uniform(0.65, 0.9)),
        )
        left, top = rng.randint(0, width - crop_width), rng.randint(0, height - crop_height)
        return photo.crop((left, top, left + crop_width, top + crop_height))
    return photo.rotate(
        rng.uniform(-15, 15), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=WHITE
    )


def held_out_split(article_types, seed=0):
    """Boolean mask of part B: half of each articleType, drawn with a fixed
    seed (the rest is part A)."""
    article_types = np.asarray(article_types)
    rng = np.random.default_rng(seed)
    part_b = np.zeros(len(article_types), bool)
    for article_type in np.unique(article_types):
        members = np.flatnonzero(article_types == article_type)
        rng.shuffle(members)
        part_b[members[len(members) // 2 :]] = True
    return part_b


def held_out_types(article_types, fraction, seed=0):
    """The articleTypes kept out of training (sorted), for measuring on kinds of products the
    projection never saw. The rule: the distinct types, ordered by their number of products
    (most first, ties by name), are cut into round(fraction x types) consecutive groups of
    near-equal size (at least 1, at most all types but one); one type of each group, drawn
    with a fixed seed, is held out. Both sides so get large and small types."""
    if not 0 < fraction < 1:
        raise ValueError(
            f"The fraction of types to hold out must be above 0 and below 1: {fraction}."
        )
    names, counts = np.unique(np.asarray(article_types), return_counts=True)
    if len(names) < 2:
        raise ValueError("Holding out types needs at least two articleTypes.")
    by_size = names[np.lexsort((names, -counts))]
    groups = np.array_split(by_size, min(max(round(fraction * len(names)), 1), len(names) - 1))
    rng = np.random.default_rng(seed)
    return sorted(str(rng.choice(group)) for group in groups)


def class_ids(labels):
    """(n,) int64 ids of the labels: 0..m-1 for the m distinct labels, in sorted order."""
    _, ids = np.unique(np.asarray(labels), return_inverse=True)
    return ids


def train_linear_map(
    features, *label_sets, loss_weights=None, size=MAP_SIZE, epochs=EPOCHS, seed=0, batch_size=256
):
    """A bias-free linear map to `size` dimensions, trained so that the L2-normalised
    output separates each label set with a cosine-softmax classifier (one head per set,
    its loss weighted by `loss_weights`, default 1 each). Returns the (size, features) matrix."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    inputs = torch.as_tensor(features, dtype=torch.float32)
    targets = [torch.as_tensor(class_ids(labels)) for labels in label_sets]
    loss_weights = loss_weights or [1.0] * len(targets)
    linear = torch.nn.Linear(inputs.shape[1], size, bias=False)
    heads = [torch.nn.Linear(size, int(target.max()) + 1, bias=False) for target in targets]
    optimiser = torch.optim.AdamW(
        [linear.weight, *(head.weight for head in heads)], lr=1e-3, weight_decay=1e-4
    )
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(inputs), generator=generator)
        for start in range(0, len(inputs), batch_size):
            rows = order[start : start + batch_size]
            projected = F.normalize(linear(inputs[rows]), dim=1)
            loss = sum(
                weight
                * F.cross_entropy(
                    COSINE_SCALE * projected @ F.normalize(head.weight, dim=1).T, target[rows]
                )
                for weight, head, target in zip(loss_weights, heads, targets)
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return linear.weight.detach().numpy()


def train_projection(shape, colour, article_types, colours, seed=0, epochs=EPOCHS):
    """Fit both maps of a Projection on the given (part A) products. The joint map also
    has a head for the colour alone, weighted COLOUR_LOSS_WEIGHT."""
    joint = [
        f"{article_type}|{colour_name}" for article_type, colour_name in zip(article_types, colours)
    ]
    type_map = train_linear_map(shape, article_types, epochs=epochs, seed=seed)
    joint_map = train_linear_map(
        np.hstack([shape, colour]),
        joint,
        article_types,
        colours,
        loss_weights=[1.0, 1.0, COLOUR_LOSS_WEIGHT],
        epochs=epochs,
        seed=seed,
    )
    return Projection(
        "trained",
        type_map.astype(np.float16).astype(np.float32),
        joint_map.astype(np.float16).astype(np.float32),
        TYPE_WEIGHT,
    )


def compare_on_held_out(
    backbone_name,
    weights_id,
    shape,
    colour,
    article_types,
    colours,
    projection,
    part_b,
    expansion,
    queries=None,
):
    """Figures on part B (the database; its every product queries, or those of the boolean
    mask `queries` over all rows) for the plain and the learned vectors, and for the learned
    vectors ranked as the shop ranks them (queries expanded by `expansion` neighbours,
    recommender.expansion)."""
    article_types, colours = np.asarray(article_types), np.asarray(colours)
    plain = VectorModel(backbone_name, weights_id, None)
    learned = VectorModel(backbone_name, weights_id, projection).vectors(shape, colour)
    variants = {
        "shape descriptor": (unit_rows(shape), 0),
        "shape + colour signature (no learning)": (plain.vectors(shape, colour), 0),
        "learned projection (shape and colour)": (learned, 0),
        f"the same, query expansion {expansion} (the shop)": (learned, expansion),
    }
    return {
        name: evaluate(
            vectors[part_b],
            article_types[part_b],
            colours[part_b],
            expansion=neighbours,
            queries=None if queries is None else np.asarray(queries)[part_b],
        )
        for name, (vectors, neighbours) in variants.items()
    }
