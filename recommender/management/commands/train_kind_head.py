from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommender.backbones import choose_backbone
from recommender.embedding import default_embedder
from recommender.kind_training import (
    background_patches,
    photo_features,
    shopper_photos,
    staged_features,
    train_kind_head,
    view_features,
)
from recommender.kinds import kind_head_path
from recommender.training import labelled_photos


class Command(BaseCommand):
    help = (
        "Train the kind head of the current model (recommender.kinds) on a labelled catalogue "
        "folder, the same photos staged on backgrounds cut from a folder of shoppers' own photos "
        "and those photos, and write its file. Measure it with "
        "benchmarks/photo_search_real.py, which trains it the same way on part of the photos."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "catalogue",
            help="folder with styles.csv and images/ (../shared/datasets/fashion-products)",
        )
        parser.add_argument(
            "shoppers",
            help="folder with labels.csv and images/ (../shared/datasets/shoppers-photos)",
        )
        parser.add_argument("--backbone", help="default: the RECOMMENDER_BACKBONE setting")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--exclude-groups",
            default="",
            help="photographer groups to leave out, comma-separated (the shipped head leaves out "
            "p123, whose photos tests/recommender/test_real_photos.py searches)",
        )
        parser.add_argument("--output", help="default: the file the shop loads for this model")

    def handle(self, *args, catalogue, shoppers, backbone, seed, exclude_groups, output, **options):
        if not (Path(catalogue) / "styles.csv").is_file():
            raise CommandError(f"{catalogue} has no styles.csv.")
        if not (Path(shoppers) / "labels.csv").is_file():
            raise CommandError(f"{shoppers} has no labels.csv.")
        embedder = default_embedder(choose_backbone(backbone).name)
        _, article_types, _, catalogue_paths = labelled_photos(catalogue)
        shopper_paths, labels, groups = shopper_photos(shoppers)
        excluded = set(filter(None, exclude_groups.split(",")))
        kept = [group not in excluded for group in groups]
        shopper_paths = [path for path, keep in zip(shopper_paths, kept) if keep]
        labels = [label for label, keep in zip(labels, kept) if keep]
        self.stdout.write(
            f"Describing {len(catalogue_paths)} catalogue photos and {len(shopper_paths)} "
            "shoppers' photos"
        )
        staged = staged_features(
            embedder, catalogue_paths, background_patches(shopper_paths, seed), seed
        )
        head = train_kind_head(
            photo_features(embedder, catalogue_paths),
            embedder.vectors_of_files(catalogue_paths),
            article_types,
            view_features(embedder, shopper_paths),
            labels,
            staged=(staged, article_types),
            seed=seed,
        )
        output = Path(output or kind_head_path(embedder.model.fingerprint))
        output.parent.mkdir(parents=True, exist_ok=True)
        head.save(output)
        self.stdout.write(f"Kind head of {embedder.model.fingerprint} written to {output}")
