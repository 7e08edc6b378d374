"""The API accepts exactly what its schema says: strict types, no unknown fields, bounded
query text and page sizes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Product
from tests.factories import ProductFactory
from tests.images import image_bytes
from tests.storefront.api.conftest import assert_error
from tests.storefront.api.test_products import LIST, NEW_PRODUCT, detail

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "field, value",
    [
        ("is_active", 0),
        ("is_active", "yes"),
        ("is_active", "false"),
        ("masterCategory", 5),
        ("year", "2011"),
        ("year", 2011.5),
        ("price", 49.9),
        ("price", "-1"),
        ("price", "1e3"),
        ("price", ""),
        ("price", "123456789"),
        ("price", "\u0664\u0669.\u0669\u0660"),
        ("name", "nul\x00inside"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused(staff, field, value):
    response = staff.post(LIST, dict(NEW_PRODUCT, **{field: value}), format="json")
    assert_error(response, 400, "invalid", fields=[field])
    assert not Product.objects.exists()


def test_the_right_kinds_are_taken(staff):
    product = dict(NEW_PRODUCT, price="49.90", year=2011, is_active=False)
    assert staff.post(LIST, product, format="json").status_code == 201
    assert (
        staff.post(LIST, dict(product, price=None, external_id="x"), format="json").status_code
        == 201
    )


def test_an_unknown_field_is_refused(staff):
    response = staff.post(LIST, dict(NEW_PRODUCT, colour_name="Red"), format="json")
    assert_error(response, 400, "invalid", fields=["colour_name"])
    product = ProductFactory()
    assert_error(staff.patch(detail(product), {"nme": "x"}, format="json"), 400, "invalid")
    photo = SimpleUploadedFile("p.jpg", image_bytes())
    search = staff.post("/api/v1/search/image/", {"photo": photo, "colours": "Red"})
    assert_error(search, 400, "invalid", fields=["colours"])


def test_an_empty_filter_is_no_filter(anonymous):
    ProductFactory(base_colour="Red")
    assert anonymous.get(LIST, {"colour": "", "price_min": ""}).json()["count"] == 1
    photo = SimpleUploadedFile("p.jpg", image_bytes())
    assert (
        anonymous.post("/api/v1/search/image/", {"photo": photo, "colour": ""}).status_code == 200
    )


@pytest.mark.parametrize("page_size", ["null", "0", "-1", "2.5", "x"])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_refused(anonymous, page_size):
    assert_error(anonymous.get(LIST, {"page_size": page_size}), 400, "invalid", ["page_size"])


def test_query_text_is_capped_and_cheap(anonymous):
    ProductFactory(name="Red Shirt")
    assert_error(anonymous.get(LIST, {"q": "a " * 101}), 400, "invalid", fields=["q"])
    many_words = " ".join("shirt" for _ in range(33))  # 197 characters: only 10 words count
    assert anonymous.get(LIST, {"q": many_words}).json()["count"] == 1
    assert anonymous.get(LIST, {"q": " ".join(["x"] * 10 + ["shirt"])}).json()["count"] == 0


@pytest.mark.parametrize("k", ["12.0", " +3 ", "\u0665", "3.000", "true"])
def test_k_is_a_whole_number_in_ascii_digits(anonymous, k):
    product = ProductFactory()
    response = anonymous.get(f"/api/v1/products/{product.pk}/similar/", {"k": k})
    assert_error(response, 400, "invalid", fields=["k"])


def test_a_page_is_a_number(anonymous):
    ProductFactory()
    assert_error(anonymous.get(LIST, {"page": "last"}), 404, "not_found")
    assert anonymous.get(LIST, {"page": "1"}).status_code == 200


@pytest.mark.parametrize("external_id", ["../../x", "/tmp/abs", "a b", "é"])
def test_an_external_id_is_letters_digits_and_dashes(staff, external_id):
    response = staff.post(LIST, dict(NEW_PRODUCT, external_id=external_id), format="json")
    assert_error(response, 400, "invalid", fields=["external_id"])
    product = ProductFactory()
    assert_error(
        staff.patch(detail(product), {"external_id": external_id}, format="json"), 400, "invalid"
    )


def test_an_empty_ordering_field_is_refused(anonymous):
    assert_error(anonymous.get(LIST, {"ordering": ",,"}), 400, "invalid", fields=["ordering"])
    assert anonymous.get(LIST, {"ordering": "name,-price"}).status_code == 200
