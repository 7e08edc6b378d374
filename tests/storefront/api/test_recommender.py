"""More like this, search by photo and image uploads, on 36 real demo
products (embedded and indexed)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import ProductImage
from recommender.embedding import fingerprint
from recommender.selectors import current_index
from tests.images import image_bytes
from tests.recommender.helpers import demo_photo, flipped_photo
from tests.storefront.api.conftest import assert_error

SEARCH = "/api/v1/search/image/"


def similar(client, product, **params):
    return client.get(f"/api/v1/products/{product.pk}/similar/", params)


def photo(content, name="photo.jpg"):
    return SimpleUploadedFile(name, content)


def demo_upload(product):
    return photo(demo_photo(product).read_bytes())


def result_ids(response):
    assert response.status_code == 200, response.content
    return [item["product"]["id"] for item in response.json()]


@pytest.fixture
def auto_update(settings):
    settings.RECOMMENDER_AUTO_UPDATE = True


def test_similar_products_come_with_scores_best_first(anonymous, catalogue):
    shoe = catalogue[0]
    body = similar(anonymous, shoe, k=5).json()
    assert len(body) == 5 and shoe.pk not in [item["product"]["id"] for item in body]
    scores = [item["score"] for item in body]
    assert scores == sorted(scores, reverse=True) and all(-1 <= score <= 1 for score in scores)
    assert body[0]["product"]["articleType"] == shoe.article_type
    assert body[0]["product"]["image"]["url"].startswith("http://testserver/")


def test_similar_products_default_to_25(anonymous, catalogue):
    assert len(result_ids(similar(anonymous, catalogue[0]))) == 25


def test_similar_products_are_filtered_inside_the_search(anonymous, catalogue):
    response = similar(anonymous, catalogue[0], k=10, articleType="Watches")
    assert len(result_ids(response)) == 10
    assert {item["product"]["articleType"] for item in response.json()} == {"Watches"}
    priced = similar(anonymous, catalogue[0], k=50, price_min="100", price_max="200").json()
    assert len(priced) == 11 and all(
        100 <= float(item["product"]["price"]) <= 200 for item in priced
    )


def test_similar_with_an_unknown_filter_value_is_empty(anonymous, catalogue):
    assert result_ids(similar(anonymous, catalogue[0], gender="Martians")) == []


@pytest.mark.parametrize("params", [{"k": "abc"}, {"k": "0"}, {"k": "101"}, {"price_min": "x"}])
def test_malformed_similar_parameters_are_a_400(anonymous, catalogue, params):
    assert_error(similar(anonymous, catalogue[0], **params), 400, "invalid", fields=list(params))


def test_similar_of_an_unknown_product_is_a_404(anonymous, db):
    assert_error(anonymous.get("/api/v1/products/424242/similar/"), 404, "not_found")


def test_search_by_a_catalogue_photo_finds_that_product_first(anonymous, catalogue):
    watch = catalogue[-1]
    response = anonymous.post(SEARCH, {"photo": photo(flipped_photo(watch)), "k": 3})
    assert result_ids(response)[0] == watch.pk and len(response.json()) == 3


def test_search_by_photo_takes_filters(anonymous, catalogue):
    response = anonymous.post(
        SEARCH, {"photo": demo_upload(catalogue[-1]), "articleType": "Tshirts", "k": 4}
    )
    assert len(result_ids(response)) == 4
    assert {item["product"]["articleType"] for item in response.json()} == {"Tshirts"}


@pytest.mark.parametrize(
    "content, code",
    [
        (b"this is not an image", "not_an_image"),
        (image_bytes(image_format="PNG")[:60], "corrupt_image"),
    ],
)
def test_search_with_a_file_that_is_not_a_usable_image_is_a_400(
    anonymous, catalogue, content, code
):
    assert_error(anonymous.post(SEARCH, {"photo": photo(content)}), 400, code)


def test_search_with_an_empty_or_missing_photo_is_a_400(anonymous, db):
    assert_error(anonymous.post(SEARCH, {"photo": photo(b"")}), 400, "invalid", fields=["photo"])
    assert_error(anonymous.post(SEARCH, {"k": 3}), 400, "invalid", fields=["photo"])


def test_search_with_a_too_many_pixels_image_is_a_400(anonymous, settings, db):
    settings.CATALOG_MAX_IMAGE_PIXELS = 100
    assert_error(anonymous.post(SEARCH, {"photo": photo(image_bytes())}), 400, "too_many_pixels")


def test_search_with_an_oversized_photo_is_a_413(anonymous, settings, catalogue):
    settings.CATALOG_MAX_UPLOAD_BYTES = 1000
    error = assert_error(
        anonymous.post(SEARCH, {"photo": demo_upload(catalogue[0])}), 413, "file_too_large"
    )
    assert "limit is 1000 bytes" in error["message"]


def test_a_request_over_the_upload_memory_limits_is_a_413_not_a_500(anonymous, settings, catalogue):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 2000
    assert_error(
        anonymous.post(SEARCH, {"photo": demo_upload(catalogue[0])}), 413, "file_too_large"
    )


def test_too_many_form_fields_is_a_400_not_a_500(anonymous, settings, db):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    data = {f"field{n}": "x" for n in range(5)} | {"photo": photo(image_bytes())}
    assert_error(anonymous.post(SEARCH, data), 400, "parse_error")


def test_search_wants_multipart(anonymous, db):
    assert_error(anonymous.post(SEARCH, {"k": 3}, format="json"), 415, "unsupported_media_type")


def test_anonymous_searches_are_throttled_but_staff_are_not(anonymous, staff, settings, catalogue):
    settings.REST_FRAMEWORK = dict(
        settings.REST_FRAMEWORK, DEFAULT_THROTTLE_RATES={"image_search": "2/minute"}
    )
    for _ in range(2):
        assert (
            anonymous.post(SEARCH, {"photo": demo_upload(catalogue[0]), "k": 1}).status_code == 200
        )
    error = assert_error(
        anonymous.post(SEARCH, {"photo": demo_upload(catalogue[0])}), 429, "throttled"
    )
    assert "seconds" in error["message"]
    for _ in range(3):
        assert staff.post(SEARCH, {"photo": demo_upload(catalogue[0]), "k": 1}).status_code == 200


def test_an_uploaded_image_is_embedded_and_found(
    staff, anonymous, catalogue, auto_update, django_capture_on_commit_callbacks
):
    watch, shoe = catalogue[-1], catalogue[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/api/v1/products/{shoe.pk}/images/", {"photo": photo(flipped_photo(watch))}
        )
    assert response.status_code == 201, response.content
    image = ProductImage.objects.get(pk=response.json()["id"])
    assert response.json() == {
        "id": image.pk,
        "url": f"http://testserver{image.image.url}",
        "thumbnail_url": f"http://testserver{image.image.url}",
        "width": image.width,
        "height": image.height,
        "is_primary": False,
    }
    assert image.pk in current_index(fingerprint()).ids()
    assert shoe.pk in result_ids(similar(anonymous, watch, k=1))


def test_an_upload_can_become_the_primary_image(staff, catalogue):
    shoe = catalogue[0]
    response = staff.post(
        f"/api/v1/products/{shoe.pk}/images/", {"photo": photo(image_bytes()), "is_primary": True}
    )
    assert response.json()["is_primary"] is True
    assert shoe.primary_image.pk == response.json()["id"]


@pytest.mark.parametrize(
    "content, status, code",
    [
        (b"GIF89a but not really", 400, "not_an_image"),
        (None, 400, "duplicate_image"),
    ],
)
def test_a_bad_image_upload_is_refused(staff, catalogue, content, status, code):
    shoe = catalogue[0]
    content = demo_photo(shoe).read_bytes() if content is None else content
    assert_error(
        staff.post(f"/api/v1/products/{shoe.pk}/images/", {"photo": photo(content)}), status, code
    )
    assert shoe.images.count() == 1


def test_an_oversized_image_upload_is_a_413(staff, settings, catalogue):
    settings.CATALOG_MAX_UPLOAD_BYTES = 1000
    assert_error(
        staff.post(
            f"/api/v1/products/{catalogue[0].pk}/images/", {"photo": demo_upload(catalogue[1])}
        ),
        413,
        "file_too_large",
    )


def test_only_staff_add_or_delete_images(anonymous, customer, catalogue):
    shoe = catalogue[0]
    url = f"/api/v1/products/{shoe.pk}/images/"
    assert_error(anonymous.post(url, {"photo": photo(image_bytes())}), 401, "not_authenticated")
    assert_error(customer.post(url, {"photo": photo(image_bytes())}), 403, "permission_denied")
    assert_error(customer.delete(f"{url}{shoe.primary_image.pk}/"), 403, "permission_denied")
    assert shoe.images.count() == 1


def test_deleting_the_primary_image_promotes_the_next_and_leaves_the_index(
    staff, catalogue, auto_update, django_capture_on_commit_callbacks
):
    shoe = catalogue[0]
    first = shoe.primary_image
    with django_capture_on_commit_callbacks(execute=True):
        second = staff.post(
            f"/api/v1/products/{shoe.pk}/images/", {"photo": photo(image_bytes())}
        ).json()
        assert staff.delete(f"/api/v1/products/{shoe.pk}/images/{first.pk}/").status_code == 204
    assert shoe.primary_image.pk == second["id"] and shoe.primary_image.is_primary
    assert first.pk not in current_index(fingerprint()).ids()


def test_deleting_an_image_of_another_product_is_a_404(staff, catalogue):
    other = catalogue[1].primary_image
    assert_error(
        staff.delete(f"/api/v1/products/{catalogue[0].pk}/images/{other.pk}/"), 404, "not_found"
    )
    assert ProductImage.objects.filter(pk=other.pk).exists()


def test_a_deactivated_product_leaves_similar_results(
    staff, anonymous, catalogue, auto_update, django_capture_on_commit_callbacks
):
    shoe = catalogue[0]
    nearest = result_ids(similar(anonymous, shoe, k=1))[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.patch(f"/api/v1/products/{nearest}/", {"is_active": False}, format="json")
    assert response.json()["is_active"] is False
    assert nearest not in result_ids(similar(anonymous, shoe, k=35))
    image_ids = ProductImage.objects.filter(product_id=nearest).values_list("id", flat=True)
    assert not set(image_ids) & set(current_index(fingerprint()).ids().tolist())
    assert_error(anonymous.get(f"/api/v1/products/{nearest}/similar/"), 404, "not_found")


def test_a_deleted_product_leaves_the_index(
    staff, catalogue, auto_update, django_capture_on_commit_callbacks
):
    shoe = catalogue[0]
    image_id = shoe.primary_image.pk
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.delete(f"/api/v1/products/{shoe.pk}/").status_code == 204
    assert image_id not in current_index(fingerprint()).ids()
