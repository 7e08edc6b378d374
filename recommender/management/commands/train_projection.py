import json
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from recommender.backbones import choose_backbone, load_backbone
from recommender.embedding import Embedder, descriptor_id, vector_model
from recommender.evaluation import K, format_table
from recommender.expansion import expansion_neighbours
from recommender.projection import PROJECTIONS_DIR, projection_path
from recommender.training import (
    EPOCHS,
    SHOPPER_LIKE_VERSION,
    compare_on_held_out,
    compute_descriptors,
    held_out_split,
    held_out_types,
    labelled_photos,
    train_projection,
)


class Command(BaseCommand):
    help = (
        "Train the projection of a backbone on half of a labelled catalogue folder (Kaggle "
        "layout), report retrieval quality on the other half, and write the projection file. "
        "With --hold-out-types, also keep whole articleTypes out of training and report on them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            help="folder with styles.csv and images/ (e.g. ../shared/datasets/fashion-products)",
        )
        parser.add_argument("--backbone", help="default: the RECOMMENDER_BACKBONE setting")
        parser.add_argument(
            "--descriptors",
            help="cache file (.npz) for the photos' descriptors, reused when present",
        )
        parser.add_argument("--epochs", type=int, default=EPOCHS)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--output", help="projection file; default: the one the shop loads for this backbone"
        )
        parser.add_argument("--report", help="JSON file for the figures")
        parser.add_argument(
            "--hold-out-types",
            type=float,
            metavar="FRACTION",
            help="keep about this fraction of the articleTypes (e.g. 0.33) out of training "
            "(rule: recommender.training.held_out_types), train on part A of the others and "
            "report on part B of both; writes no projection unless --output names a file "
            "outside recommender/projections/",
        )
        parser.add_argument(
            "--hold-out-seed", type=int, default=0, help="the draw of the held-out types"
        )

    def handle(
        self,
        *args,
        path,
        backbone,
        descriptors,
        epochs,
        seed,
        output,
        report,
        hold_out_types,
        hold_out_seed,
        **options,
    ):
        if not (Path(path) / "styles.csv").is_file():
            raise CommandError(f"{path} has no styles.csv.")
        choice = choose_backbone(backbone)
        shop_file = projection_path(choice.name, choice.weights_id)
        ids, article_types, colours, photos = labelled_photos(path)
        article_types, colours = np.asarray(article_types), np.asarray(colours)
        unseen = None
        if hold_out_types is not None:
            # Never the shop's projection: one trained without some types is for measuring.
            if output and Path(output).resolve().parent == PROJECTIONS_DIR.resolve():
                raise CommandError(
                    "With --hold-out-types the projection misses whole articleTypes: write it "
                    "outside recommender/projections/, or leave --output out (nothing is written)."
                )
            try:
                unseen = held_out_types(article_types, hold_out_types, hold_out_seed)
            except ValueError as error:
                raise CommandError(str(error)) from error
        part_b = held_out_split(article_types, seed)
        is_unseen = np.isin(article_types, unseen or [])
        if unseen and min((part_b & is_unseen).sum(), (part_b & ~is_unseen).sum()) <= K:
            raise CommandError(
                f"Too few products to measure: part B of the held-out types and of the others "
                f"needs more than {K} products each."
            )
        training = np.flatnonzero(~part_b)
        shape, colour, shopper_shape, shopper_colour = self.descriptors(
            choice, photos, training, descriptors, ids, seed
        )
        used = ~is_unseen[training]  # the training products (and their copies) that train
        rows = training[used]
        # Each training product twice: its catalogue photo and a shopper-like copy.
        projection = train_projection(
            np.vstack([shape[rows], shopper_shape[used]]),
            np.vstack([colour[rows], shopper_colour[used]]),
            np.tile(article_types[rows], 2),
            np.tile(colours[rows], 2),
            seed=seed,
            epochs=epochs,
        )
        if unseen is None or output:
            output = Path(output or shop_file)
            output.parent.mkdir(parents=True, exist_ok=True)
            projection.save(output)

        def figures_on(products, queries=None):
            return compare_on_held_out(
                choice.name,
                choice.weights_id,
                shape,
                colour,
                article_types,
                colours,
                projection,
                products,
                expansion_neighbours(),
                queries,
            )

        if unseen is None:
            figures = figures_on(part_b)
            self.stdout.write(
                f"Trained on {int((~part_b).sum())} products, figures on the other "
                f"{int(part_b.sum())} (queries and database):"
            )
            self.stdout.write(format_table(figures))
            results = {
                "backbone": choice.name,
                "trained_on": int((~part_b).sum()),
                "held_out": int(part_b.sum()),
                "variants": figures,
            }
        else:
            results = self.report_unseen(
                choice, unseen, article_types, part_b, is_unseen, len(rows), figures_on
            )
            results["hold_out_types"] |= {"fraction": hold_out_types, "seed": hold_out_seed}
        if output:
            self.stdout.write(f"Projection written to {output}")
        if output == shop_file:
            self.stdout.write(
                "Processes that start from now on use it (RECOMMENDER_BACKBONE=auto takes the best "
                "backbone with a projection): run embed_catalog and build_index, then restart "
                "the web processes and workers."
            )
        if report:
            Path(report).write_text(json.dumps(results, indent=2))

    def report_unseen(self, choice, unseen, article_types, part_b, is_unseen, trained, figures_on):
        """Print and return the figures on part B of the held-out types (among themselves and
        among all of part B) and, to compare, of the types trained on."""
        seen = sorted(set(article_types) - set(unseen))
        self.stdout.write(
            f"Held out {len(unseen)} of {len(unseen) + len(seen)} articleTypes "
            f"({int(is_unseen.sum())} products), never trained on: {', '.join(unseen)}."
        )
        self.stdout.write(
            f"Trained on part A of the other {len(seen)} types: {trained} products "
            "(and a shopper-like copy of each)."
        )
        sections = {
            "unseen_types": (
                "Unseen types, part B: their products query each other",
                part_b & is_unseen,
                None,
            ),
            "unseen_types_among_all": (
                f"Unseen types, part B, among all {int(part_b.sum())} part-B products "
                "(seen types too)",
                part_b,
                part_b & is_unseen,
            ),
            "seen_types": (
                "Seen types, part B: their products query each other",
                part_b & ~is_unseen,
                None,
            ),
        }
        figures = {}
        for key, (title, products, queries) in sections.items():
            figures[key] = figures_on(products, queries)
            self.stdout.write(f"\n{title}:")
            self.stdout.write(format_table(figures[key]))
        return {
            "backbone": choice.name,
            "hold_out_types": {"unseen": unseen, "seen": seen},
            "trained_on": trained,
            "figures": figures,
        }

    def descriptors(self, choice, photos, training, cache, ids, seed):
        """Descriptors of every photo, then of shopper-like copies of the training photos."""
        names = ("shape", "colour", "shopper_shape", "shopper_colour")
        # What made the descriptors: a cache made otherwise is recomputed, never reused.
        made_by = descriptor_id(choice.name, choice.weights_id)
        key = f"{made_by}-shopper{SHOPPER_LIKE_VERSION}-seed{seed}"
        if cache and Path(cache).is_file():
            with np.load(cache) as stored:
                if (
                    "key" in stored.files
                    and str(stored["key"]) == key
                    and list(stored["ids"]) == ids
                ):
                    return tuple(stored[name] for name in names)
        embedder = Embedder(load_backbone(choice.name), vector_model(choice.name))
        arrays = compute_descriptors(embedder, photos) + compute_descriptors(
            embedder, [photos[row] for row in training], shopper_seed=seed
        )
        if cache:
            np.savez(cache, key=key, ids=np.array(ids), **dict(zip(names, arrays)))
        return arrays
