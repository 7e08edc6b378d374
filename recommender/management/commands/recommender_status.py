import json

from django.core.management.base import BaseCommand

from recommender.selectors import pipeline_status


class Command(BaseCommand):
    help = (
        "Show the backbone, the index (version, size, age) and how many photos are embedded, "
        "pending or failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")

    def handle(self, *args, as_json, **options):
        status = pipeline_status()
        if as_json:
            self.stdout.write(json.dumps(status, indent=2))
            return
        for name, value in status.items():
            self.stdout.write(f"{name.replace('_', ' '):<20} {'—' if value is None else value}")
