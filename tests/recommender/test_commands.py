import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from recommender.embedding import fingerprint

pytestmark = pytest.mark.django_db


def run(command, *args):
    """Call a management command; its standard output as text."""
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def values_of(data, key):
    """Every value stored under `key`, at any depth of a JSON document."""
    if isinstance(data, dict):
        return [
            value
            for name, item in data.items()
            for value in ([item] if name == key else values_of(item, key))
        ]
    if isinstance(data, list):
        return [value for item in data for value in values_of(item, key)]
    return []


def test_embed_catalog_prints_how_many_photos_it_embedded(small_catalogue):
    output = run("embed_catalog", "--no-progress")
    assert f"{len(small_catalogue)} photo(s) embedded with {fingerprint()}, 0 failed." in output


def test_embed_catalog_resumes_where_it_stopped(small_catalogue):
    run("embed_catalog", "--no-progress", "--batch-size", "4")
    assert "0 photo(s) embedded" in run("embed_catalog", "--no-progress")


def test_embed_catalog_refuses_a_batch_size_below_1(small_catalogue):
    with pytest.raises(CommandError, match="--batch-size"):
        run("embed_catalog", "--no-progress", "--batch-size", "0")


def test_embed_catalog_fails_when_no_photo_can_be_read(small_catalogue):
    for product in small_catalogue:
        Path(product.primary_image.image.path).write_bytes(b"not a photo")
    with pytest.raises(CommandError, match="No photo could be embedded"):
        run("embed_catalog", "--no-progress")


def test_build_index_prints_the_version_and_size(embedded_catalogue):
    assert f"version 1: {len(embedded_catalogue)} vectors" in run("build_index")
    assert f"version 2: {len(embedded_catalogue)} vectors" in run("build_index")


def test_evaluate_retrieval_prints_a_table_and_writes_json(catalogue, tmp_path, settings):
    output_file = tmp_path / "results" / "evaluation.json"
    output = run("evaluate_retrieval", "--output", str(output_file))
    assert fingerprint() in output
    assert "P@k type" in output and "plain search" in output
    results = json.loads(output_file.read_text())
    assert results["fingerprint"] == fingerprint()
    assert results["expansion_neighbours"] == settings.RECOMMENDER_EXPANSION_NEIGHBOURS
    assert results["plain_search"]["queries"] == results["queries"] == len(catalogue)
    precisions = values_of(results, "precision_article_type")
    assert precisions and all(0 <= precision <= 1 for precision in precisions)
    assert precisions[0] > 0.5  # the stored vectors: chance is 11/35 for three types of 12


def test_evaluate_retrieval_needs_more_products_than_k(embedded_catalogue, tmp_path):
    with pytest.raises(CommandError, match="Only 6 products"):
        run("evaluate_retrieval", "--output", str(tmp_path / "evaluation.json"))


def test_train_projection_writes_a_projection_and_reuses_only_its_own_descriptor_cache(
    tmp_path, monkeypatch
):
    from recommender import training
    from recommender.projection import Projection
    from tests.catalog.test_import import make_folder
    from tests.recommender.helpers import demo_rows

    folder = make_folder(tmp_path / "labelled", demo_rows())
    output, cache = tmp_path / "projection.npz", tmp_path / "descriptors.npz"
    arguments = (
        "train_projection",
        str(folder),
        "--epochs",
        "2",
        "--output",
        str(output),
        "--descriptors",
        str(cache),
    )
    assert "learned projection" in run(*arguments)
    projection = Projection.load(output)
    assert (projection.size, projection.type_weight) == (
        2 * training.MAP_SIZE,
        training.TYPE_WEIGHT,
    )

    described = []
    original = training.compute_descriptors
    monkeypatch.setattr(
        "recommender.management.commands.train_projection.compute_descriptors",
        lambda *args, **kwargs: described.append(1) or original(*args, **kwargs),
    )
    run(*arguments)
    assert described == []  # the cache was reused
    run(*arguments, "--seed", "1")
    assert described == [1, 1]  # another seed: other shopper-like copies, described again


