"""Reads of the recommender: "more like this", search by photo, the live index and the pipeline's
state.

No read writes but one, explicitly: with tasks run in-process (no workers), an index that is
missing or unreadable is rebuilt and published by services.index_restore (current_index);
with workers, a reader only queues that rebuild.
"""

import functools
import logging
import threading
import time
from dataclasses import dataclass, replace

import numpy as np
from django.conf import settings
from django.db.models import F, Max
from more_itertools import chunked

from catalog.images import check_image_upload
from catalog.models import Product, ProductImage
from catalog.selectors import CatalogueFilters
from fashionsite.celery import queue_on_commit, tasks_run_in_process

from . import kept_photos, services, snapshots, tasks
from .backbones import choose_backbone
from .embedding import embed_photo_query, fingerprint
from .expansion import expanded_queries, expansion_neighbours
from .floors import relevance_floors
from .kinds import KINDS, OTHER, kind_head
from .models import ImageEmbedding, PhotoEmbedding

logger = logging.getLogger(__name__)

# When the best product is of another kind than the photo's, NEAR_MATCH_MARGIN above the best of
# the photo's kind, and either scores at least NEAR_MATCH_SCORE or stands apart (at least
# APART_SCORE and APART_MARGIN above the second-best product), it is the very product
# photographed, whose kind the head got wrong: its own kind leads the page instead. 99% of real
# photos' best scores are under 0.835, and 95% are less than 0.056 above their second best
# (docs/benchmarks.md, "Search by photo on real photos").
NEAR_MATCH_MARGIN = 0.05
NEAR_MATCH_SCORE = 0.85
APART_SCORE = 0.70
APART_MARGIN = 0.05


# The engine's filters are the catalogue's: one definition for the grid, the API and the search.
ProductFilters = CatalogueFilters


@dataclass(frozen=True)
class SimilarProduct:
    product: Product
    # The best inner product of the query vectors (expanded ones for "more like this") with the
    # product's photos, in [-1, 1].
    score: float
    # Whether the score clears the model's relevance floor (recommender.floors): below it a
    # result is listed, as k were asked for, but is not a match.
    relevant: bool = True


def similar_products(*, product, k=25, filters=None, expansion=True, floor=True):
    """The k products that look most like `product`: never itself, never inactive, one entry
    per product. The product's vector is expanded first (recommender.expansion) unless
    `expansion` is False; each result is marked relevant or not by the model's relevance floor
    (recommender.floors) unless `floor` is False (all relevant)."""
    # The product's image ids (prefetched when the caller has them), read once.
    own_photos = [image.pk for image in product.images.all()]
    vector = stored_vector(own_photos)
    if vector is None:
        return []
    if expansion:
        vector = expanded_query(vector, own_photos)
    results = nearest_products(vector, k=k, filters=filters, exclude_product_id=product.pk)
    return above_floor(results, "more_like_this") if floor else results


def above_floor(results, kind_of_query):
    """The results, each marked relevant when its score clears the model's relevance floor for
    this kind of query ("more_like_this" or "search_by_photo": recommender.floors); all
    relevant when the model has none. Already not relevant stays so."""
    floors = relevance_floors(fingerprint())
    if floors is None:
        return results
    floor = getattr(floors, kind_of_query)
    return [
        replace(result, relevant=result.relevant and result.score >= floor) for result in results
    ]


def search_by_image(*, upload, k=25, filters=None, box=None, floor=True):
    """The k products that look most like an uploaded photo, or like the part of it in `box`
    (recommender.photo_query.Box), marked by the relevance floor unless `floor` is False
    (search_by_photo_query); raises ValidationError for a bad upload. At most
    RECOMMENDER_PHOTO_SEARCHES_AT_ONCE photos of a process are checked and embedded at once;
    the others wait their turn."""
    with photo_searches():
        checked = check_image_upload(upload)
        query = embed_photo_query(checked.content, box)
    return search_by_photo_query(query, k=k, filters=filters, floor=floor)


