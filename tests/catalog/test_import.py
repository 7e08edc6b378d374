import csv
import shutil
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from catalog.importer import ImportFolderError
from catalog.models import Product, ProductImage
from catalog.services import catalog_import
from tests.conftest import DEMO_CATALOGUE
from tests.images import image_bytes

pytestmark = pytest.mark.django_db
COLUMNS = [
    "id",
    "gender",
    "masterCategory",
    "subCategory",
    "articleType",
    "baseColour",
    "season",
    "year",
    "usage",
    "productDisplayName",
]


def demo_rows(count):
    with open(DEMO_CATALOGUE / "styles.csv", newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))[:count]


def make_folder(path, rows, images=None):
    """A Kaggle-layout folder: styles.csv with `rows`, demo photos for them,
    plus `images` (id -> bytes)."""
    (path / "images").mkdir(parents=True, exist_ok=True)
    with open(path / "styles.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(
            file, fieldnames=COLUMNS + (["price"] if any("price" in row for row in rows) else [])
        )
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        photo = DEMO_CATALOGUE / "images" / f"{row['id']}.jpg"
        if photo.exists():
            shutil.copyfile(photo, path / "images" / photo.name)
    for external_id, content in (images or {}).items():
        (path / "images" / f"{external_id}.jpg").write_bytes(content)
    return path


def row(external_id, **values):
    base = {
        "id": external_id,
        "gender": "Women",
        "masterCategory": "Apparel",
        "subCategory": "Topwear",
        "articleType": "Tops",
        "baseColour": "Red",
        "season": "Summer",
        "year": "2012",
        "usage": "Casual",
        "productDisplayName": f"Made-up Women Red Top {external_id}",
    }
    return base | values


def test_imports_products_with_their_photo(tmp_path, settings, django_capture_on_commit_callbacks):
    settings.CATALOG_AUTO_THUMBNAILS = True
    rows = demo_rows(5)
    with django_capture_on_commit_callbacks(execute=True):
        report = catalog_import(path=make_folder(tmp_path, rows), progress=False)
    assert (report.created, report.skipped) == (5, [])
    product = Product.objects.get(external_id=rows[0]["id"])
    assert product.name == rows[0]["productDisplayName"]
    assert product.article_type == rows[0]["articleType"]
    assert product.year == int(rows[0]["year"])
    image = product.primary_image
    assert (image.width, image.height) == (224, 224)
    assert image.image.read() == (DEMO_CATALOGUE / "images" / f"{rows[0]['id']}.jpg").read_bytes()
    assert image.thumbnail_url.endswith("-thumb.jpg")


def test_names_with_commas_and_a_price_column_are_read(tmp_path):
    rows = [row("9001", productDisplayName="Nike Women, Running Top", price="49.90")]
    catalog_import(path=make_folder(tmp_path, rows, {"9001": image_bytes()}), progress=False)
    product = Product.objects.get(external_id="9001")
    assert product.name == "Nike Women, Running Top"
    assert str(product.price) == "49.90"


@pytest.mark.parametrize(
    "bad_row, images, reason",
    [
        (row("9001"), {}, "image images/9001.jpg is missing"),
        (row("9001"), {"9001": b"not a photo"}, "not an image"),
        (row("9001"), {"9001": image_bytes(size=(300, 300))[:300]}, "damaged"),
        (row("9001", articleType=""), {"9001": image_bytes()}, "missing articleType"),
        (row("9001", gender="Robot"), {"9001": image_bytes()}, "gender 'Robot'"),
        (row("9001", year="twenty"), {"9001": image_bytes()}, "year 'twenty'"),
        (row("9001", price="-3"), {"9001": image_bytes()}, "price '-3'"),
        (row("../../etc"), {}, "id '../../etc'"),
    ],
)
def test_bad_rows_are_skipped_with_line_number_and_reason(tmp_path, bad_row, images, reason):
    rows = demo_rows(2)
    rows.insert(1, bad_row)
    report = catalog_import(path=make_folder(tmp_path, rows, images), progress=False)
    assert report.created == 2
    assert len(report.skipped) == 1
    line, message = report.skipped[0]
    assert line == 3  # header is line 1
    assert reason in message
    assert not Product.objects.filter(external_id=bad_row["id"]).exists()


def test_a_repeated_id_is_skipped(tmp_path):
    rows = demo_rows(2)
    rows.append(dict(rows[0], productDisplayName="Another name"))
    report = catalog_import(path=make_folder(tmp_path, rows), progress=False)
    assert report.created == 2
    assert report.skipped == [(4, f"id {rows[0]['id']} already appears on line 2")]


def test_running_twice_changes_nothing(tmp_path, media_root):
    folder = make_folder(tmp_path, demo_rows(6))
    catalog_import(path=folder, progress=False)
    snapshot = (
        list(Product.objects.values().order_by("id")),
        list(ProductImage.objects.values().order_by("id")),
    )
    files = sorted(media_root.rglob("*"))
    report = catalog_import(path=folder, progress=False)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 6)
    assert (
        list(Product.objects.values().order_by("id")),
        list(ProductImage.objects.values().order_by("id")),
    ) == snapshot
    assert sorted(media_root.rglob("*")) == files


