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

import charset_normalizer
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
# The columns whose values are facets of the shop: a value new to the catalogue is reported (a
# typo there would make a new facet value).
FACET_COLUMNS = ["masterCategory", "subCategory", "articleType", "baseColour"]
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
# An integer as spreadsheets and pandas write it back: "2011" or "2011.0".
WHOLE_NUMBER = re.compile(r"(\d+)(?:\.0+)?")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A quoted field may span lines: a record ends at the first line that closes its quotes, or,
# unbalanced, after MAX_RECORD_LINES lines or MAX_RECORD_CHARACTERS characters, when only its
# first line is refused and reading goes on from the next.
MAX_RECORD_LINES = 20
MAX_RECORD_CHARACTERS = 10_000
AUTO = "auto"  # the encoding: UTF-8 (with or without BOM) when it is, else detected
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
    notes: list = field(default_factory=list)  # (CSV line number, what was read another way)
    new_values: list = field(default_factory=list)  # (CSV line number, a facet value new here)

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


def read_catalogue(path, report, limit=None, encoding=AUTO):
    """The good rows of the catalogue folder at `path` (at most `limit` rows read), in file
    order, as Rows; bad rows go to the report with their line and reason, rows read another way
    than written (a name's unquoted commas, a file detected as not UTF-8) to its notes. Raises
    ImportFolderError when the path is not such a folder, styles.csv lacks a column or cannot
    be decoded as `encoding` (a Python codec name, or AUTO). Photos are not read here
    (read_photo)."""
    folder = Path(path)
    csv_path, images_dir = folder / "styles.csv", folder / "images"
    if not csv_path.is_file() or not images_dir.is_dir():
        raise ImportFolderError(
            f"{folder} is not a catalogue folder: it needs styles.csv and an images/ folder."
        )
    records = csv_records(decode_styles(csv_path, encoding, report), report)
    header = [name.strip() for name in next(records, (0, []))[1]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportFolderError(f"{csv_path} lacks the column(s): {', '.join(missing)}.")
    return list(parse_rows(records, header, images_dir, report, limit))


def decode_styles(csv_path, encoding, report):
    """The text of styles.csv: decoded as `encoding`, or with AUTO as UTF-8 (a BOM dropped) and,
    when it is not, as the encoding charset_normalizer detects, Windows-1252 when it is one of
    those it finds plausible (said in the report's notes).
    Raises ImportFolderError naming the line that cannot be decoded."""
    data = csv_path.read_bytes()
    try:
        return data.decode("utf-8-sig" if encoding in (AUTO, "utf-8", "utf8") else encoding)
    except LookupError as error:
        raise ImportFolderError(
            f"--encoding {encoding!r} is not an encoding Python knows."
        ) from error
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        if encoding != AUTO:
            raise ImportFolderError(
                f"{csv_path} line {line} is not {encoding} ({error.reason}): pass the file's "
                "encoding with --encoding."
            ) from error
        matches = charset_normalizer.from_bytes(data)
        # Among the plausible encodings, Windows-1252 (what Excel saves in Western locales) first.
        detected = next((m for m in matches if m.encoding == "cp1252"), matches.best())
        if detected is None:
            raise ImportFolderError(
                f"{csv_path} line {line} is not UTF-8 and its encoding cannot be detected: "
                "pass it with --encoding (e.g. cp1252 for a file saved by Excel)."
            ) from error
        report.notes.append(
            (
                line,
                f"styles.csv is not UTF-8 here; read as {detected.encoding} (detected): "
                "pass --encoding to read it as another",
            )
        )
        return str(detected)


def csv_records(text, report):
    """Yield (line, fields) for each record of a CSV text, line being where it starts. A record
    whose quotes stay open past MAX_RECORD_LINES lines or MAX_RECORD_CHARACTERS characters, or
    that the csv module refuses, goes to the report and reading goes on from its next line."""
    lines = LINE_BREAK.split(text)
    start = 0
    while start < len(lines):
        end, quoted = start + 1, quote_left_open(lines[start])
        while quoted and end < len(lines) and end - start < MAX_RECORD_LINES:
            quoted = quote_left_open(lines[end], quoted)
            end += 1
        record = "\n".join(lines[start:end])
        line = start + 1
        if quoted or len(record) > MAX_RECORD_CHARACTERS:
            report.skipped.append((line, unbalanced_reason(quoted)))
            start += 1
            continue
        start = end
        if record.strip():
            try:
                yield line, next(csv.reader([record]))
            except csv.Error as error:
                report.skipped.append((line, f"not a CSV record: {error}"))


def quote_left_open(line, quoted=False):
    """Whether a quoted field is still open at the end of a CSV line, given whether one was
    open at its start. A quote opens a field only as its first character (elsewhere, as in
    `5" heels`, it is text, as the csv module reads it); "" inside a quoted field is a quote."""
    if '"' not in line:
        return quoted
    at_field_start, position = not quoted, 0
    while position < len(line):
        char = line[position]
        if quoted and char == '"':
            if line[position + 1 : position + 2] == '"':
                position += 1
            else:
                quoted = False
        elif not quoted and char == '"' and at_field_start:
            quoted = True
        at_field_start = not quoted and char == ","
        position += 1
    return quoted


def unbalanced_reason(quoted):
    """Why csv_records refused a record."""
    if quoted:
        return (
            f"a quote opened here is not closed within {MAX_RECORD_LINES} lines "
            f"or {MAX_RECORD_CHARACTERS:,} characters"
        )
    return f"a record longer than {MAX_RECORD_CHARACTERS:,} characters"


def parse_rows(records, header, images_dir, report, limit):
    """Yield a Row for every good record (csv_records after the header); bad rows go to the
    report."""
    seen = {}
    for count, (line, fields) in enumerate(records, start=1):
        if limit is not None and count > limit:
            return
        try:
            row = parse_row(record_of(header, fields, line, report), line, images_dir)
            if row.external_id in seen:
                raise BadRow(
                    f"id {row.external_id} already appears on line {seen[row.external_id]}"
                )
            seen[row.external_id] = line
            yield row
        except BadRow as error:
            report.skipped.append((line, str(error)))


def record_of(header, fields, line, report):
    """{column: value} of a record's fields. Surplus fields are commas in the name when the
    name is the last column (the Kaggle file has such rows): joined back, and noted in the
    report; with any other last column the row is refused (BadRow). Missing trailing fields
    are empty."""
    surplus = len(fields) - len(header)
    if surplus > 0:
        if header[-1] != "productDisplayName":
            raise BadRow(
                f"{len(fields)} fields where the header has {len(header)}: quote a value that "
                "holds a comma"
            )
        fields = [*fields[: len(header) - 1], ",".join(fields[len(header) - 1 :])]
        report.notes.append(
            (line, f"productDisplayName held {surplus} unquoted comma(s): read as {fields[-1]!r}")
        )
    return dict(zip(header, fields))


def parse_row(record, line, images_dir):
    """The Row of a styles.csv record (a dict of its columns) found on `line`; raises BadRow
    saying what is wrong (a required column empty, a bad id, gender, year or price, a text too
    long for its field). The photo is not read here."""

    def value(column):
        return (record.get(column) or "").strip()

    empty = [column for column in REQUIRED_COLUMNS if not value(column)]
    if empty:
        raise BadRow(f"missing {', '.join(empty)}")
    external_id = whole_number(value("id"))
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


def whole_number(text):
    """text, or the integer it writes in a float form ("15970.0" -> "15970")."""
    match = WHOLE_NUMBER.fullmatch(text)
    return match.group(1) if match else text


def parse_year(text):
    """The year of a styles.csv `year` value (None when empty; "2011.0" is 2011); raises BadRow
    unless it is a whole number from 1900 to 2100."""
    if not text:
        return None
    year = whole_number(text)
    if not year.isdigit() or not 1900 <= int(year) <= 2100:
        raise BadRow(f"year {text!r} is not a year between 1900 and 2100")
    return int(year)


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
    except Exception as error:  # a decoder's own failure on a broken file, whatever its kind
        raise BadRow(
            f"image images/{row.image_path.name} cannot be decoded ({type(error).__name__}: "
            f"{error})"
        ) from error
