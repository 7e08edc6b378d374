from concurrent.futures.process import BrokenProcessPool

from django.core.management.base import BaseCommand, CommandError

from recommender.backbones import BACKBONE_NAMES
from recommender.embedding_processes import most_processes
from recommender.services import embeddings_update

SHOWN_FAILURES = 20


class Command(BaseCommand):
    help = (
        "Compute the vectors of photos that have none from the current model (or a stale one). "
        "Resumable."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--backbone",
            choices=("auto", *BACKBONE_NAMES),
            help="default: the RECOMMENDER_BACKBONE setting",
        )
        parser.add_argument("--batch-size", type=int, default=32)
        parser.add_argument(
            "--processes",
            type=int,
            help="worker processes that embed, each on its own core (default: one per core "
            "for runs of 512 photos or more on a CPU, else 1)",
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, backbone, batch_size, processes, no_progress, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if processes is not None and not 1 <= processes <= most_processes():
            raise CommandError(
                f"--processes must be between 1 and {most_processes()}: one per core this process "
                "may use (1 where processes cannot be pinned to cores)."
            )
        try:
            report = embeddings_update(
                backbone=backbone,
                batch_size=batch_size,
                progress=not no_progress,
                processes=processes,
            )
        except BrokenProcessPool as error:
            raise CommandError(
                f"A worker process stopped ({error}; its error is above). The photos embedded so "
                "far are stored: run the command again to go on."
            ) from error
        self.stdout.write(
            f"{report.embedded} photo(s) embedded with {report.fingerprint}, "
            f"{len(report.failed)} failed."
        )
        for image_id, error in report.failed[:SHOWN_FAILURES]:
            self.stderr.write(f"  image {image_id}: {error}")
        if report.failed and not report.embedded:
            raise CommandError("No photo could be embedded.")
