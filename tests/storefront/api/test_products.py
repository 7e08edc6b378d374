from decimal import Decimal

import pytest

from catalog.models import Product
from storefront.api.views import ProductPagination
from tests.factories import ProductFactory, ProductImageFactory
from tests.storefront.api.conftest import assert_error

pytestmark = pytest.mark.django_db
LIST = "/api/v1/products/"


def detail(product):
    return f"/api/v1/products/{product.pk}/"


def names(response):
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json()["results"])


NEW_PRODUCT = {
    "name": "Red Canvas Sneakers",
    "gender": "Men",
    "masterCategory": "Footwear",
    "subCategory": "Shoes",
    "articleType": "Casual Shoes",
    "colour": "Red",
    "price": "49.90",
    "newValues": True,  # the catalogue has no Footwear, Casual Shoes or Red yet
}


def test_the_list_is_paginated_25_a_page(anonymous):
    ProductFactory.create_batch(27)
    first = anonymous.get(LIST).json()
    assert first["count"] == 27 and len(first["results"]) == 25 and first["next"]
    assert len(anonymous.get(LIST, {"page": 2}).json()["results"]) == 2


def test_the_page_size_can_be_chosen_up_to_the_maximum(anonymous, monkeypatch):
    ProductFactory.create_batch(6)
    monkeypatch.setattr(ProductPagination, "max_page_size", 4)
    assert len(anonymous.get(LIST, {"page_size": 3}).json()["results"]) == 3
    assert len(anonymous.get(LIST, {"page_size": 1000}).json()["results"]) == 4


def test_a_page_past_the_end_is_a_404(anonymous):
    ProductFactory()
    assert_error(anonymous.get(LIST, {"page": 9}), 404, "not_found")


def test_a_list_item_has_its_primary_image_with_absolute_urls(anonymous):
    product = ProductFactory(price=Decimal("12.50"))
    item = anonymous.get(LIST).json()["results"][0]
    image = product.primary_image
    assert item == {
        "id": product.pk,
        "name": product.name,
        "gender": "Men",
        "masterCategory": "Apparel",
        "articleType": "Shirts",
        "colour": "Blue",
        "price": "12.50",
        "is_active": True,
        "image": {
            "id": image.pk,
            "url": f"http://testserver{image.image.url}",
            "thumbnail_url": f"http://testserver{image.image.url}",
            "width": 64,
            "height": 48,
            "is_primary": True,
        },
    }


def test_the_list_filters_like_the_shop_grid(anonymous):
    ProductFactory(name="Blue shirt", price=10)
    ProductFactory(
        name="Black watch",
        gender="Women",
        master_category="Accessories",
        article_type="Watches",
        base_colour="Black",
        price=100,
    )
    ProductFactory(name="Blue jeans", article_type="Jeans", sub_category="Bottomwear", price=40)
    assert names(anonymous.get(LIST, {"gender": "Women"})) == ["Black watch"]
    assert names(anonymous.get(LIST, {"masterCategory": "Apparel", "colour": "Blue"})) == [
        "Blue jeans",
        "Blue shirt",
    ]
    assert names(anonymous.get(LIST, {"articleType": "Jeans"})) == ["Blue jeans"]
    assert names(anonymous.get(LIST, {"price_min": "20", "price_max": "100"})) == [
        "Black watch",
        "Blue jeans",
    ]
    assert names(anonymous.get(LIST, {"q": "watch"})) == ["Black watch"]


def test_the_list_says_how_it_read_the_search(anonymous):
    ProductFactory(name="Blue shirt", article_type="Shirts", base_colour="Blue")
    ProductFactory(name="Red dress", article_type="Dresses", base_colour="Red")
    respelled = anonymous.get(LIST, {"q": "blue shrit"})
    assert names(respelled) == ["Blue shirt"]
    assert respelled.json()["search"] == {
        "searchedFor": "blue shirt",
        "respelled": {"shrit": "shirt"},
        "everyWord": True,
    }
    some_words = anonymous.get(LIST, {"q": "blue dress"}).json()
    assert some_words["count"] == 2
    assert some_words["search"] == {
        "searchedFor": "blue dress",
        "respelled": {},
        "everyWord": False,
    }
    assert anonymous.get(LIST).json()["search"] is None
    assert anonymous.get(LIST, {"q": "!!!"}).json()["search"] is None


