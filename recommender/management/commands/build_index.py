import time

from django.core.management.base import BaseCommand

from recommender.embedding import fingerprint
from recommender.services import index_rebuild
from recommender.snapshots import load_latest


class Command(BaseCommand):
    help = "Rebuild the vector index from the stored vectors (reads no photo) and publish it."

    def add_arguments(self, parser):
        parser.add_argument("--backbone", help="default: the RECOMMENDER_BACKBONE setting")

    def handle(self, *args, backbone, **options):
        model_fingerprint = fingerprint(backbone)
        start = time.perf_counter()
        version = index_rebuild(model_fingerprint=model_fingerprint)
        size = len(load_latest(model_fingerprint))
        self.stdout.write(
            f"Index {model_fingerprint} version {version}: {size} vectors "
            f"in {time.perf_counter() - start:.2f} s."
        )
