"""Training the kind head (recommender.kinds) on catalogue photos and shoppers' own photos.

Used by `manage.py train_kind_head` and benchmarks/photo_search_real.py; nothing here runs
in the shop itself.
"""

import csv
from pathlib import Path

import numpy as np
from more_itertools import chunked
from PIL import Image, ImageFilter
from tqdm import tqdm

from catalog.images import open_photo

from .colour import foreground_mask
from .kinds import (
    KIND_OF_LABEL,
    KINDS,
    Classifier,
    KindHead,
    head_inputs,
    kind_of_article_type,
    plain_descriptors,
)
from .preprocessing import INPUT_SIZE, read_photos

# Chosen on 5-fold cross-validation over four fifths of the shoppers' photographers (the fifth
# left, benchmarks/photo_search_real.py's untouched groups, was never used to choose):
# precision@10 0.849 with these but SHOPPER_WEIGHT 1, 0.855 with 3; 0.676 without a hidden layer.
HIDDEN_SIZE = 512  # the photo head's hidden layer
EPOCHS = 30
SHOPPER_WEIGHT = 3.0  # a shopper's photo weighs as much as 3 catalogue photos of its kind
CONFIDENCE = 0.5  # the photo head's top probability from which a kind is trusted (KindHead)
# Staged photos (staged_photos): a background is a corner of a shopper's photo this share of its
# shorter side; the product fills this range of the background's side.
BACKGROUND_SHARE = 0.4
PRODUCT_SCALE = (0.55, 0.9)
LIGHT = (0.65, 1.1)  # brightness factors of a staged photo


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


def view_features(embedder, paths, batch_size=32, progress=True):
    """(n, views, descriptor size) float32 photo-head inputs of each of the head_views of photo
    files (kinds.head_inputs): how the photo head learns a shopper's photo."""
    return described_in_batches(
        paths, lambda photos: head_inputs(embedder, photos), batch_size, progress
    )


def photo_features(embedder, paths, batch_size=32, progress=True, stage=None):
    """(n, descriptor size) float32 inputs of the photo head (kinds.plain_descriptors) for
    photo files, each RGB PIL photo passed through `stage` first when given."""
    return described_in_batches(
        paths,
        lambda photos: plain_descriptors(embedder, [stage(p) for p in photos] if stage else photos),
        batch_size,
        progress,
    )


def described_in_batches(paths, describe, batch_size, progress):
    """describe(RGB PIL photos) of photo files read batch_size at a time, concatenated, as
    float32."""
    features = [
        describe(read_photos(batch))
        for batch in tqdm(
            list(chunked(paths, batch_size)),
            desc="Describing photos",
            unit=" batches",
            disable=not progress,
        )
    ]
    return np.concatenate(features).astype(np.float32)


def background_patches(paths, seed=0):
    """(n, INPUT_SIZE, INPUT_SIZE, 3) uint8 backgrounds: a random corner of each shopper's photo
    file, a square of BACKGROUND_SHARE of its shorter side: the floors, beds, tables and walls
    shoppers photograph their clothes on."""
    rng = np.random.default_rng(seed)
    patches = np.empty((len(paths), INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
    for row, path in enumerate(tqdm(paths, desc="Cutting backgrounds", unit=" photos")):
        photo = open_photo(path, max_side=2 * INPUT_SIZE)
        side = int(BACKGROUND_SHARE * min(photo.size))
        left = rng.choice([0, photo.width - side])
        top = rng.choice([0, photo.height - side])
        corner = photo.crop((left, top, left + side, top + side))
        patches[row] = np.asarray(
            corner.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
        )
    return patches


def staged_photo(photo, background, rng):
    """An RGB PIL image of INPUT_SIZE a side: the product of a catalogue photo (its pixels that
    are not near-white, colour.foreground_mask) scaled to PRODUCT_SCALE of the side and pasted at
    a random place on a (INPUT_SIZE, INPUT_SIZE, 3) uint8 background, in LIGHT times its
    brightness: the catalogue's products as shoppers photograph them, off white."""
    box = Image.fromarray(foreground_mask(photo)).getbbox() or (0, 0, *photo.size)
    product = photo.crop(box)
    alpha = Image.fromarray(foreground_mask(product).astype(np.uint8) * 255)
    scale = rng.uniform(*PRODUCT_SCALE) * INPUT_SIZE / max(product.size)
    size = (max(1, round(product.width * scale)), max(1, round(product.height * scale)))
    product = product.resize(size, Image.Resampling.BICUBIC)
    alpha = alpha.resize(size, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(0.8))
    staged = Image.fromarray(background)
    place = (
        int(rng.integers(INPUT_SIZE - size[0] + 1)),
        int(rng.integers(INPUT_SIZE - size[1] + 1)),
    )
    staged.paste(product, place, alpha)
    light = rng.uniform(*LIGHT)
    return Image.fromarray(np.clip(np.asarray(staged) * light, 0, 255).astype(np.uint8))


def staged_features(embedder, catalogue_paths, backgrounds, seed=0):
    """(n, descriptor size) float32 photo-head inputs of the catalogue photo files staged
    (staged_photo) each on a background drawn from `backgrounds` (background_patches)."""
    rng = np.random.default_rng(seed)
    return photo_features(
        embedder,
        catalogue_paths,
        stage=lambda photo: staged_photo(photo, backgrounds[rng.integers(len(backgrounds))], rng),
    )


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
    staged=None,
    seed=0,
    hidden=HIDDEN_SIZE,
    confidence=CONFIDENCE,
):
    """A KindHead: the photo head trained on the catalogue photos', the staged photos' and the
    shoppers' photos' features together (each kind weighing the same, each view of a shopper's
    photo SHOPPER_WEIGHT times a catalogue photo), the catalogue head on the catalogue photos'
    stored vectors. catalogue_features (n, d), catalogue_vectors (n, size) and article_types (n)
    describe the same catalogue photos; shopper_features (m, views, d) (view_features) and
    labels (m, shoppers' labels of KIND_OF_LABEL) the shoppers' photos; staged, when given, is
    (features (s, d), articleTypes (s)) of catalogue photos staged on shoppers' backgrounds
    (staged_features)."""
    views = shopper_features.shape[1]
    shopper_features = shopper_features.reshape(-1, shopper_features.shape[2])
    labels = np.repeat(labels, views)
    staged_features, staged_types = staged if staged is not None else (shopper_features[:0], [])
    catalogue_kinds = [kind_of_article_type(article_type) for article_type in article_types]
    product_kinds = catalogue_kinds + [kind_of_article_type(t) for t in staged_types]
    photo_kinds = product_kinds + [KIND_OF_LABEL[label] for label in labels]
    weights = balanced_weights(kind_ids(photo_kinds))
    weights[len(product_kinds) :] *= SHOPPER_WEIGHT
    photo = train_classifier(
        np.vstack([catalogue_features, staged_features, shopper_features]),
        photo_kinds,
        hidden=hidden,
        seed=seed,
        weights=weights,
    )
    catalogue = train_classifier(catalogue_vectors, catalogue_kinds, hidden=0, seed=seed)
    return KindHead("trained", photo, catalogue, confidence, frozenset(article_types))
