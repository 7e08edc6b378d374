"""Real catalogue photos and small made-up data for the recommender tests."""

import csv
import io

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageOps

from catalog.models import Product
from catalog.services import catalog_import, product_image_add
from tests.catalog.test_import import make_folder
from tests.conftest import DEMO_CATALOGUE

# Three articleTypes that look different, 12 demo products each (in styles.csv order).
ARTICLE_TYPES = ("Casual Shoes", "Tshirts", "Watches")


def demo_rows():
    """The styles.csv rows of ARTICLE_TYPES, each with a distinct price (10, 20, ... 360)."""
    with open(DEMO_CATALOGUE / "styles.csv", newline="", encoding="utf-8") as file:
        rows = [row for row in csv.DictReader(file) if row["articleType"] in ARTICLE_TYPES]
    return [dict(row, price=str(10 * (number + 1))) for number, row in enumerate(rows)]


def import_products(folder, rows, batch_size=500):
    """Import `rows` (with their demo photos) through the catalogue importer, `batch_size` rows a
    transaction; the products, in row order."""
    report = catalog_import(path=make_folder(folder, rows), progress=False, batch_size=batch_size)
    assert report.skipped == []
    by_id = Product.objects.in_bulk([row["id"] for row in rows], field_name="external_id")
    return [by_id[row["id"]] for row in rows]


def demo_photo(product):
    return DEMO_CATALOGUE / "images" / f"{product.external_id}.jpg"


def jpeg_bytes(image):
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def flipped_photo(product):
    """The product's demo photo, mirrored left to right, as JPEG bytes."""
    with Image.open(demo_photo(product)) as image:
        return jpeg_bytes(ImageOps.mirror(image.convert("RGB")))


def resized_photo(product, side):
    """The product's demo photo resized to side x side, as JPEG bytes."""
    with Image.open(demo_photo(product)) as image:
        return jpeg_bytes(image.convert("RGB").resize((side, side), Image.Resampling.BICUBIC))


def add_photo(product, content):
    """Add a photo (JPEG bytes) to a product, as an admin upload does."""
    return product_image_add(product=product, file=SimpleUploadedFile("extra.jpg", content))


def random_unit_vectors(count, dimension, seed=0):
    vectors = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
