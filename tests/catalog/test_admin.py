import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalog.models import Product, ProductImage, Synonym
from catalog.selectors import listed_spellings, product_search
from catalog.signals import photos_added
from tests.factories import ProductFactory, ProductImageFactory
from tests.images import image_bytes

pytestmark = pytest.mark.django_db
ADD_URL = reverse("admin:catalog_product_add")


def product_form(*uploads, **fields):
    """POST data for the admin's add-product page, with one inline form per upload (new values
    of category, type and colour allowed: the catalogue is often empty)."""
    data = {
        "add_new_values": "on",
        "name": "Roadster Men Navy Shirt",
        "external_id": "",
        "price": "",
        "is_active": "on",
        "gender": "Men",
        "master_category": "Apparel",
        "sub_category": "Topwear",
        "article_type": "Shirts",
        "base_colour": "Navy Blue",
        "season": "",
        "year": "",
        "usage": "",
        "images-TOTAL_FORMS": str(len(uploads)),
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "1",
        "images-MAX_NUM_FORMS": "1000",
    } | fields
    for number, upload in enumerate(uploads):
        data[f"images-{number}-image"] = upload
        data[f"images-{number}-position"] = str(number)
    return data


def upload(content, name="photo.jpg"):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def stored_files(media_root):
    return [path for path in media_root.rglob("*") if path.is_file()]


def test_adding_a_product_with_a_photo(admin_client, media_root):
    response = admin_client.post(ADD_URL, product_form(upload(image_bytes(size=(90, 120)))))
    assert response.status_code == 302
    product = Product.objects.get(name="Roadster Men Navy Shirt")
    image = product.primary_image
    assert (image.width, image.height, len(image.sha256)) == (90, 120, 64)
    assert len(stored_files(media_root)) == 1


@pytest.mark.parametrize(
    "content, message",
    [
        (b"GIF89a but not really", "not an image the shop accepts"),
        (b"", "The submitted file is empty."),
        (image_bytes(size=(400, 300))[:-800], "The image file is damaged"),
    ],
)
def test_a_file_that_is_not_an_image_gets_a_form_error_and_nothing_is_stored(
    admin_client, media_root, content, message
):
    response = admin_client.post(ADD_URL, product_form(upload(content)))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Product.objects.exists()
    assert stored_files(media_root) == []


def test_an_oversized_upload_gets_a_form_error(admin_client, settings, media_root):
    settings.CATALOG_MAX_UPLOAD_BYTES = 500
    response = admin_client.post(ADD_URL, product_form(upload(image_bytes(size=(400, 400)))))
    assert "the limit is 500 bytes" in response.content.decode()
    assert not Product.objects.exists()
    assert stored_files(media_root) == []


def test_a_decompression_bomb_gets_a_form_error(admin_client, settings, media_root):
    settings.CATALOG_MAX_IMAGE_PIXELS = 1_000_000
    buffer = io.BytesIO()
    Image.new("1", (4000, 4000)).save(buffer, format="PNG")
    response = admin_client.post(ADD_URL, product_form(upload(buffer.getvalue(), "bomb.png")))
    assert "4000x4000 pixels; the limit is 1,000,000 pixels" in response.content.decode()
    assert not Product.objects.exists()


def test_the_same_photo_twice_gets_a_form_error(admin_client, media_root):
    content = image_bytes()
    response = admin_client.post(
        ADD_URL, product_form(upload(content), upload(content, "copy.jpg"))
    )
    assert "already has this exact image" in response.content.decode()
    assert not Product.objects.exists()
    assert stored_files(media_root) == []


def test_a_product_needs_a_photo(admin_client):
    response = admin_client.post(ADD_URL, product_form())
    assert response.status_code == 200
    assert "A product needs at least one photo." in response.content.decode()


def test_two_primary_images_get_a_form_error(admin_client):
    data = product_form(upload(image_bytes()), upload(image_bytes(colour=(0, 0, 0))))
    data["images-0-is_primary"] = data["images-1-is_primary"] = "on"
    response = admin_client.post(ADD_URL, data)
    assert "Mark only one image as primary." in response.content.decode()


def test_the_first_photo_becomes_primary_when_none_is_marked(admin_client):
    admin_client.post(
        ADD_URL, product_form(upload(image_bytes()), upload(image_bytes(colour=(0, 0, 0))))
    )
    images = ProductImage.objects.order_by("position")
    assert [image.is_primary for image in images] == [True, False]


