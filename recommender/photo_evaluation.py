"""Search by photo measured on real shoppers' photos, k-fold by photographer: each photo is
searched through the shop's own recommender.selectors.search_by_photo_query with a kind head
trained without its photographer's photos (as `manage.py train_kind_head` trains it).

Used by benchmarks/photo_search_real.py and `manage.py calibrate_relevance`; nothing here runs
in the shop itself.
"""

import contextlib
import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from catalog.models import ProductImage

from . import kinds, selectors
from .backbones import BACKBONES
from .embedding import photo_views, query_photo
from .evaluation import K
from .kind_training import background_patches, photo_features, staged_features, train_kind_head
from .kinds import KIND_ARTICLE_TYPES, KIND_OF_LABEL, head_inputs
from .models import ImageEmbedding
from .photo_query import PhotoQuery
from .projection import unit_rows
from .training import labelled_photos


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
    """{"plain": (n, head views, d) photo-head inputs (kinds.head_inputs: the photo's first),
    "views": (n, 2, size) view vectors (zero rows past "nviews"), "nviews": (n,)} of photo
    files, each cut to its box when boxes are given."""
    plain, views, counts = [], np.zeros((len(paths), 2, embedder.model.size), np.float32), []
    for row, path in enumerate(tqdm(paths, desc="Describing queries", unit=" photos")):
        photo = query_photo(path, boxes[row] if boxes else None)
        plain.append(head_inputs(embedder, [photo])[0])
        vectors = embedder.vectors_of_views(photo_views(photo))
        views[row, : len(vectors)] = vectors
        counts.append(len(vectors))
    return {"plain": np.stack(plain), "views": views, "nviews": np.array(counts)}


def catalogue_arrays(folder, fingerprint, cache, embedder):
    """(article types (n,), photo-head inputs (n, d), stored vectors (n, size)) of the photos of
    a labelled catalogue folder, which the shop database must hold with their stored vectors
    (raises ValueError otherwise); the inputs are cached in the folder `cache`."""
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
        raise ValueError(
            f"{len(missing)} catalogue photos (e.g. {missing[0]}) have no stored vector in this "
            "shop: import, embed and index the catalogue folder first."
        )
    vectors = np.stack([ImageEmbedding.from_bytes(stored[external_id]) for external_id in ids])
    return np.array(article_types), plain, vectors


def gem_of_last_map(plain, embedder):
    """(n, channels) unit vectors of the baseline: the GeM of the last map, the first part of
    the plain descriptors (n, d)."""
    return unit_rows(plain[:, : BACKBONES[embedder.model.backbone_name].last_map_size])


def right_article_types(label):
    """The articleTypes of a right result for a searched shoppers' label (its README's map)."""
    return KIND_ARTICLE_TYPES[KIND_OF_LABEL[label]]


def right_results(article_types, label):
    """(n,) bool: the catalogue photos whose articleType is right for a shoppers' label."""
    return np.isin(article_types, right_article_types(label))


def baseline_precision(query_gem, catalogue_gem, right):
    """Precision@10 of exact cosine search of one query's GeM vector."""
    return right[np.argsort(-(catalogue_gem @ query_gem), kind="stable")[:K]].mean()


@dataclass(frozen=True)
class Staging:
    """What a fold's kind head is trained on besides the photos themselves: the catalogue photo
    files (paths, article_types: n) staged on backgrounds cut from the fold's training
    shoppers' photo files (shopper_paths), as `manage.py train_kind_head` stages them;
    descriptors cached in the folder `cache`."""

    paths: list
    article_types: np.ndarray
    shopper_paths: list
    embedder: object
    cache: Path

    def staged(self, train):
        """(features (n, d), article_types (n)) of the catalogue staged on the backgrounds of the
        shoppers' photos of the (m,) bool mask `train`."""
        backgrounds = [path for path, keep in zip(self.shopper_paths, train) if keep]
        digest = hashlib.sha256("\n".join(path.name for path in backgrounds).encode()).hexdigest()
        features = cached(
            self.cache / f"staged-{digest[:16]}.npz",
            f"{self.embedder.model.fingerprint}-{len(self.paths)}-{digest}",
            lambda: {
                "features": staged_features(
                    self.embedder, self.paths, background_patches(backgrounds)
                )
            },
        )["features"]
        return features, self.article_types


@dataclass
class Searches:
    """What measure() found: per query, the precision@10 of each method (`figures`: {method:
    (n,)}) and the share of the shop's results marked relevant; for each of the shop's results
    (n * K), its score and whether it is right; the boxed queries' precision@10 as a whole
    photo and by their box."""

    figures: dict
    relevant: np.ndarray
    result_scores: list = field(default_factory=list)
    result_right: list = field(default_factory=list)
    boxed: dict = field(default_factory=dict)


