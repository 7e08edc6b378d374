"""Training the kind head (recommender.kinds) on catalogue photos and shoppers' own photos.

Used by `manage.py train_kind_head` and benchmarks/photo_search_real.py; nothing here runs
in the shop itself.
"""

import csv
from pathlib import Path

import numpy as np
from more_itertools import chunked
from tqdm import tqdm

from .kinds import (
    KIND_OF_LABEL,
    KINDS,
    Classifier,
    KindHead,
    kind_of_article_type,
    plain_descriptors,
)
from .preprocessing import read_photos

# Chosen on 5-fold cross-validation over four fifths of the shoppers' photographers (the fifth
# left, benchmarks/photo_search_real.py's untouched groups, was never used to choose):
# precision@10 0.849 with these but SHOPPER_WEIGHT 1, 0.855 with 3; 0.676 without a hidden layer.
HIDDEN_SIZE = 512  # the photo head's hidden layer
EPOCHS = 30
SHOPPER_WEIGHT = 3.0  # a shopper's photo weighs as much as 3 catalogue photos of its kind
CONFIDENCE = 0.5  # the photo head's top probability from which a kind is trusted (KindHead)


def shopper_photos(folder):
    """(paths, labels, groups) of the photos in a shoppers-photos folder (labels.csv: image,
    label, kids, group) whose label has a catalogue counterpart (kinds.KIND_OF_LABEL)."""
    folder = Path(folder)
    with open(folder / "labels.csv", newline="", encoding="utf-8") as file:
        rows = [row for row in csv.DictReader(file) if row["label"] in KIND_OF_LABEL]
    return (
        [folder / "images" / f"{row['image']}.jpg" for row in rows],
        [row["label"] for row in rows],
        [row["group"] for row in rows],
    )


def photo_features(embedder, paths, batch_size=32, progress=True):
    """(n, descriptor size) float32 inputs of the photo head (kinds.plain_descriptors) for
    photo files."""
    batches = list(chunked(paths, batch_size))
    return np.vstack(
        [
            plain_descriptors(embedder, read_photos(batch))
            for batch in tqdm(
                batches, desc="Describing photos", unit=" batches", disable=not progress
            )
        ]
    ).astype(np.float32)


def kind_ids(kinds):
    """(n,) int64 positions in KINDS of kind names."""
    return np.array([KINDS.index(kind) for kind in kinds], np.int64)


def train_classifier(features, kinds, hidden=HIDDEN_SIZE, epochs=EPOCHS, seed=0, weights=None):
    """A Classifier of (n, d) float32 features into KINDS (kind names, n), trained with
    cross-entropy and AdamW in batches of 256; one hidden ReLU layer of `hidden` units, or
    none (softmax regression) when hidden is 0. `weights` (n,) weigh each example's loss
    (default: each kind's examples together weigh as much as another kind's)."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    inputs = torch.as_tensor(features, dtype=torch.float32)
    targets = torch.as_tensor(kind_ids(kinds))
    if weights is None:
        weights = balanced_weights(targets.numpy())
    weights = torch.as_tensor(weights, dtype=torch.float32)
    sizes = [inputs.shape[1], *([hidden] if hidden else []), len(KINDS)]
    layers = [torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
    model = torch.nn.Sequential(*sum(([layer, torch.nn.ReLU()] for layer in layers), [])[:-1])
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(inputs), generator=generator)
        for rows in order.split(256):
            losses = F.cross_entropy(model(inputs[rows]), targets[rows], reduction="none")
            loss = (losses * weights[rows]).sum() / weights[rows].sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return Classifier(
        tuple((layer.weight.detach().numpy(), layer.bias.detach().numpy()) for layer in layers)
    )


def balanced_weights(targets):
    """(n,) float32 weights that make each class's examples weigh the same in total."""
    counts = np.bincount(targets, minlength=len(KINDS)).astype(np.float32)
    return (len(targets) / (np.count_nonzero(counts) * counts[targets])).astype(np.float32)


def train_kind_head(
    catalogue_features,
    catalogue_vectors,
    article_types,
    shopper_features,
    labels,
    seed=0,
    hidden=HIDDEN_SIZE,
    confidence=CONFIDENCE,
):
    """A KindHead: the photo head trained on the catalogue photos' and the shoppers' photos'
    photo_features together (each kind weighing the same, a shopper's photo SHOPPER_WEIGHT
    times a catalogue photo), the catalogue head on the catalogue photos' stored vectors.
    catalogue_features (n, d), catalogue_vectors (n, size) and article_types (n) describe the
    same catalogue photos; shopper_features (m, d) and labels (m, shoppers' labels of
    KIND_OF_LABEL) the shoppers' photos."""
    catalogue_kinds = [kind_of_article_type(article_type) for article_type in article_types]
    photo_kinds = catalogue_kinds + [KIND_OF_LABEL[label] for label in labels]
    weights = balanced_weights(kind_ids(photo_kinds))
    weights[len(catalogue_kinds) :] *= SHOPPER_WEIGHT
    photo = train_classifier(
        np.vstack([catalogue_features, shopper_features]),
        photo_kinds,
        hidden=hidden,
        seed=seed,
        weights=weights,
    )
    catalogue = train_classifier(catalogue_vectors, catalogue_kinds, hidden=0, seed=seed)
    return KindHead("trained", photo, catalogue, confidence, frozenset(article_types))