def search_by_photo_query(query, *, k=25, filters=None, floor=True):
    """The k products that look most like a PhotoQuery (recommender.embedding.embed_photo_query),
    the products of the photo's garment kind first when the kind head trusts it (trusted_kind),
    or of a near match's kind (is_near_match); the others follow, as not relevant, when fewer
    than k are left.

    The photo is searched as its views, each product ranked by its better score. The query is
    not expanded: a shopper's photo is far from the catalogue photos (its light, its
    background), so its neighbours would pull it away from the very product photographed
    (found first 0.76 -> 0.49 of the time for a crop, docs/benchmarks.md). Results are marked by
    the relevance floor (above_floor) unless `floor` is False: then only those of another kind
    than the trusted one are not relevant."""
    marked = (lambda results: above_floor(results, "search_by_photo")) if floor else list
    # Two at least: whether the best stands apart (is_near_match) must not depend on k.
    everything = nearest_products(query.vectors, k=max(k, 2), filters=filters)
    kind = trusted_kind(query)
    if kind is None:
        return marked(everything[:k])
    photo_kinds = indexed_photo_kinds()
    same_kind = products_of_kind(query, photo_kinds.photos_of(kind), k, filters)
    if is_near_match(everything, same_kind):
        kind = photo_kinds.kind_of_product(everything[0].product)
        if kind == OTHER:
            return marked(everything[:k])
        same_kind = products_of_kind(query, photo_kinds.photos_of(kind), k, filters)
    found = {result.product.pk for result in same_kind}
    rest = [
        replace(result, relevant=False) for result in everything if result.product.pk not in found
    ]
    return marked(same_kind + rest[: k - len(same_kind)])


def products_of_kind(query, image_ids, k, filters):
    """The k products with one of these photos (a kind's: PhotoKinds.photos_of) that look most
    like a PhotoQuery."""
    return nearest_products(query.vectors, k=k, filters=filters, image_ids=image_ids)


def is_near_match(everything, same_kind):
    """Whether the best of `everything` (SimilarProducts, best first) is of another kind than
    the `same_kind` results, NEAR_MATCH_MARGIN above their best, and scores at least
    NEAR_MATCH_SCORE or stands apart from the second best (APART_SCORE, APART_MARGIN; a product
    alone under the filters stands apart): the very product photographed, whose kind the head
    got wrong."""
    if not everything or everything[0].product.pk in {r.product.pk for r in same_kind}:
        return False
    best = everything[0].score
    best_of_kind = same_kind[0].score if same_kind else -np.inf
    second = everything[1].score if len(everything) > 1 else -np.inf  # alone: apart
    stands_apart = best >= APART_SCORE and best - second >= APART_MARGIN
    return best >= best_of_kind + NEAR_MATCH_MARGIN and (best >= NEAR_MATCH_SCORE or stands_apart)


def trusted_kind(query):
    """The garment kind (recommender.kinds.KINDS) of a PhotoQuery when the model's kind head
    gives it at least the head's confidence, else None (no head, or "other", or unsure)."""
    head = kind_head(fingerprint())
    if head is None or query.kind_scores is None:
        return None
    best = int(np.argmax(query.kind_scores))
    if KINDS[best] == OTHER or query.kind_scores[best] < head.confidence:
        return None
    return KINDS[best]


_photo_kinds = {}  # (fingerprint, kind head id) -> PhotoKinds


@dataclass
class PhotoKinds:
    """The garment kind of each indexed photo (KindHead.kinds_of_products), the ids of each
    kind's photos for the index object they were listed from, and the last time a product was
    changed when the kinds were worked out (an articleType edited since changes a kind)."""

    kind_of: dict
    listed_from: object = None
    ids_by_kind: dict | None = None
    products_as_of: object = None

    def photos_of(self, kind):
        """int64 ids of the listed photos of `kind` (a name of recommender.kinds.KINDS)."""
        return self.ids_by_kind.get(kind, np.zeros(0, np.int64))

    def kind_of_product(self, product):
        """The garment kind of an indexed product's photos ("other" when none is indexed)."""
        kinds = [
            self.kind_of[image.pk] for image in product.images.all() if image.pk in self.kind_of
        ]
        return kinds[0] if kinds else OTHER


