"""Search by photo with real shoppers' photos (../shared/datasets/shoppers-photos), through the
shipped kind head: the photos of photographer p123, whom `train_kind_head` leaves out of the
shipped head (README, "Search by photo on real photos"), so these are photos it never saw."""

import csv
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recommender.embedding import embed_photo_query, fingerprint
from recommender.kinds import KIND_OF_LABEL, KINDS, kind_head
from recommender.selectors import search_by_image, trusted_kind
from tests.conftest import REPO

SHOPPERS = REPO.parent / "shared" / "datasets" / "shoppers-photos"
GROUP = "p123"


def photos_of_group(group):
    """[(path, label)] of a photographer's photos with a catalogue counterpart."""
    with open(SHOPPERS / "labels.csv", newline="", encoding="utf-8") as file:
        return [
            (SHOPPERS / "images" / f"{row['image']}.jpg", row["label"])
            for row in csv.DictReader(file)
            if row["group"] == group and row["label"] in KIND_OF_LABEL
        ]


def test_the_shipped_kind_head_tells_the_kind_of_photos_it_never_saw(db):
    assert kind_head(fingerprint()) is not None, "the shipped kind head is missing"
    found = Counter()
    for path, label in photos_of_group(GROUP):
        query = embed_photo_query(path.read_bytes())
        assert query.kind_scores.shape == (len(KINDS),)
        found[label, trusted_kind(query) == KIND_OF_LABEL[label]] += 1
    right = sum(count for (_, ok), count in found.items() if ok)
    assert right / sum(found.values()) >= 0.75, found
    assert found["Shoes", False] == 0, found


@pytest.mark.parametrize("label, article_type", [("Shoes", "Casual Shoes"), ("T-Shirt", "Tshirts")])
def test_a_real_photo_finds_products_of_its_kind_first(catalogue, label, article_type):
    for path, photo_label in photos_of_group(GROUP):
        if photo_label != label:
            continue
        upload = SimpleUploadedFile("photo.jpg", path.read_bytes(), content_type="image/jpeg")
        results = search_by_image(upload=upload, k=10)
        assert [result.product.article_type for result in results] == [article_type] * 10, path
