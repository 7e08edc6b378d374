from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.models import Product
from recommender.embedding import default_embedder
from recommender.floors import Floors, floor_from_scores, floors_path
from recommender.kind_training import shopper_photos
from recommender.photo_evaluation import (
    Staging,
    cached,
    catalogue_arrays,
    folds_of,
    measure,
    query_arrays,
)
from recommender.selectors import similar_products
from recommender.training import held_out_split, labelled_photos

PAGE = 25  # "more like this" results measured a query: a page of the shop's
SIMILAR_QUERIES = 1000  # part B products whose "more like this" is measured (a seeded sample)


class Command(BaseCommand):
    help = (
        "Measure the current model's relevance floors (recommender.floors) on held-out data and "
        "write its floor file: 'more like this' on the half of the catalogue folder the "
        "projection was not trained on, search by photo on shoppers' photos k-fold by "
        "photographer. The shop database must hold the catalogue folder, embedded and indexed."
    )

    def add_arguments(self, parser):
        parser.add_argument("catalogue", help="folder with styles.csv and images/")
        parser.add_argument("shoppers", help="folder with labels.csv and images/")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument(
            "--cache", help="folder for the photos' descriptors (VAR_DIR/benchmarks)"
        )
        parser.add_argument("--output", help="default: the file the shop loads for this model")

    def handle(self, *args, catalogue, shoppers, folds, cache, output, **options):
        if not (Path(shoppers) / "labels.csv").is_file():
            raise CommandError(f"{shoppers} has no labels.csv.")
        embedder = default_embedder()
        fingerprint = embedder.model.fingerprint
        cache = Path(cache or Path(settings.VAR_DIR) / "benchmarks")
        try:
            article_types, plain, vectors = catalogue_arrays(
                catalogue, fingerprint, cache, embedder
            )
        except (ValueError, FileNotFoundError) as error:
            raise CommandError(str(error)) from error
        similar = self.more_like_this_floor(catalogue, article_types)
        photo = self.search_by_photo_floor(
            catalogue, (article_types, plain, vectors), shoppers, folds, cache, embedder
        )
        floors = Floors(
            similar,
            photo,
            f"more like this: part B of {catalogue} ({int(held_out_split(article_types).sum())} "
            f"products); search by photo: {shoppers}, {folds}-fold by photographer",
        )
        output = Path(output or floors_path(fingerprint))
        output.parent.mkdir(parents=True, exist_ok=True)
        floors.save(output)
        self.stdout.write(f"Relevance floors of {fingerprint} written to {output}")

    def more_like_this_floor(self, catalogue, article_types):
        """The floor of the shop's "more like this" (similar_products) of a sample of the part B
        products (the half the projection was not trained on), among the whole catalogue."""
        ids, _, _, _ = labelled_photos(catalogue)
        part_b = np.flatnonzero(held_out_split(article_types))
        chosen = np.random.default_rng(0).permutation(part_b)[:SIMILAR_QUERIES]
        products = Product.objects.prefetch_related("images").in_bulk(
            [ids[row] for row in chosen], field_name="external_id"
        )
        scores, right = [], []
        for product in products.values():
            for result in similar_products(product=product, k=PAGE):
                scores.append(result.score)
                right.append(result.product.article_type == product.article_type)
        return self.floor("more like this", scores, right)

    def search_by_photo_floor(self, catalogue, arrays, shoppers, folds, cache, embedder):
        """The floor of the shop's search by photo of held-out shoppers' photos, against the
        catalogue folder's photos (arrays: catalogue_arrays)."""
        paths, labels, groups = shopper_photos(shoppers)
        queries = cached(
            cache / "shoppers-head-views.npz",
            f"{embedder.model.fingerprint}-{len(paths)}",
            lambda: query_arrays(embedder, paths),
        )
        staging = Staging(labelled_photos(catalogue)[3], arrays[0], paths, embedder, cache)
        searches = measure(
            arrays,
            queries,
            np.array(labels),
            folds_of(groups, folds),
            embedder,
            staging,
            baselines=False,
        )
        return self.floor("search by photo", searches.result_scores, searches.result_right)

    def floor(self, name, scores, right):
        """floor_from_scores, reported."""
        scores, right = np.asarray(scores), np.asarray(right, bool)
        floor = floor_from_scores(scores, right)
        above = scores >= floor
        self.stdout.write(
            f"{name}: floor {floor:.3f}; {above.mean():.1%} of {len(scores)} held-out results "
            f"clear it, {right[above].mean():.1%} of those right, "
            f"{right[~above].mean() if (~above).any() else float('nan'):.1%} of the others"
        )
        return floor