def drawn_folder(path, per_type=24):
    """A labelled folder (Kaggle layout) of made-up photos: three articleTypes drawn as three
    shapes, each in two colours, `per_type` products each."""
    from PIL import Image, ImageDraw

    from tests.catalog.test_import import make_folder, row
    from tests.recommender.helpers import jpeg_bytes

    shapes = {"Discs": "ellipse", "Blocks": "rectangle", "Bars": "bar"}
    rows, images = [], {}
    for number in range(per_type * len(shapes)):
        article_type = list(shapes)[number % len(shapes)]
        colour_name, colour = [("Red", (200, 30, 30)), ("Blue", (30, 40, 190))][number // 3 % 2]
        photo = Image.new("RGB", (60, 80), "white")
        draw, box = ImageDraw.Draw(photo), (10 + number % 5, 12, 48, 66 - number % 7)
        if shapes[article_type] == "bar":
            draw.rectangle((8, 30 + number % 9, 52, 44 + number % 9), fill=colour)
        else:
            getattr(draw, shapes[article_type])(box, fill=colour)
        external_id = str(70000 + number)
        rows.append(row(external_id, articleType=article_type, baseColour=colour_name))
        images[external_id] = jpeg_bytes(photo)
    return make_folder(path, rows, images)


def test_train_projection_holding_out_types_never_trains_on_them_and_reports_them(
    tmp_path, monkeypatch
):
    from recommender import training
    from recommender.projection import PROJECTIONS_DIR

    trained_types = []
    original = training.train_projection
    monkeypatch.setattr(
        "recommender.management.commands.train_projection.train_projection",
        lambda shape, colour, article_types, *args, **kwargs: (
            trained_types.append(list(article_types))
            or original(shape, colour, article_types, *args, **kwargs)
        ),
    )
    shipped = {path: path.stat().st_mtime_ns for path in PROJECTIONS_DIR.iterdir()}
    folder, report = drawn_folder(tmp_path / "labelled"), tmp_path / "report.json"
    output = run(
        "train_projection",
        str(folder),
        "--epochs",
        "2",
        "--hold-out-types",
        "0.34",
        "--hold-out-seed",
        "1",
        "--report",
        str(report),
    )
    results = json.loads(report.read_text())
    unseen, seen = results["hold_out_types"]["unseen"], results["hold_out_types"]["seen"]
    assert len(unseen) == 1 and sorted(unseen + seen) == ["Bars", "Blocks", "Discs"]
    assert f"never trained on: {unseen[0]}." in output
    # Part A of the seen types (12 of each), each product twice (its photo, a shopper-like copy).
    assert len(trained_types) == 1 and sorted(set(trained_types[0])) == seen
    assert len(trained_types[0]) == 2 * 12 * len(seen) == 2 * results["trained_on"]
    figures = results["figures"]
    assert set(figures) == {"unseen_types", "unseen_types_among_all", "seen_types"}
    assert all(len(variants) == 4 for variants in figures.values())
    queries = {key: {v["queries"] for v in variants.values()} for key, variants in figures.items()}
    assert queries == {"unseen_types": {12}, "unseen_types_among_all": {12}, "seen_types": {24}}
    precisions = values_of(figures, "precision_article_type")
    assert precisions and all(0 <= precision <= 1 for precision in precisions)
    assert "Unseen types, part B" in output and "Projection written" not in output
    assert {path: path.stat().st_mtime_ns for path in PROJECTIONS_DIR.iterdir()} == shipped


def test_train_projection_holding_out_types_refuses_a_shipped_file_or_too_few_products(tmp_path):
    from recommender.projection import PROJECTIONS_DIR

    folder = drawn_folder(tmp_path / "labelled", per_type=6)
    holding_out = ("train_projection", str(folder), "--hold-out-types", "0.3")
    with pytest.raises(CommandError, match="outside recommender/projections/"):
        run(*holding_out, "--output", str(PROJECTIONS_DIR / "efficientnet_lite0-57934424.npz"))
    with pytest.raises(CommandError, match="Too few products"):
        run(*holding_out, "--output", str(tmp_path / "projection.npz"))