def indexed_photo_kinds():
    """The PhotoKinds of the current index's photos, by KindHead.kinds_of_products. Worked out
    once a photo and process, again for the photos of a product changed since, and listed again
    when the index changes."""
    model_fingerprint = fingerprint()
    head = kind_head(model_fingerprint)
    index = current_index(model_fingerprint)
    photo_kinds = _photo_kinds.setdefault((model_fingerprint, head.id), PhotoKinds({}))
    changed = Product.objects.aggregate(last=Max("updated_at"))["last"]
    if photo_kinds.listed_from is not index or photo_kinds.products_as_of != changed:
        forget_changed_products(photo_kinds)
        ids = index.ids().tolist()
        classify_photos(photo_kinds.kind_of, head, model_fingerprint, ids)
        photo_kinds.ids_by_kind = group_by_kind(photo_kinds.kind_of, ids)
        photo_kinds.listed_from = index
        photo_kinds.products_as_of = changed
    return photo_kinds


def forget_changed_products(photo_kinds):
    """Drop from photo_kinds the kinds of the photos of products changed since they were
    worked out."""
    if photo_kinds.products_as_of is None:
        return
    changed = ProductImage.objects.filter(product__updated_at__gt=photo_kinds.products_as_of)
    for image_id in changed.values_list("pk", flat=True):
        photo_kinds.kind_of.pop(image_id, None)


def classify_photos(kind_of, head, model_fingerprint, image_ids):
    """Add to kind_of {image id: kind name} the photos of image_ids it lacks
    (KindHead.kinds_of_products, 1,000 photos read at a time)."""
    for chunk in chunked([i for i in image_ids if i not in kind_of], 1000):
        rows = list(
            ImageEmbedding.objects.current(model_fingerprint)
            .filter(image_id__in=chunk)
            .values_list("image_id", "image__product__article_type", "vector")
        )
        if rows:
            ids, article_types, vectors = zip(*rows)
            vectors = np.stack([ImageEmbedding.from_bytes(vector) for vector in vectors])
            kind_of.update(zip(ids, head.kinds_of_products(article_types, vectors)))


def group_by_kind(kind_of, image_ids):
    """{kind name: int64 ids} of image_ids by kind_of (ids it lacks are left out)."""
    grouped = {}
    for image_id in image_ids:
        if image_id in kind_of:
            grouped.setdefault(kind_of[image_id], []).append(image_id)
    return {kind: np.array(ids, np.int64) for kind, ids in grouped.items()}


@functools.cache
def photo_searches():
    """The process's semaphore on searches by photo. Django runs each request in a thread of
    its own, so without it one web process would decode and embed as many photos at once as
    requests come, each up to 260 MB (docs/benchmarks.md, "Upload limits")."""
    return threading.BoundedSemaphore(settings.RECOMMENDER_PHOTO_SEARCHES_AT_ONCE)


def product_vector(product):
    """The stored vector of the product's primary photo (or of another
    photo when that one has none)."""
    return stored_vector([image.pk for image in product.images.all()])


def stored_vector(image_ids):
    """The stored vector of the first of these photos (primary first) that has one, or None."""
    # By image ids: filtering by the join to the product instead makes SQLite scan every vector.
    rows = (
        ImageEmbedding.objects.current(fingerprint())
        .filter(image_id__in=image_ids)
        .order_by("-image__is_primary", "image__position", "image_id")
        .values_list("vector", flat=True)
    )
    first = rows.first()
    return None if first is None else ImageEmbedding.from_bytes(first)


def current_index(model_fingerprint):
    """This process's copy of the newest good index (snapshots.loaded_index: a damaged newer file
    is passed over and its rebuild queued). With no file to read, none published yet or every
    one damaged: where tasks run in-process, it is rebuilt and published here
    (services.index_restore); with workers, a rebuild is queued for them and this process
    searches an index of the stored vectors of its own meanwhile (stand_in_index)."""
    index = snapshots.loaded_index(model_fingerprint)
    if index is not None:
        return index
    if tasks_run_in_process():
        return services.index_restore(model_fingerprint=model_fingerprint)
    return stand_in_index(model_fingerprint)


