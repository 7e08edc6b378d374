from django.core.management.base import BaseCommand, CommandError

from catalog.importer import AUTO, MAX_RECORD_CHARACTERS, MAX_RECORD_LINES, ImportFolderError
from catalog.services import catalog_import

SHOWN_REASONS = 20


class Command(BaseCommand):
    help = (
        "Import a catalogue folder in the Kaggle layout (styles.csv + images/<id>.jpg). "
        "Safe to run again. styles.csv may be UTF-8 (with or without BOM) or, with --encoding, "
        "any encoding; CRLF or LF; a quoted value may span up to "
        f"{MAX_RECORD_LINES} lines ({MAX_RECORD_CHARACTERS:,} characters)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="folder holding styles.csv and images/")
        parser.add_argument("--limit", type=int, help="import at most the first N rows")
        parser.add_argument(
            "--encoding",
            default=AUTO,
            help="styles.csv's encoding, a Python codec name (cp1252, latin-1, utf-16...); "
            "default: UTF-8 when the file is, else detected, and said",
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args, path, limit, encoding, no_progress, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number of rows.")
        try:
            report = catalog_import(
                path=path, limit=limit, progress=not no_progress, encoding=encoding
            )
        except ImportFolderError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.skipped)} skipped."
        )
        self.list_lines("Read another way than written", report.notes)
        self.list_lines("Skipped rows", report.skipped)
        self.list_lines(
            "Values new to the catalogue (a typo makes a new facet value)", report.new_values
        )
        if report.imported == 0:
            raise CommandError("Nothing could be imported.")

    def list_lines(self, title, entries):
        """The first SHOWN_REASONS (line, message) entries, on stderr."""
        if entries:
            self.stderr.write(f"{title} (first {min(SHOWN_REASONS, len(entries))}):")
            for line, message in sorted(entries)[:SHOWN_REASONS]:
                self.stderr.write(f"  line {line}: {message}")