def shop_search(arrays, row, head, right_products):
    """The shop's results (k=K) for one query row of `arrays` (query_arrays), with a kind head
    (None: without), and whether each is right ({product id: right})."""
    views = arrays["views"][row, : arrays["nviews"][row]]
    scores = None if head is None else head.photo.probabilities(arrays["plain"][row]).mean(axis=0)
    results = selectors.search_by_photo_query(PhotoQuery(views, scores), k=K)
    return results, [right_products[result.product.pk] for result in results]


@contextlib.contextmanager
def fold_kind_heads():
    """Within it, the shop reads kind heads from a folder of its own (none at first): the
    shipped head, trained on every photo, is never used nor overwritten."""
    shipped = kinds.KIND_HEADS_DIR
    with tempfile.TemporaryDirectory() as folder:
        kinds.KIND_HEADS_DIR = Path(folder)
        try:
            yield
        finally:
            kinds.KIND_HEADS_DIR = shipped
            forget_kind_heads()


def install_kind_head(head):
    """Make `head` the shop's kind head (None: no kind head); call within fold_kind_heads."""
    path = kinds.kind_head_path(selectors.fingerprint())
    path.unlink(missing_ok=True)
    if head is not None:
        head.save(path)
    forget_kind_heads()
    return kinds.kind_head(selectors.fingerprint())


def forget_kind_heads():
    """Drop this process's loaded kind heads and the indexed photos' kinds they gave."""
    kinds._heads.clear()
    selectors._photo_kinds.clear()


def right_products_of_labels(labels):
    """{label: {product id: whether its articleType is right for the label}}."""
    types = dict(ProductImage.objects.values_list("product_id", "product__article_type"))
    return {
        label: {
            pk: article_type in right_article_types(label) for pk, article_type in types.items()
        }
        for label in set(labels)
    }


def measure(catalogue, queries, labels, folds, embedder, staging, boxed=None, baselines=True):
    """Searches of every query (query_arrays, with their shoppers' labels (n,)), each through
    the shop with the kind head of the fold (folds: (n,) fold numbers) that left it out, trained
    with the fold's staged catalogue photos (a Staging of the same queries' files); with
    `baselines`, also by the plain GeM baseline and by the shop without a kind head. `boxed`:
    {"rows": query rows, "arrays": query_arrays of their boxes}, searched by their box too."""
    right_products = right_products_of_labels(labels)
    searches = Searches({"shop": np.zeros(len(labels))}, np.zeros(len(labels)))
    with fold_kind_heads():
        if baselines:
            measure_baselines(searches, catalogue, queries, labels, embedder, right_products)
        for fold in range(folds.max() + 1):
            train = folds != fold
            staged = staging.staged(train)
            measure_fold(searches, catalogue, queries, labels, train, staged, right_products, boxed)
    return searches


def measure_baselines(searches, catalogue, queries, labels, embedder, right_products):
    """Fill in searches.figures' "baseline" and "shop_without_kind_head" (measure)."""
    article_types, plain, _ = catalogue
    catalogue_gem = gem_of_last_map(plain, embedder)
    query_gem = gem_of_last_map(queries["plain"][:, 0], embedder)  # the photo itself
    baseline, without = np.zeros(len(labels)), np.zeros(len(labels))
    install_kind_head(None)
    for row in tqdm(range(len(labels)), desc="Baselines", unit=" photos"):
        right = right_results(article_types, labels[row])
        baseline[row] = baseline_precision(query_gem[row], catalogue_gem, right)
        without[row] = np.mean(shop_search(queries, row, None, right_products[labels[row]])[1])
    searches.figures.update(baseline=baseline, shop_without_kind_head=without)


def measure_fold(searches, catalogue, queries, labels, train, staged, right_products, boxed):
    """Train the kind head on the catalogue, the staged catalogue and the `train` queries, then
    search the others with it (measure)."""
    article_types, plain, vectors = catalogue
    head = install_kind_head(
        train_kind_head(
            plain, vectors, article_types, queries["plain"][train], labels[train], staged
        )
    )
    for row in tqdm(np.flatnonzero(~train), desc="A fold", unit=" photos"):
        results, right = shop_search(queries, row, head, right_products[labels[row]])
        searches.figures["shop"][row] = np.mean(right)
        searches.relevant[row] = np.mean([result.relevant for result in results])
        searches.result_scores += [result.score for result in results]
        searches.result_right += right
    if boxed is None:
        return
    for position, row in enumerate(boxed["rows"]):
        if not train[row]:
            right = shop_search(boxed["arrays"], position, head, right_products[labels[row]])[1]
            searches.boxed.setdefault("whole photo", {})[position] = searches.figures["shop"][row]
            searches.boxed.setdefault("box", {})[position] = np.mean(right)