STAND_IN_SECONDS = (
    60  # a stand-in index is kept this long, then made (and its rebuild queued) again
)
_stand_ins = {}  # fingerprint -> (time.monotonic() when made, index)


def stand_in_index(model_fingerprint):
    """An index of the stored vectors, made in this process for its searches while a worker
    rebuilds the published one (queued here, at most once every STAND_IN_SECONDS)."""
    made, index = _stand_ins.get(model_fingerprint, (None, None))
    if made is None or time.monotonic() - made > STAND_IN_SECONDS:
        logger.warning("No readable index of %s: a rebuild is queued", model_fingerprint)
        queue_on_commit(tasks.rebuild_index, model_fingerprint)
        index = services.index_from_database(model_fingerprint)
        _stand_ins[model_fingerprint] = (time.monotonic(), index)
    return index


def expanded_query(vector, own_photos):
    """The vector moved towards its nearest indexed photos, the query product's `own_photos`
    left out; the vector itself when expansion is off or nothing is near. The index holds the
    active products' photos and their vectors, so no database read is needed (a product
    deactivated a moment ago can remain until its index refresh: it then nudges the query,
    but never appears in the results, which nearest_products checks)."""
    count = expansion_neighbours()
    if not count:
        return vector
    scores, ids, vectors = current_index(fingerprint()).search_with_vectors(
        vector, count + len(own_photos)
    )
    own_photos = set(own_photos)
    # Padding ids (-1) come with no vector (NaN): never used.
    neighbours = [
        rank for rank, image_id in enumerate(ids[0]) if image_id >= 0 and image_id not in own_photos
    ][:count]
    if not neighbours:
        return vector
    return expanded_queries(
        vector[None], vectors[0][neighbours][None], scores[0][neighbours][None]
    )[0]


def nearest_products(vectors, *, k, filters=None, exclude_product_id=None, image_ids=None):
    """Search the index with one query vector or several (rows; a product then scores its
    best over them), widening the shortlist until k distinct products pass the filters (and,
    given `image_ids`, have one of these photos). An approximate index's shortlist is ranked by
    the exact stored vectors (stored_scores)."""
    queries = np.atleast_2d(np.asarray(vectors, np.float32))
    index = current_index(fingerprint())
    # Photos of active products that pass the filters, as one join (no subquery over products).
    photos = ProductImage.objects.filter(
        product__is_active=True, **(filters.lookups("product__") if filters else {})
    )
    if exclude_product_id is not None:
        photos = photos.exclude(product_id=exclude_product_id)
    allowed_ids = allowed_photos(photos, filters, image_ids)
    shortlist = 2 * k + 8
    while True:
        scores, ids = index.search(queries, shortlist, allowed_ids)
        best = best_per_product(scores if index.exact else stored_scores(queries, ids), ids, photos)
        if shortlist >= len(index) or settled_count(best, scores) >= k:
            break
        shortlist *= 4
    ranked = list(best.items())[:k]
    found = Product.objects.prefetch_related("images").in_bulk(
        [product_id for product_id, _ in ranked]
    )
    return [SimilarProduct(found[product_id], float(score)) for product_id, score in ranked]


def allowed_photos(photos, filters, image_ids):
    """The int64 ids a search may return: `image_ids` (all when None) among the filtered
    `photos` (all when there are no filters); None for no restriction."""
    if not filters:
        return image_ids
    filtered = np.array(photos.values_list("id", flat=True), np.int64)
    return filtered if image_ids is None else np.intersect1d(filtered, image_ids)