def test_an_unknown_filter_value_gives_no_results(anonymous):
    ProductFactory()
    assert names(anonymous.get(LIST, {"gender": "Martians"})) == []


def test_malformed_filters_are_a_400_with_field_errors(anonymous):
    response = anonymous.get(LIST, {"price_min": "x", "ordering": "colour"})
    assert_error(response, 400, "invalid", fields=["price_min", "ordering"])


def test_the_list_can_be_ordered(anonymous):
    for name, price in [("B", 30), ("A", 20), ("C", 10)]:
        ProductFactory(name=name, price=price)

    def order(ordering):
        return [
            item["name"] for item in anonymous.get(LIST, {"ordering": ordering}).json()["results"]
        ]

    assert order("name") == ["A", "B", "C"]
    assert order("price") == ["C", "A", "B"]
    assert order("-created_at") == ["C", "A", "B"]


def test_inactive_products_are_hidden_from_customers_but_not_from_staff(anonymous, staff):
    product = ProductFactory(is_active=False)
    assert anonymous.get(LIST).json()["count"] == 0
    assert_error(anonymous.get(detail(product)), 404, "not_found")
    assert staff.get(detail(product)).json()["is_active"] is False


def test_staff_list_inactive_or_all_products(staff):
    ProductFactory(name="On sale")
    ProductFactory(name="Withdrawn", is_active=False)
    assert names(staff.get(LIST)) == ["On sale"]
    assert names(staff.get(LIST, {"status": "inactive"})) == ["Withdrawn"]
    assert names(staff.get(LIST, {"status": "all", "q": "withdrawn"})) == ["Withdrawn"]
    assert [
        item["is_active"]
        for item in staff.get(LIST, {"status": "all", "ordering": "name"}).json()["results"]
    ] == [True, False]


@pytest.mark.parametrize("status", ["inactive", "all"])
def test_customers_cannot_list_inactive_products(anonymous, customer, status):
    ProductFactory(is_active=False)
    for client in (anonymous, customer):
        error = assert_error(
            client.get(LIST, {"status": status}), 400, "invalid", fields=["status"]
        )
        assert "Only staff" in str(error["fields"]["status"])
    assert_error(anonymous.get(LIST, {"status": "gone"}), 400, "invalid", fields=["status"])


def test_the_detail_has_every_image_primary_first(anonymous):
    product = ProductFactory()
    extra = ProductImageFactory(product=product)
    body = anonymous.get(detail(product)).json()
    assert [image["id"] for image in body["images"]] == [product.primary_image.pk, extra.pk]
    assert body["images"][1]["url"] == f"http://testserver{extra.image.url}"
    assert body["subCategory"] == "Topwear" and body["external_id"] == product.external_id


def test_the_thumbnail_url_is_the_thumbnail_once_it_is_made(anonymous):
    from catalog.services import image_thumbnail_make

    product = ProductFactory()
    image = image_thumbnail_make(image=product.primary_image)
    body = anonymous.get(detail(product)).json()
    assert body["images"][0]["thumbnail_url"] == f"http://testserver{image.thumbnail.url}"


def test_an_unknown_product_is_a_404(anonymous):
    assert_error(anonymous.get("/api/v1/products/999999/"), 404, "not_found")
    assert_error(anonymous.get("/api/v1/products/abc/"), 404, "not_found")


def test_staff_create_a_product(staff):
    response = staff.post(LIST, NEW_PRODUCT, format="json")
    assert response.status_code == 201, response.content
    product = Product.objects.get(pk=response.json()["id"])
    assert (product.name, product.article_type, product.base_colour, product.price) == (
        "Red Canvas Sneakers",
        "Casual Shoes",
        "Red",
        Decimal("49.90"),
    )
    assert response.json()["images"] == [] and product.is_active


def test_anonymous_clients_cannot_write(anonymous):
    product = ProductFactory()
    assert_error(anonymous.post(LIST, NEW_PRODUCT, format="json"), 401, "not_authenticated")
    assert_error(
        anonymous.patch(detail(product), {"name": "x"}, format="json"), 401, "not_authenticated"
    )
    assert_error(anonymous.delete(detail(product)), 401, "not_authenticated")
    assert Product.objects.count() == 1


