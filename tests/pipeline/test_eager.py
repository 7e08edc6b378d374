"""The embedded default: with no broker, the same tasks run in-process on commit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Product
from catalog.services import product_image_add, products_set_active
from recommender.embedding import fingerprint
from recommender.models import ImageEmbedding
from recommender.selectors import current_index, similar_products
from recommender.services import catch_up
from tests.recommender.helpers import demo_rows, import_products

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def auto_update(settings):
    settings.RECOMMENDER_AUTO_UPDATE = True
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def catalogue(auto_update, tmp_path):
    products = import_products(
        tmp_path / "catalogue", demo_rows()[::3]
    )  # 12 products, 4 of each type
    catch_up()
    return products


def photo_of(product):
    return SimpleUploadedFile("copy.jpg", open(product.primary_image.image.path, "rb").read())


def indexed(product_ids):
    index = current_index(fingerprint())
    photo_ids = set(Product.objects.filter(id__in=product_ids).values_list("images__id", flat=True))
    return photo_ids & set(index.ids().tolist())


def test_catch_up_embeds_imported_photos_and_builds_the_index(catalogue):
    assert ImageEmbedding.objects.filter(status="done").count() == len(catalogue)
    assert len(current_index(fingerprint())) == len(catalogue)


def test_a_new_photo_is_embedded_and_indexed_on_commit(catalogue):
    source = catalogue[0]
    newcomer = Product.objects.create(
        name="New arrival",
        gender=source.gender,
        master_category="Apparel",
        sub_category="Topwear",
        article_type=source.article_type,
    )
    product_image_add(product=newcomer, file=photo_of(source))
    assert indexed([newcomer.id])
    assert newcomer in [result.product for result in similar_products(product=source, k=3)]


def test_a_deactivated_product_leaves_the_index(catalogue):
    product = catalogue[1]
    product.is_active = False
    product.save()
    assert not indexed([product.id])
    products_set_active(queryset=Product.objects.filter(pk=product.pk), is_active=True)
    assert indexed([product.id])


def test_bulk_deactivation_leaves_the_index(catalogue):
    products_set_active(
        queryset=Product.objects.filter(pk__in=[p.pk for p in catalogue[:3]]), is_active=False
    )
    assert not indexed([p.id for p in catalogue[:3]])


def test_a_deleted_product_leaves_the_index(catalogue):
    photo_id = catalogue[2].primary_image.id
    catalogue[2].delete()
    assert photo_id not in set(current_index(fingerprint()).ids().tolist())


def test_catch_up_mends_an_index_that_missed_changes(catalogue, settings):
    settings.RECOMMENDER_AUTO_UPDATE = False  # as if the broker had been down
    Product.objects.filter(pk=catalogue[0].pk).update(is_active=False)
    assert indexed([catalogue[0].id])
    assert catch_up()["index_rebuilt"] is True
    assert not indexed([catalogue[0].id])
    assert catch_up()["index_rebuilt"] is False


def test_a_failing_photo_is_given_up_after_bounded_attempts(catalogue, settings):
    broken = catalogue[3].primary_image
    ImageEmbedding.objects.filter(image=broken).delete()
    open(broken.image.path, "wb").write(b"not a photo any more")
    results = [catch_up() for _ in range(4)]
    assert [result["failed"] for result in results] == [1, 1, 1, 0]
    row = ImageEmbedding.objects.get(image=broken)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "cannot identify image file" in row.error