def stored_scores(queries, ids):
    """The inner products of the queries with the stored (exact) vectors of the photos of a
    (queries, shortlist) search: an approximate index's shortlist re-ranked. -inf for padding
    ids and for a photo with no stored vector."""
    wanted = np.unique(ids[ids >= 0])
    scores = np.full(ids.shape, -np.inf, np.float32)
    # The rows the index was built from, not checked against the photos' current files (no
    # join: half the time). A replaced photo's old vector is in the index too until its new
    # one replaces both.
    rows = dict(
        ImageEmbedding.objects.filter(
            fingerprint=fingerprint(),
            status=ImageEmbedding.Status.DONE,
            image_id__in=wanted.tolist(),
        ).values_list("image_id", "vector")
    )
    if not rows:
        return scores
    stored_ids = np.array(sorted(rows), np.int64)
    products = (
        queries @ np.stack([ImageEmbedding.from_bytes(rows[image_id]) for image_id in stored_ids]).T
    )
    positions = np.minimum(np.searchsorted(stored_ids, ids), len(stored_ids) - 1)
    found = stored_ids[positions] == ids
    scores[found] = np.take_along_axis(products, positions, axis=1)[found]
    return scores


def best_per_product(scores, ids, photos):
    """{product id: best score}, best first, for the image ids among `photos`, from the
    (queries, shortlist) results of a search."""
    best_first = np.argsort(-scores, axis=None, kind="stable")
    scores, ids = scores.ravel()[best_first], ids.ravel()[best_first]
    owners = dict(
        photos.filter(id__in=[int(i) for i in ids if i >= 0]).values_list("id", "product_id")
    )
    best = {}
    for score, image_id in zip(scores, ids):
        product_id = owners.get(int(image_id))
        if product_id is not None and product_id not in best and score > -np.inf:
            best[product_id] = score
    return best


def settled_count(best, scores):
    """How many products of `best` no unlisted photo can overtake: a photo missing from the
    (queries, shortlist) results scores below each query's last listed score (to within an
    approximate index's error, when `best` holds the exact scores)."""
    cutoff = scores[:, -1].max()
    return sum(score >= cutoff for score in best.values())


def products_inspired_by(*, product_ids, k=10):
    """Products close to the mean vector of the given (viewed) products, excluding them; []
    with none."""
    return products_looking_like(product_ids=product_ids, k=k)


def products_looking_like(*, product_ids, k, filters=None, exclude=None):
    """Up to k active products nearest to the mean of these products' stored vectors (unit
    length), passing `filters`, none of them nor of `exclude` (a Product queryset: e.g. the
    text matches a look-alike search adds to); [] when none of them has a vector."""
    seeds = Product.objects.filter(pk__in=product_ids).prefetch_related("images")
    vectors = [vector for vector in map(product_vector, seeds) if vector is not None]
    if not vectors:
        return []
    mean = np.mean(vectors, axis=0)
    mean /= np.linalg.norm(mean) or 1.0
    image_ids = None  # every photo; restricted only for `exclude` (a read of all photo ids)
    if exclude is not None:
        photos = ProductImage.objects.filter(product__is_active=True)
        photos = photos.exclude(product__in=exclude.values("pk"))
        image_ids = np.array(photos.values_list("id", flat=True), np.int64)
    seen = {seed.pk for seed in seeds}
    found = nearest_products(mean, k=k + len(seen), filters=filters, image_ids=image_ids)
    return [result for result in found if result.product.pk not in seen][:k]


LOOK_SEEDS = 5  # best text matches a search by look from text starts from


def found_by_look(*, seeds, exclude, k, filters=None):
    """Up to k products that look like the first LOOK_SEEDS of `seeds` (a ranked Product
    queryset: a text search's matches) and are none of `exclude` (a Product queryset: what the
    words found), passing `filters` (products_looking_like)."""
    return products_looking_like(
        product_ids=list(seeds.values_list("pk", flat=True)[:LOOK_SEEDS]),
        k=k,
        filters=filters,
        exclude=exclude,
    )


@dataclass(frozen=True)
class PrimaryPhotos:
    """The active products' primary photos with a stored vector of one model, one row each:
    lists of n image ids, articleTypes, baseColours and masterCategories, and the (n, d)
    float32 unit vectors (shape (0, 0) when there are none)."""

    image_ids: list
    article_types: list
    colours: list
    master_categories: list
    vectors: np.ndarray


