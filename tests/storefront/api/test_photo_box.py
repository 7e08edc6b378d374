"""Search by photo in the API: the part of the photo that matters (a box, four fractions), and
whether each result clears the relevance floor."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from recommender.photo_query import Box
from storefront.api import views
from tests.recommender.helpers import demo_photo, jpeg_bytes
from tests.storefront.api.conftest import assert_error

SEARCH = "/api/v1/search/image/"
EDGES = ("left", "top", "right", "bottom")


def side_by_side(left_product, right_product):
    """The two products' demo photos side by side in one JPEG (an "outfit")."""
    with (
        Image.open(demo_photo(left_product)) as left,
        Image.open(demo_photo(right_product)) as right,
    ):
        width, height = left.size
        both = Image.new("RGB", (2 * width, height), "white")
        both.paste(left.convert("RGB"), (0, 0))
        both.paste(right.convert("RGB").resize((width, height)), (width, 0))
    return jpeg_bytes(both)


def search(client, content, **fields):
    return client.post(SEARCH, {"photo": SimpleUploadedFile("p.jpg", content), **fields})


@pytest.fixture
def searched_boxes(monkeypatch):
    """The box of each search the API makes (no search is run)."""
    boxes = []

    def record(*, upload, k, filters, box):
        boxes.append(box)
        return []

    monkeypatch.setattr(views, "search_by_image", record)
    return boxes


def test_a_box_searches_that_part_of_the_photo(anonymous, catalogue):
    shoe, watch = catalogue[0], catalogue[-1]
    outfit = side_by_side(shoe, watch)
    halves = {shoe: ("0", "0", "0.5", "1"), watch: ("0.5", "0", "1", "1")}
    for product, edges in halves.items():
        response = search(anonymous, outfit, k=3, **dict(zip(EDGES, edges)))
        assert response.status_code == 200, response.content
        assert response.json()[0]["product"]["id"] == product.pk


def test_each_result_says_whether_it_clears_the_floor(anonymous, catalogue):
    found = search(anonymous, demo_photo(catalogue[0]).read_bytes(), k=5).json()
    similar = anonymous.get(f"/api/v1/products/{catalogue[0].pk}/similar/", {"k": 5}).json()
    for results in (found, similar):
        assert len(results) == 5
        assert all(isinstance(result["relevant"], bool) for result in results)


@pytest.mark.parametrize(
    "edges, box",
    [
        (("0.1", "0.2", "0.6", "0.9"), Box(0.1, 0.2, 0.6, 0.9)),
        (("0", "0", "1", "1"), Box(0, 0, 1, 1)),
        (("2.5e-1", ".25", "1.", "1.0"), Box(0.25, 0.25, 1, 1)),
        ((None, None, None, None), None),
        (("", "", "", ""), None),  # form data's empty fields: no box
    ],
)
def test_the_box_reaches_the_engine(anonymous, db, searched_boxes, edges, box):
    fields = {name: edge for name, edge in zip(EDGES, edges) if edge is not None}
    assert search(anonymous, b"any bytes", **fields).status_code == 200
    assert searched_boxes == [box]


@pytest.mark.parametrize(
    "fields, bad",
    [
        ({"left": "0.1", "top": "0.2"}, "box"),
        ({"left": "0.1", "top": "0.2", "right": "0.11", "bottom": "0.9"}, "box"),
        ({"left": "0.6", "top": "0.2", "right": "0.1", "bottom": "0.9"}, "box"),
        ({"left": "1.5", "top": "0", "right": "1", "bottom": "1"}, "left"),
        ({"left": "-0.1", "top": "0", "right": "1", "bottom": "1"}, "left"),
        ({"left": "abc", "top": "0", "right": "1", "bottom": "1"}, "left"),
        ({"left": "nan", "top": "0", "right": "1", "bottom": "1"}, "left"),
        ({"left": " 0.1", "top": "0", "right": "1", "bottom": "1"}, "left"),
        ({"left": "", "top": "0", "right": "1", "bottom": "1"}, "box"),  # empty is none
        ({"left": "0,1", "top": "0", "right": "1", "bottom": "1"}, "left"),
    ],
)
def test_a_bad_box_is_a_400_naming_it(anonymous, db, searched_boxes, fields, bad):
    error = assert_error(search(anonymous, b"any bytes", **fields), 400, "invalid", fields=[bad])
    assert error["fields"][bad][0]
    assert searched_boxes == []


def test_the_schema_documents_the_box_and_relevant(anonymous, db):
    schema = anonymous.get("/api/v1/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    request = components["ImageSearchInputRequest"]["properties"]
    for name in EDGES:
        assert request[name]["type"] == "number"
        assert (request[name]["minimum"], request[name]["maximum"]) == (0, 1)
    result = components["SimilarProduct"]
    assert result["properties"]["relevant"]["type"] == "boolean"
    assert "relevant" in result["required"]
