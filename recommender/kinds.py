"""The garment kind of a shopper's photo, learned from real photos (the kind head).

Search by photo on the shop's vectors alone confuses kinds on real photos (shoes on a
wooden floor found backpacks; docs/benchmarks.md, "Search by photo on real photos"). A
small classifier, trained on the catalogue's photos and on shoppers' own photos
(`manage.py train_kind_head`), tells which of KINDS a photo shows; search by photo then
ranks the products of that kind first (recommender.selectors.search_by_image).

Two heads share one file per model fingerprint (recommender/kind_heads/):
- the photo head reads the plain pooled descriptor of the photo padded square on white
  (no background step: the step that helps catalogue-like photos hurts real ones);
- the catalogue head reads a product photo's stored vector, so the kinds of the indexed
  photos come from the index's own vectors, never from the products' words.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ImageOps

from .backbones import BACKBONES
from .files import LoadedFiles, write_atomically

KIND_HEADS_DIR = Path(__file__).resolve().parent / "kind_heads"

# The garment kinds: the labels of ../shared/datasets/shoppers-photos mapped onto the catalogue's
# articleTypes (its README); "other" is every other articleType.
KIND_ARTICLE_TYPES = {
    "tshirt": ("Tshirts",),
    "shirt": ("Shirts",),
    "pants": ("Trousers", "Jeans", "Track Pants", "Capris", "Leggings", "Lounge Pants"),
    "shoes": (
        "Casual Shoes",
        "Sports Shoes",
        "Formal Shoes",
        "Heels",
        "Flats",
        "Sandals",
        "Flip Flops",
        "Sports Sandals",
    ),
    "dress": ("Dresses",),
    "shorts": ("Shorts", "Lounge Shorts"),
    "skirt": ("Skirts",),
    "hat": ("Caps", "Hat"),
    "hoodie": ("Sweatshirts",),
    "outerwear": ("Jackets",),
}
OTHER = "other"
KINDS = (*KIND_ARTICLE_TYPES, OTHER)
KIND_OF_ARTICLE_TYPE = {
    article_type: kind for kind, types in KIND_ARTICLE_TYPES.items() for article_type in types
}
# The shoppers' photo labels with a counterpart in the catalogue (the others are not trained on).
KIND_OF_LABEL = {
    "T-Shirt": "tshirt",
    "Polo": "tshirt",
    "Shirt": "shirt",
    "Pants": "pants",
    "Shoes": "shoes",
    "Dress": "dress",
    "Shorts": "shorts",
    "Skirt": "skirt",
    "Hat": "hat",
    "Hoodie": "hoodie",
    "Outwear": "outerwear",
}


def kind_of_article_type(article_type):
    """The garment kind of a catalogue articleType ("other" for a type outside KINDS)."""
    return KIND_OF_ARTICLE_TYPE.get(article_type, OTHER)


def kind_head_path(model_fingerprint):
    """The kind head file of a model fingerprint (recommender/kind_heads/)."""
    return KIND_HEADS_DIR / f"{model_fingerprint}.npz"


@dataclass(frozen=True, eq=False)
class Classifier:
    """Dense layers with ReLU between them and a softmax at the end: `layers` is a list of
    (weights (out, in), bias (out,)) float32 pairs, the last one giving len(KINDS) scores."""

    layers: tuple

    def probabilities(self, features):
        """(n, len(KINDS)) float32 kind probabilities of (n, in) float32 features."""
        x = np.asarray(features, np.float32)
        for number, (weights, bias) in enumerate(self.layers):
            x = x @ weights.T + bias
            if number < len(self.layers) - 1:
                x = np.maximum(x, 0.0)
        x = np.exp(x - x.max(axis=1, keepdims=True))
        return (x / x.sum(axis=1, keepdims=True)).astype(np.float32)

    def arrays(self, prefix):
        """{name: array} of the layers, for np.savez (names start with prefix)."""
        arrays = {}
        for number, (weights, bias) in enumerate(self.layers):
            arrays[f"{prefix}_w{number}"] = weights.astype(np.float32)
            arrays[f"{prefix}_b{number}"] = bias.astype(np.float32)
        return arrays

    @classmethod
    def from_arrays(cls, arrays, prefix):
        """The classifier saved by arrays() under prefix in an opened .npz file."""
        layers = []
        while f"{prefix}_w{len(layers)}" in arrays.files:
            number = len(layers)
            layers.append((arrays[f"{prefix}_w{number}"], arrays[f"{prefix}_b{number}"]))
        return cls(tuple(layers))


@dataclass(frozen=True, eq=False)
class KindHead:
    """The photo head and the catalogue head of one model fingerprint (the module's
    docstring). `confidence`: the photo head's top probability from which search by photo
    ranks the photo's kind first (below it, no kind is trusted and the vectors alone rank).
    `article_types`: the catalogue articleTypes the heads were trained on; a product of one
    of these takes its kind from its articleType (kinds_of_products)."""

    id: str
    photo: Classifier
    catalogue: Classifier
    confidence: float
    article_types: frozenset

    def kinds_of_products(self, article_types, vectors):
        """The kind names of catalogue photos: by their product's articleType when the head
        was trained on it (the catalogue's own words are right more often than any look:
        docs/benchmarks.md), else by the catalogue head from their (n, size) stored vectors."""
        unknown = [
            n
            for n, article_type in enumerate(article_types)
            if article_type not in self.article_types
        ]
        kinds = [kind_of_article_type(article_type) for article_type in article_types]
        if unknown:
            best = self.catalogue.probabilities(vectors[unknown]).argmax(axis=1)
            for n, position in zip(unknown, best):
                kinds[n] = KINDS[position]
        return kinds

    def save(self, path):
        """Write the head to an .npz file at path, atomically."""

        def write(temporary):
            with open(temporary, "wb") as file:
                np.savez(
                    file,
                    kinds=np.array(KINDS),
                    confidence=np.float32(self.confidence),
                    article_types=np.array(sorted(self.article_types)),
                    **self.photo.arrays("photo"),
                    **self.catalogue.arrays("catalogue"),
                )

        write_atomically(path, write)

    @classmethod
    def load(cls, path):
        """The head saved at path (its id: 8 hex digits of the file's SHA-256); raises
        ValueError when the file was trained for other kinds than KINDS."""
        with np.load(path, allow_pickle=False) as arrays:
            if tuple(arrays["kinds"].tolist()) != KINDS:
                raise ValueError(f"{path} was trained for other garment kinds: retrain it.")
            return cls(
                hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8],
                Classifier.from_arrays(arrays, "photo"),
                Classifier.from_arrays(arrays, "catalogue"),
                float(arrays["confidence"]),
                frozenset(arrays["article_types"].tolist()),
            )


_heads = LoadedFiles(KindHead.load)


def kind_head(model_fingerprint):
    """The kind head of a model fingerprint, or None when none is trained (read once a
    process, again when its file changes)."""
    return _heads.get(kind_head_path(model_fingerprint))


def plain_descriptors(embedder, photos):
    """(n, descriptor size) float32 pooled shape descriptors of RGB PIL images padded square on
    white, without the background step: the photo head's input."""
    shape, _ = embedder.descriptors(photos, styled=True)
    return shape[:, : BACKBONES[embedder.model.backbone_name].descriptor_size]


def head_views(photo):
    """The views of an RGB PIL image that the photo head reads: the photo, its mirror image and
    its centre square. It learns a shopper's photo in all three and averages its probabilities
    over them at search time (test-time augmentation: kind accuracy on real photos 0.848 ->
    0.880, docs/benchmarks.md)."""
    width, height = photo.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return [photo, ImageOps.mirror(photo), photo.crop((left, top, left + side, top + side))]


def head_inputs(embedder, photos):
    """(n, len(head_views), descriptor size) float32 photo-head inputs of RGB PIL images, one
    row per view (head_views)."""
    views = [view for photo in photos for view in head_views(photo)]
    return plain_descriptors(embedder, views).reshape(len(photos), len(views) // len(photos), -1)


def kind_scores(embedder, photo):
    """(len(KINDS),) float32 kind probabilities of one RGB PIL image, averaged over its
    head_views, or None when the model has no kind head."""
    head = kind_head(embedder.model.fingerprint)
    if head is None:
        return None
    return head.photo.probabilities(head_inputs(embedder, [photo])[0]).mean(axis=0)