def test_a_customer_token_gets_403_on_writes(customer):
    product = ProductFactory()
    assert_error(customer.post(LIST, NEW_PRODUCT, format="json"), 403, "permission_denied")
    assert_error(
        customer.put(detail(product), NEW_PRODUCT, format="json"), 403, "permission_denied"
    )
    assert_error(customer.delete(detail(product)), 403, "permission_denied")
    assert customer.get(detail(product)).status_code == 200


def test_a_wrong_token_is_a_401(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_error(anonymous.get(LIST), 401, "authentication_failed")


def test_an_invalid_product_is_a_400_with_field_errors(staff):
    response = staff.post(
        LIST, dict(NEW_PRODUCT, gender="Martian", price="-1", name=""), format="json"
    )
    assert_error(response, 400, "invalid", fields=["gender", "price", "name"])
    assert not Product.objects.exists()


def test_the_external_id_is_unique(staff):
    ProductFactory(external_id="15970")
    assert_error(
        staff.post(LIST, dict(NEW_PRODUCT, external_id="15970"), format="json"),
        409,
        "conflict",
        fields=["external_id"],
    )


def test_staff_update_a_product(staff):
    product = ProductFactory()
    ProductFactory(base_colour="Green")
    response = staff.patch(detail(product), {"colour": "green", "price": "5.00"}, format="json")
    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert (product.base_colour, product.price, response.json()["colour"]) == (
        "Green",
        Decimal("5.00"),
        "Green",
    )
    assert (
        staff.put(detail(product), NEW_PRODUCT, format="json").json()["name"] == NEW_PRODUCT["name"]
    )


def test_a_category_type_or_colour_the_catalogue_lacks_is_refused_unless_new_values(staff):
    product = ProductFactory(article_type="Shirts", base_colour="Blue")
    typo = {"articleType": "Shrits", "colour": "blue"}

    response = staff.patch(detail(product), typo, format="json")

    assert_error(response, 400, "invalid", fields=["articleType"])
    assert response.json()["error"]["fields"]["articleType"] == [
        '“Shrits” is not a type of the catalogue (closest: Shirts). Send "newValues": true to '
        "add it."
    ]
    response = staff.patch(detail(product), typo | {"newValues": True}, format="json")
    assert response.status_code == 200 and response.json()["articleType"] == "Shrits"
    assert response.json()["colour"] == "Blue"  # spelt as the catalogue spells it


def test_staff_delete_a_product(staff):
    product = ProductFactory()
    assert staff.delete(detail(product)).status_code == 204
    assert not Product.objects.exists()


def test_a_json_body_that_is_not_json_is_a_400(staff):
    response = staff.generic("POST", LIST, "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_an_unsupported_content_type_is_a_415(staff):
    response = staff.generic("POST", LIST, "name=x", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_a_method_that_is_not_allowed_is_a_405(staff):
    assert_error(staff.post(detail(ProductFactory()), {}, format="json"), 405, "method_not_allowed")


def test_an_unknown_api_address_is_a_json_404(anonymous):
    assert_error(anonymous.get("/api/v1/nothing/here/"), 404, "not_found")


def test_a_staff_member_gets_a_token_with_a_password(anonymous, staff):
    response = anonymous.post(
        "/api/v1/auth/token/", {"username": "staff", "password": "pw-for-tests"}, format="json"
    )
    assert response.status_code == 200 and response.json()["token"]
    wrong = anonymous.post(
        "/api/v1/auth/token/", {"username": "staff", "password": "wrong"}, format="json"
    )
    assert_error(wrong, 400, "invalid", fields=["non_field_errors"])


def test_the_browsable_api_signs_in_with_a_session(client, django_user_model):
    user = django_user_model.objects.create_user("admin", password="pw", is_staff=True)
    client.force_login(user)
    response = client.post(LIST, NEW_PRODUCT, content_type="application/json")
    assert response.status_code == 201
    assert "text/html" in client.get(LIST, HTTP_ACCEPT="text/html")["Content-Type"]


def test_the_api_root_links_to_the_resources_and_the_docs(anonymous):
    links = anonymous.get("/api/v1/").json()
    assert links == {
        "products": "http://testserver/api/v1/products/",
        "search_image": "http://testserver/api/v1/search/image/",
        "token": "http://testserver/api/v1/auth/token/",
        "schema": "http://testserver/api/v1/schema/",
        "docs": "http://testserver/api/v1/docs/",
    }
    for name in ("products", "schema", "docs"):  # the other two take a POST
        assert anonymous.get(links[name].removeprefix("http://testserver")).status_code == 200