def test_changelist_shows_thumbnails_and_searches_by_id(admin_client):
    wanted = ProductFactory(external_id="15970", name="Turtle Check Men Navy Blue Shirt")
    ProductFactory(name="Puma Black Shoes")
    response = admin_client.get(reverse("admin:catalog_product_changelist"), {"q": "15970"})
    page = response.content.decode()
    assert "Turtle Check Men Navy Blue Shirt" in page
    assert "Puma Black Shoes" not in page
    assert wanted.primary_image.image.url in page


def test_changelist_filters_by_article_type_and_colour(admin_client):
    ProductFactory(name="A navy shirt", article_type="Shirts", base_colour="Navy Blue")
    ProductFactory(name="A black watch", article_type="Watches", base_colour="Black")
    url = reverse("admin:catalog_product_changelist")
    page = admin_client.get(
        url, {"article_type": "Watches", "base_colour": "Black"}
    ).content.decode()
    assert "A black watch" in page and "A navy shirt" not in page


def test_change_page_shows_image_previews(admin_client):
    product = ProductFactory()
    page = admin_client.get(
        reverse("admin:catalog_product_change", args=[product.pk])
    ).content.decode()
    assert f'<img src="{product.primary_image.image.url}"' in page


@pytest.mark.parametrize(
    "action, before, after", [("deactivate", True, False), ("activate", False, True)]
)
def test_bulk_activate_and_deactivate(admin_client, action, before, after):
    products = ProductFactory.create_batch(3, is_active=before)
    response = admin_client.post(
        reverse("admin:catalog_product_changelist"),
        {
            "action": action,
            "_selected_action": [product.pk for product in products[:2]],
        },
        follow=True,
    )
    assert "2 product(s)" in response.content.decode()
    assert [Product.objects.get(pk=product.pk).is_active for product in products] == [
        after,
        after,
        before,
    ]


def test_the_admin_opens_an_upload_with_the_shops_formats_only(
    admin_client, media_root, monkeypatch
):
    from PIL import TiffImagePlugin

    def never(*args):
        raise AssertionError("the TIFF parser ran on an upload")

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "_open", never)
    tiff = io.BytesIO()
    Image.new("RGB", (40, 30)).save(tiff, "TIFF")
    response = admin_client.post(ADD_URL, product_form(upload(tiff.getvalue())))
    assert "not an image the shop accepts" in response.content.decode()


def test_an_admin_upload_comes_in_through_the_one_way_in(admin_client):
    announced = []

    def receive(sender, image_ids, bulk, **kwargs):
        announced.append((image_ids, bulk))

    photos_added.connect(receive)
    try:
        admin_client.post(ADD_URL, product_form(upload(image_bytes())))
    finally:
        photos_added.disconnect(receive)
    assert announced == [([ProductImage.objects.get().pk], False)]


def change_form(product, primary, new_upload=None):
    """POST data for a product's change page: its photos as they are, `primary` (a photo, or
    "new") marked primary, and a new upload when given."""
    images = list(product.images.order_by("position"))
    data = product_form(**{"name": product.name})
    data |= {"images-INITIAL_FORMS": str(len(images)), "images-TOTAL_FORMS": str(len(images))}
    for number, image in enumerate(images):
        data[f"images-{number}-id"] = str(image.pk)
        data[f"images-{number}-product"] = str(product.pk)
        data[f"images-{number}-position"] = str(number)
        if image == primary:
            data[f"images-{number}-is_primary"] = "on"
    if new_upload is not None:
        number = len(images)
        data["images-TOTAL_FORMS"] = str(number + 1)
        data[f"images-{number}-image"] = new_upload
        data[f"images-{number}-position"] = str(number)
        if primary == "new":
            data[f"images-{number}-is_primary"] = "on"
    return data


def test_the_primary_photo_moves_to_another_stored_photo(admin_client):
    first = ProductImageFactory()
    second = ProductImageFactory(product=first.product)
    url = reverse("admin:catalog_product_change", args=[first.product.pk])
    response = admin_client.post(url, change_form(first.product, second))
    assert response.status_code == 302, response.content.decode()
    assert list(first.product.images.filter(is_primary=True)) == [second]