def primary_photos(model_fingerprint):
    """The PrimaryPhotos of a model fingerprint, by image id."""
    rows = list(
        ImageEmbedding.objects.filter(
            fingerprint=model_fingerprint,
            status=ImageEmbedding.Status.DONE,
            image__is_primary=True,
            image__product__is_active=True,
        )
        .order_by("image_id")
        .values_list(
            "image_id",
            "image__product__article_type",
            "image__product__base_colour",
            "image__product__master_category",
            "vector",
        )
    )
    vectors = (
        np.stack([ImageEmbedding.from_bytes(row[4]) for row in rows])
        if rows
        else np.zeros((0, 0), np.float32)
    )
    columns = list(zip(*rows)) or [[], [], [], []]
    return PrimaryPhotos(*[list(column) for column in columns[:4]], vectors)


def pipeline_status():
    """What the admin and `recommender_status` show: the model and why auto chose its backbone
    (recommender.backbones), the index, the photos' states."""
    model_fingerprint = fingerprint()
    version, path = snapshots.latest_version(model_fingerprint)
    # The process's loaded copy (reloaded only when a new version appears), not a fresh read per
    # view.
    size = len(current_index(model_fingerprint)) if path else 0
    done = ImageEmbedding.objects.current(model_fingerprint).count()
    failed = ImageEmbedding.objects.current(model_fingerprint, ImageEmbedding.Status.FAILED).count()
    return {
        "backbone": model_fingerprint.split("-")[0],
        "backbone_choice": choose_backbone().reason,
        "fingerprint": model_fingerprint,
        "index_version": version,
        "index_size": size,
        "index_age_seconds": round(time.time() - path.stat().st_mtime) if path else None,
        "photos": ProductImage.objects.count(),
        "embedded": done,
        "failed": failed,
        "pending": PhotoEmbedding.objects.without_current_vector(model_fingerprint).count()
        - failed,
    }


@dataclass(frozen=True)
class PhotoState:
    """A photo's vector under the current model: `state` done, failed (with `error`) or pending,
    and whether it is `indexed` (in this process's copy of the index)."""

    state: str
    error: str
    indexed: bool


def photo_states(image_ids):
    """{image id: PhotoState} for these photos, in the order given, in one query for their rows
    of the current model (a row about an earlier file of the photo counts as pending)."""
    model_fingerprint = fingerprint()
    rows = dict(
        (image_id, (status, error))
        for image_id, status, error in ImageEmbedding.objects.filter(
            image_id__in=image_ids, fingerprint=model_fingerprint, image_sha256=F("image__sha256")
        ).values_list("image_id", "status", "error")
    )
    indexed = indexed_photo_ids(current_index(model_fingerprint))
    return {
        image_id: PhotoState(*rows.get(image_id, ("pending", "")), image_id in indexed)
        for image_id in image_ids
    }


@functools.lru_cache(maxsize=2)
def indexed_photo_ids(index):
    """The ids of the photos an index holds, a frozenset (worked out once an index version)."""
    return frozenset(index.ids().tolist())


def photo_checked(upload):
    """A shopper's uploaded photo checked (catalog.images.check_image_upload) under
    photo_searches(): its CheckedImage; raises ValidationError for a bad upload."""
    with photo_searches():
        return check_image_upload(upload)


def kept_photo(digest):
    """The KeptPhoto of a digest (recommender.kept_photos); raises kept_photos.PhotoNotKept
    when none is kept (never sent, or removed after its time)."""
    return kept_photos.find_photo(digest)


def search_kept_photo(*, photo, k=25, filters=None, box=None):
    """The k products that look most like a KeptPhoto, or like the part of it in `box`
    (recommender.photo_query.Box), as search_by_photo_query. The photo's PhotoQuery is read
    from beside it; a (photo, box, model) searched for the first time is embedded, under
    photo_searches(), and its query kept (services.photo_query_keep: a write). Raises
    kept_photos.PhotoNotKept when the photo has gone since it was found."""
    query = kept_photos.read_query(kept_photos.query_name(photo.digest, box, fingerprint()))
    if query is None:
        with photo_searches():
            query = embed_photo_query(kept_photos.photo_content(photo), box)
        services.photo_query_keep(photo=photo, box=box, query=query)
    return search_by_photo_query(query, k=k, filters=filters)
