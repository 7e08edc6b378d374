"""Reading a catalogue folder in the Kaggle "Fashion Product Images" layout.

The folder holds `styles.csv` (id, gender, masterCategory, subCategory, articleType,
baseColour, season, year, usage, productDisplayName, and optionally price) and
`images/<id>.jpg`. Rows and photos are read and checked here; catalog.services.catalog_import
writes them, in batches.
"""

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError

from .images import check_image_bytes
from .models import EXTERNAL_ID_PATTERN, Gender, Product

REQUIRED_COLUMNS = [
    "id",
    "gender",
    "masterCategory",
    "subCategory",
    "articleType",
    "productDisplayName",
]
# CSV column -> Product field, for the columns that are copied as text.
TEXT_COLUMNS = {
    "productDisplayName": "name",
    "masterCategory": "master_category",
    "subCategory": "sub_category",
    "articleType": "article_type",
    "baseColour": "base_colour",
    "season": "season",
    "usage": "usage",
}
PRODUCT_FIELDS = [
    "name",
    "gender",
    "master_category",
    "sub_category",
    "article_type",
    "base_colour",
    "season",
    "year",
    "usage",
    "price",
]
EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)
GENDERS = {choice.value.lower(): choice.value for choice in Gender}


class ImportFolderError(Exception):
    """The path is not a catalogue folder in the Kaggle layout."""


class BadRow(Exception):
    """A row that cannot be imported; the message says why."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list = field(default_factory=list)  # (CSV line number, reason)

    @property
    def imported(self):
        """Rows imported or already up to date: every row not skipped."""
        return self.created + self.updated + self.unchanged


@dataclass
class Row:
    line: int
    external_id: str
    fields: dict
    image_path: Path


def read_catalogue(path, report, limit=None):
    """The good rows of the catalogue folder at `path` (at most `limit` rows read), in file
    order, as Rows; bad rows go to the report with their line and reason. Raises
    ImportFolderError when the path is not such a folder or styles.csv lacks a column. Photos
    are not read here (read_photo)."""
    folder = Path(path)
    csv_path, images_dir = folder / "styles.csv", folder / "images"
    if not csv_path.is_file() or not images_dir.is_dir():
        raise ImportFolderError(
            f"{folder} is not a catalogue folder: it needs styles.csv and an images/ folder."
        )
    with open(csv_path, newline="", encoding="utf-8-sig") as csv_file:
        reader = csv.DictReader(csv_file)
        missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise ImportFolderError(f"{csv_path} lacks the column(s): {', '.join(missing)}.")
        return list(parse_rows(reader, images_dir, report, limit))


def parse_rows(reader, images_dir, report, limit):
    """Yield a Row for every good CSV row; bad rows go to the report."""
    seen = {}
    for count, record in enumerate(reader, start=1):
        if limit is not None and count > limit:
            return
        line = reader.line_num
        try:
            row = parse_row(record, line, images_dir)
            if row.external_id in seen:
                raise BadRow(
                    f"id {row.external_id} already appears on line {seen[row.external_id]}"
                )
            seen[row.external_id] = line
            yield row
        except BadRow as error:
            report.skipped.append((line, str(error)))


def parse_row(record, line, images_dir):
    """The Row of a styles.csv record (a dict of its columns) found on `line`; raises BadRow
    saying what is wrong (a required column empty, a bad id, gender, year or price, a text too
    long for its field). The photo is not read here."""

    def value(column):
        return (record.get(column) or "").strip()

    empty = [column for column in REQUIRED_COLUMNS if not value(column)]
    if empty:
        raise BadRow(f"missing {', '.join(empty)}")
    external_id = value("id")
    if not EXTERNAL_ID.match(external_id):
        raise BadRow(f"id {external_id!r} must be letters, digits, '-' or '_' (at most 64)")
    gender = GENDERS.get(value("gender").lower())
    if gender is None:
        raise BadRow(f"gender {value('gender')!r} is not one of {', '.join(GENDERS.values())}")
    fields = {name: value(column) for column, name in TEXT_COLUMNS.items()}
    too_long = [
        name
        for name, text in fields.items()
        if len(text) > Product._meta.get_field(name).max_length
    ]
    if too_long:
        raise BadRow(f"{', '.join(too_long)} too long")
    fields["gender"] = gender
    fields["year"] = parse_year(value("year"))
    fields["price"] = parse_price(value("price"))
    return Row(
        line=line,
        external_id=external_id,
        fields=fields,
        image_path=images_dir / f"{external_id}.jpg",
    )


def parse_year(text):
    """The year of a styles.csv `year` value (None when empty); raises BadRow unless it is a
    whole number from 1900 to 2100."""
    if not text:
        return None
    if not text.isdigit() or not 1900 <= int(text) <= 2100:
        raise BadRow(f"year {text!r} is not a year between 1900 and 2100")
    return int(text)


def parse_price(text):
    """The price of a styles.csv `price` value as a Decimal with 2 places (None when empty);
    raises BadRow unless it is a number from 0 to 99,999,999.99."""
    if not text:
        return None
    try:
        price = Decimal(text)
    except InvalidOperation as error:
        raise BadRow(f"price {text!r} is not a number") from error
    if not price.is_finite() or price < 0 or price >= Decimal("1e8"):
        raise BadRow(f"price {text!r} must be between 0 and 99,999,999.99")
    return price.quantize(Decimal("0.01"))


def read_photo(row):
    """The checked photo of a row; raises BadRow when it is missing or unusable."""
    try:
        content = row.image_path.read_bytes()
    except FileNotFoundError as error:
        raise BadRow(f"image images/{row.image_path.name} is missing") from error
    except OSError as error:
        raise BadRow(f"image images/{row.image_path.name} cannot be read: {error}") from error
    try:
        return check_image_bytes(content)
    except ValidationError as error:
        raise BadRow(f"image images/{row.image_path.name}: {' '.join(error.messages)}") from error
