import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommender.embedding import fingerprint
from recommender.evaluation import evaluate, format_table
from recommender.expansion import expansion_neighbours
from recommender.retrieval_report import write_retrieval_report
from recommender.selectors import primary_photos


class Command(BaseCommand):
    help = (
        "Retrieval quality of the stored vectors: every active product queries all the others, "
        "ranked as the shop ranks them (query expansion) and by plain search; precision@k and "
        "mAP@k by articleType, and by articleType and baseColour."
    )

    def add_arguments(self, parser):
        parser.add_argument("--backbone", help="default: the RECOMMENDER_BACKBONE setting")
        parser.add_argument("-k", type=int, default=10)
        parser.add_argument(
            "--output", default=str(settings.VAR_DIR / "evaluation.json"), help="JSON file to write"
        )
        parser.add_argument(
            "--report",
            metavar="DIR",
            help="also draw pictures in DIR (PNG files and an index.html): precision@k by "
            "articleType beside the plain search and a plain CNN, sampled and worst queries, "
            "a map of the vectors",
        )

    def handle(self, *args, backbone, k, output, report, **options):
        model_fingerprint = fingerprint(backbone)
        photos = primary_photos(model_fingerprint)
        article_types, colours, vectors = photos.article_types, photos.colours, photos.vectors
        if len(vectors) <= k:
            raise CommandError(
                f"Only {len(vectors)} products have a vector from {model_fingerprint}: "
                "run import_catalog and embed_catalog first."
            )
        expansion = expansion_neighbours()
        results = {
            "fingerprint": model_fingerprint,
            "expansion_neighbours": expansion,
            **evaluate(vectors, article_types, colours, k, expansion),
            "plain_search": evaluate(vectors, article_types, colours, k),
        }
        self.print_table(results)
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps(results, indent=2))
        self.stdout.write(f"Written to {output}")
        if report:
            index = write_retrieval_report(Path(report), photos, backbone, k, expansion)
            self.stdout.write(f"Pictures in {index}")

    def print_table(self, results):
        """Write the results of both rankings as a table to stdout."""
        self.stdout.write(
            f"{results['fingerprint']}: {results['queries']} products, k={results['k']}"
        )
        self.stdout.write(
            format_table(
                {
                    f"the shop's ranking (expansion {results['expansion_neighbours']})": results,
                    "plain search": results["plain_search"],
                }
            )
        )
