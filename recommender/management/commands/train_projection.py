import json
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from recommender.backbones import choose_backbone, load_backbone
from recommender.embedding import Embedder, descriptor_id, vector_model
from recommender.evaluation import format_table
from recommender.expansion import expansion_neighbours
from recommender.projection import projection_path
from recommender.training import (
    EPOCHS,
    SHOPPER_LIKE_VERSION,
    compare_on_held_out,
    compute_descriptors,
    held_out_split,
    labelled_photos,
    train_projection,
)


class Command(BaseCommand):
    help = (
        "Train the projection of a backbone on half of a labelled catalogue folder (Kaggle "
        "layout), report retrieval quality on the other half, and write the projection file."
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

    def handle(self, *args, path, backbone, descriptors, epochs, seed, output, report, **options):
        if not (Path(path) / "styles.csv").is_file():
            raise CommandError(f"{path} has no styles.csv.")
        choice = choose_backbone(backbone)
        ids, article_types, colours, photos = labelled_photos(path)
        article_types, colours = np.asarray(article_types), np.asarray(colours)
        part_b = held_out_split(article_types, seed)
        training = np.flatnonzero(~part_b)
        shape, colour, shopper_shape, shopper_colour = self.descriptors(
            choice, photos, training, descriptors, ids, seed
        )
        # Each training product twice: its catalogue photo and a shopper-like copy.
        projection = train_projection(
            np.vstack([shape[training], shopper_shape]),
            np.vstack([colour[training], shopper_colour]),
            np.tile(article_types[training], 2),
            np.tile(colours[training], 2),
            seed=seed,
            epochs=epochs,
        )
        shop_file = projection_path(choice.name, choice.weights_id)
        output = Path(output or shop_file)
        output.parent.mkdir(parents=True, exist_ok=True)
        projection.save(output)
        figures = compare_on_held_out(
            choice.name,
            choice.weights_id,
            shape,
            colour,
            article_types,
            colours,
            projection,
            part_b,
            expansion_neighbours(),
        )
        self.stdout.write(
            f"Trained on {int((~part_b).sum())} products, figures on the other "
            f"{int(part_b.sum())} (queries and database):"
        )
        self.stdout.write(format_table(figures))
        self.stdout.write(f"Projection written to {output}")
        if output == shop_file:
            self.stdout.write(
                "Processes that start from now on use it (RECOMMENDER_BACKBONE=auto takes the best "
                "backbone with a projection): run embed_catalog and build_index, then restart "
                "the web processes and workers."
            )
        if report:
            Path(report).write_text(
                json.dumps(
                    {
                        "backbone": choice.name,
                        "trained_on": int((~part_b).sum()),
                        "held_out": int(part_b.sum()),
                        "variants": figures,
                    },
                    indent=2,
                )
            )

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