def test_a_changed_row_updates_the_product(tmp_path):
    rows = [row("9001"), row("9002")]
    folder = make_folder(
        tmp_path, rows, {"9001": image_bytes(), "9002": image_bytes(colour=(1, 2, 3))}
    )
    catalog_import(path=folder, progress=False)
    make_folder(tmp_path, [row("9001", baseColour="Navy Blue"), row("9002")])
    report = catalog_import(path=folder, progress=False)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Product.objects.get(external_id="9001").base_colour == "Navy Blue"
    assert Product.objects.count() == 2


def test_a_changed_photo_becomes_primary_and_the_old_one_is_kept(tmp_path):
    folder = make_folder(tmp_path, [row("9001")], {"9001": image_bytes()})
    catalog_import(path=folder, progress=False)
    make_folder(tmp_path, [row("9001")], {"9001": image_bytes(colour=(0, 0, 90))})
    report = catalog_import(path=folder, progress=False)
    assert report.updated == 1
    product = Product.objects.get(external_id="9001")
    assert product.images.count() == 2
    assert product.images.filter(is_primary=True).count() == 1
    assert product.primary_image.image.read() == image_bytes(colour=(0, 0, 90))


def test_limit_imports_only_the_first_rows(tmp_path):
    report = catalog_import(path=make_folder(tmp_path, demo_rows(5)), limit=3, progress=False)
    assert report.created == 3
    assert Product.objects.count() == 3


def test_an_interrupted_import_leaves_only_whole_products(tmp_path, media_root):
    folder = make_folder(tmp_path, demo_rows(6))
    real_bulk_create = ProductImage.objects.bulk_create
    calls = []

    def interrupted_on_second_batch(images, *args, **kwargs):
        calls.append(len(images))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_bulk_create(images, *args, **kwargs)

    with mock.patch.object(ProductImage.objects, "bulk_create", interrupted_on_second_batch):
        with pytest.raises(KeyboardInterrupt):
            catalog_import(path=folder, batch_size=3, progress=False)
    assert Product.objects.count() == 3
    assert not Product.objects.filter(images__isnull=True).exists()
    assert len([path for path in media_root.rglob("*") if path.is_file()]) == 3

    report = catalog_import(path=folder, batch_size=3, progress=False)
    assert (report.created, report.unchanged) == (3, 3)
    assert ProductImage.objects.count() == 6


def test_a_folder_without_styles_csv_is_refused(tmp_path):
    with pytest.raises(ImportFolderError, match="needs styles.csv and an images/ folder"):
        catalog_import(path=tmp_path, progress=False)


def test_a_csv_without_required_columns_is_refused(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "styles.csv").write_text("id,name\n1,shirt\n")
    with pytest.raises(ImportFolderError, match="lacks the column"):
        catalog_import(path=tmp_path, progress=False)


def test_command_reports_counts_and_skipped_rows(tmp_path, capsys):
    folder = make_folder(tmp_path, [*demo_rows(2), row("9001")])
    call_command("import_catalog", str(folder), "--no-progress")
    out, err = capsys.readouterr()
    assert "2 created, 0 updated, 0 unchanged, 1 skipped." in out
    assert "line 4: image images/9001.jpg is missing" in err


def test_command_fails_when_nothing_can_be_imported(tmp_path):
    folder = make_folder(tmp_path, [row("9001")])
    with pytest.raises(CommandError, match="Nothing could be imported"):
        call_command("import_catalog", str(folder), "--no-progress")


def test_command_fails_for_a_path_that_is_not_a_catalogue(tmp_path):
    with pytest.raises(CommandError, match="is not a catalogue folder"):
        call_command("import_catalog", str(tmp_path / "nowhere"), "--no-progress")


def test_command_imports_the_shipped_demo_catalogue():
    call_command("import_catalog", str(DEMO_CATALOGUE), "--no-progress")
    assert Product.objects.count() == 468
    assert Product.objects.values("master_category").distinct().count() == 4


def test_values_new_to_the_catalogue_are_reported_at_their_first_line(tmp_path, capsys):
    catalog_import(
        path=make_folder(tmp_path / "first", [row("9001")], {"9001": image_bytes()}), progress=False
    )
    typo = [
        row("9002", articleType="Tshirtz"),
        row("9003", articleType="Tshirtz"),
        row("9004", baseColour="Redd"),
        row("9005"),
    ]
    images = {
        external_id: image_bytes(colour=(n * 40, 0, 0))
        for n, external_id in enumerate(["9002", "9003", "9004", "9005"])
    }
    call_command(
        "import_catalog", str(make_folder(tmp_path / "second", typo, images)), "--no-progress"
    )
    err = capsys.readouterr().err
    assert "Values new to the catalogue" in err
    assert "line 2: articleType 'Tshirtz' is new to the catalogue" in err
    assert "line 4: baseColour 'Redd' is new to the catalogue" in err
    assert "line 3:" not in err  # reported once, at its first line


def test_an_import_into_an_empty_catalogue_reports_no_new_value(tmp_path):
    report = catalog_import(
        path=make_folder(tmp_path, [row("9001")], {"9001": image_bytes()}), progress=False
    )
    assert report.new_values == []
