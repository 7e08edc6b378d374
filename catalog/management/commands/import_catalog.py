from django.core.management.base import BaseCommand, CommandError

from catalog.importer import ImportFolderError
from catalog.services import catalog_import

SHOWN_REASONS = 20


class Command(BaseCommand):
    help = (
        "Import a catalogue folder in the Kaggle layout (styles.csv + images/<id>.jpg). "
        "Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="folder holding styles.csv and images/")
        parser.add_argument("--limit", type=int, help="import at most the first N rows")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, path, limit, no_progress, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number of rows.")
        try:
            report = catalog_import(path=path, limit=limit, progress=not no_progress)
        except ImportFolderError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.skipped)} skipped."
        )
        if report.skipped:
            self.stderr.write(f"Skipped rows (first {min(SHOWN_REASONS, len(report.skipped))}):")
            for line, reason in report.skipped[:SHOWN_REASONS]:
                self.stderr.write(f"  line {line}: {reason}")
        if report.imported == 0:
            raise CommandError("Nothing could be imported.")
