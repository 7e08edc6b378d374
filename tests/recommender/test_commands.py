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
