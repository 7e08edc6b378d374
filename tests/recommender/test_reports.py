"""The pictures of `evaluate_retrieval --report DIR` (recommender.retrieval_report) on the
36-product demo catalogue, and the drawing functions on made-up data.

Set REPORT_DIR=docs/report to refresh the README's report pictures."""

import os
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from recommender.reports import SheetRow, bars_by_label, contact_sheet
from tests.recommender.helpers import demo_photo

PICTURES = [
    "precision_by_article_type.png",
    "sampled_queries.png",
    "worst_queries.png",
    "vector_map.png",
]


def assert_png(path, smallest=(300, 200)):
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size >= smallest, path
        image.verify()


@pytest.mark.slow
def test_evaluate_retrieval_draws_its_report(catalogue, tmp_path):
    report = Path(os.environ.get("REPORT_DIR") or tmp_path / "report")

    call_command(
        "evaluate_retrieval", "--report", str(report), "--output", str(tmp_path / "e.json")
    )

    for name in PICTURES:
        assert_png(report / name)
    index = (report / "index.html").read_text()
    assert all(f'<img src="{name}"' in index for name in PICTURES)


def test_a_bar_chart_has_a_bar_per_variant_and_label(tmp_path):
    figures = {"shop": {"Shirts": 0.9, "Watches": 1.0}, "plain": {"Shirts": 0.5, "Watches": 0.7}}
    bars_by_label(tmp_path / "bars.png", figures, title="t")
    assert_png(tmp_path / "bars.png")


def test_a_contact_sheet_marks_right_and_wrong_results(catalogue, tmp_path):
    photos = [demo_photo(product) for product in catalogue[:4]]
    rows = [SheetRow(photos[0], "q", [(photos[1], True), (photos[2], False)])]
    contact_sheet(tmp_path / "sheet.png", rows, title="t")
    with Image.open(tmp_path / "sheet.png") as sheet:
        colours = {tuple(pixel) for pixel in np.asarray(sheet.convert("RGB")).reshape(-1, 3)}
    assert (0x1A, 0x7F, 0x37) in colours and (0xCF, 0x22, 0x2E) in colours  # green, red frames