def test_a_new_upload_can_take_the_primary_from_a_stored_photo(admin_client):
    stored = ProductImageFactory()
    product = stored.product
    url = reverse("admin:catalog_product_change", args=[product.pk])
    response = admin_client.post(
        url, change_form(product, "new", upload(image_bytes(colour=(0, 90, 0))))
    )
    assert response.status_code == 302, response.content.decode()
    assert product.images.count() == 2
    assert product.images.get(is_primary=True) != stored


def test_a_photo_another_admin_just_added_is_reported_not_a_500(admin_client):
    stored = ProductImageFactory()
    product = stored.product
    # A change page opened before the other admin's save: it does not list the stored photo.
    data = product_form(upload(stored.image.read()), name=product.name)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    response = admin_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "New photos not added: This product already has this exact image." in (
        response.content.decode()
    )
    assert list(product.images.all()) == [stored]


def test_a_primary_chosen_on_a_stale_page_takes_over_from_one_added_meanwhile(admin_client):
    first = ProductImageFactory()
    product = first.product
    second = ProductImageFactory(product=product)
    data = change_form(product, second)  # the page lists two photos; the admin marks the second
    ProductImageFactory(product=product, make_primary=True)  # the API adds a primary meanwhile
    url = reverse("admin:catalog_product_change", args=[product.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    assert list(product.images.filter(is_primary=True)) == [second]


def test_a_synonym_added_in_the_admin_finds_products_by_it(admin_client):
    boots = ProductFactory(name="Woodland Men Brown Boots", article_type="Casual Shoes")
    ProductFactory(name="Roadster Men Blue Shirt", article_type="Shirts")
    assert not product_search(query="Chukkas").products.exists()

    response = admin_client.post(
        reverse("admin:catalog_synonym_add"),
        {"word": "  Chukkas ", "means": "boots,  , Casual Shoes"},
    )

    assert response.status_code == 302
    synonym = Synonym.objects.get(word="chukkas")
    assert synonym.means == "boots, casual shoes"
    assert list(product_search(query="Chukkas").products) == [boots]


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"word": "--", "means": "boots"}, "Type the word"),
        ({"word": "chukkas", "means": " , ,"}, "Name what the catalogue calls it"),
        ({"word": "light blue denim chukkas", "means": "boots"}, "at most 3 words long"),
        ({"word": "Sneaker", "means": "flats"}, "reads this as “sneakers”, which is a synonym"),
    ],
)
def test_a_synonym_without_words_is_a_form_error(admin_client, fields, error):
    response = admin_client.post(reverse("admin:catalog_synonym_add"), fields)

    assert response.status_code == 200 and error in response.content.decode()
    assert not Synonym.objects.filter(word__in=["chukkas", "sneaker"]).exists()


def test_category_type_and_colour_are_chosen_from_the_catalogue(admin_client, media_root):
    ProductFactory(master_category="Apparel", article_type="Tshirts", base_colour="Navy Blue")
    files = stored_files(media_root)
    page = admin_client.get(ADD_URL).content.decode()
    assert 'list="id_article_type_listed"' in page and '<option value="Tshirts">' in page

    typo = product_form(
        upload(image_bytes()), article_type="Tshrits", base_colour="navy blue", add_new_values=""
    )
    response = admin_client.post(ADD_URL, typo)

    assert response.status_code == 200
    assert (
        "“Tshrits” is not a type of the catalogue (closest: Tshirts)." in response.content.decode()
    )
    assert Product.objects.count() == 1 and stored_files(media_root) == files


def test_a_listed_value_is_read_as_plain_text_and_an_exact_spelling_wins():
    ProductFactory(article_type="Casual Shoes")
    ProductFactory(article_type="casual shoes")
    assert listed_spellings({"article_type": "Casual Shoes"}) == (
        {"article_type": "Casual Shoes"},
        [],
    )
    spelled, unlisted = listed_spellings({"article_type": "Casual\u00a0 Shoes\u200b"})
    assert spelled == {"article_type": "Casual Shoes"} and unlisted == []


def test_a_new_value_is_added_on_purpose_and_a_listed_one_is_spelt_as_listed(admin_client):
    ProductFactory(master_category="Apparel", article_type="Tshirts", base_colour="Navy Blue")
    form = product_form(upload(image_bytes()), article_type="Kimonos", base_colour="navy BLUE")

    response = admin_client.post(ADD_URL, form)  # "Add new values" ticked

    assert response.status_code == 302
    added = Product.objects.get(name=form["name"])
    assert (added.article_type, added.base_colour) == ("Kimonos", "Navy Blue")
