"""train_kind_head and calibrate_relevance on a small catalogue and a few real shoppers' photos."""

import csv
import shutil

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from recommender.floors import Floors
from recommender.kinds import KINDS, KindHead
from tests.conftest import REPO

SHOPPERS = REPO.parent / "shared" / "datasets" / "shoppers-photos"


@pytest.fixture
def shoppers_folder(tmp_path):
    """A shoppers-photos folder of 12 real photos: 3 of shoes and 3 of T-shirts from each of
    two photographers (and one photo whose label has no catalogue counterpart)."""
    with open(SHOPPERS / "labels.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    chosen = [
        row
        for group in ("p042", "p057")
        for label in ("Shoes", "T-Shirt")
        for row in [r for r in rows if r["group"] == group and r["label"] == label][:3]
    ] + [next(r for r in rows if r["label"] == "Not sure")]
    folder = tmp_path / "shoppers"
    (folder / "images").mkdir(parents=True)
    for row in chosen:
        name = f"{row['image']}.jpg"
        shutil.copyfile(SHOPPERS / "images" / name, folder / "images" / name)
    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=rows[0].keys())
        writer.writeheader()
        writer.writerows(chosen)
    return folder


def test_train_kind_head_writes_a_head_of_the_model(catalogue, tmp_path, shoppers_folder):
    output = tmp_path / "head.npz"
    call_command("train_kind_head", tmp_path / "catalogue", shoppers_folder, output=str(output))
    head = KindHead.load(output)
    assert head.article_types == {"Casual Shoes", "Tshirts", "Watches"}
    features = np.zeros((1, head.photo.layers[0][0].shape[1]), np.float32)
    assert head.photo.probabilities(features).shape == (1, len(KINDS))


def test_calibrate_relevance_writes_both_floors(catalogue, tmp_path, shoppers_folder):
    output = tmp_path / "floors.json"
    call_command(
        "calibrate_relevance",
        tmp_path / "catalogue",
        shoppers_folder,
        folds=2,
        cache=str(tmp_path / "cache"),
        output=str(output),
    )
    floors = Floors.load(output)
    assert -1.0 <= floors.more_like_this <= 1.0 + 1e-5
    assert -1.0 <= floors.search_by_photo <= 1.0 + 1e-5
    assert "2-fold by photographer" in floors.measured_on


def test_calibrate_relevance_needs_the_catalogue_in_the_shop(db, tmp_path, shoppers_folder):
    from tests.catalog.test_import import make_folder
    from tests.recommender.helpers import demo_rows

    folder = make_folder(tmp_path / "elsewhere", demo_rows()[:3])
    with pytest.raises(CommandError, match="no stored vector"):
        call_command("calibrate_relevance", folder, shoppers_folder, cache=str(tmp_path / "c"))
