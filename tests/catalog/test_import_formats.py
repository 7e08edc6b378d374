"""styles.csv as real tools write it: encodings, line ends, quoted values over lines, unquoted
commas in the name, integers in a float form, and photos whose decoder fails in any way. Each
file is made by the test."""

import struct

import pytest
from django.core.management import CommandError, call_command

from catalog import importer
from catalog.importer import MAX_RECORD_CHARACTERS, MAX_RECORD_LINES, ImportFolderError
from catalog.models import Product
from catalog.services import catalog_import
from tests.catalog.test_import import COLUMNS
from tests.images import image_bytes

pytestmark = pytest.mark.django_db


def line(external_id, name=None, year="2012", extra=()):
    """A styles.csv line (COLUMNS, the name last, unquoted) and any extra fields after it."""
    name = name or f"Made-up Women Red Top {external_id}"
    return ",".join(
        [external_id, "Women", "Apparel", "Topwear", "Tops", "Red", "Summer", year, "Casual", name]
        + list(extra)
    )


def folder_of(tmp_path, lines, ids, encoding="utf-8", newline="\n", header=None, bom=b""):
    """A catalogue folder: styles.csv of the header and lines, encoded as told, and a photo for
    each id."""
    folder = tmp_path / "catalogue"
    (folder / "images").mkdir(parents=True)
    text = newline.join([header or ",".join(COLUMNS), *lines]) + newline
    (folder / "styles.csv").write_bytes(bom + text.encode(encoding))
    for external_id in ids:
        (folder / "images" / f"{external_id}.jpg").write_bytes(image_bytes())
    return folder


def names():
    return dict(Product.objects.values_list("external_id", "name"))


def test_utf8_with_a_bom_and_crlf_line_ends_is_read(tmp_path):
    lines = [line("1", "Café Top"), line("2"), line("3")]
    folder = folder_of(tmp_path, lines, "123", newline="\r\n", bom=b"\xef\xbb\xbf")
    report = catalog_import(path=folder, progress=False)
    assert (report.created, report.skipped, report.notes) == (3, [], [])
    assert names()["1"] == "Café Top"


def test_a_latin1_file_is_detected_and_said(tmp_path):
    lines = [line("1"), line("2", "Café Crème Top élégant"), line("3")]
    report = catalog_import(path=folder_of(tmp_path, lines, "123", "latin-1"), progress=False)
    assert report.created == 3
    assert names()["2"] == "Café Crème Top élégant"
    assert [line for line, _ in report.notes] == [3]
    assert "not UTF-8" in report.notes[0][1] and "--encoding" in report.notes[0][1]


def test_a_central_european_file_is_detected_as_such(tmp_path):
    lines = [line("1", "Zażółć gęślą jaźń sukienka czerwona"), line("2")]
    report = catalog_import(path=folder_of(tmp_path, lines, "12", "cp1250"), progress=False)
    assert names()["1"] == "Zażółć gęślą jaźń sukienka czerwona"
    assert "cp1250" in report.notes[0][1]


def test_an_encoding_given_is_used_and_a_wrong_one_names_the_line(tmp_path):
    lines = [line("1"), line("2", "Café Top")]
    folder = folder_of(tmp_path, lines, "12", "cp1252")
    with pytest.raises(ImportFolderError, match="line 3 is not utf-8"):
        catalog_import(path=folder, progress=False, encoding="utf-8")
    with pytest.raises(ImportFolderError, match="not an encoding"):
        catalog_import(path=folder, progress=False, encoding="klingon")
    report = catalog_import(path=folder, progress=False, encoding="cp1252")
    assert (report.created, report.notes) == (2, [])
    assert names()["2"] == "Café Top"


def test_a_quoted_value_may_span_lines(tmp_path):
    lines = [line("1", '"Red Top,\nwith a ""bow"""'), line("2")]
    report = catalog_import(path=folder_of(tmp_path, lines, "12"), progress=False)
    assert (report.created, report.skipped) == (2, [])
    assert names()["1"] == 'Red Top,\nwith a "bow"'
    assert Product.objects.get(external_id="2").year == 2012


def test_an_unclosed_quote_loses_its_line_only(tmp_path):
    lines = [line("1"), line("2", '"Broken Top'), *(line(str(n)) for n in range(3, 30))]
    report = catalog_import(path=folder_of(tmp_path, lines, map(str, range(1, 30))), progress=False)
    assert report.created == 28
    assert [line for line, _ in report.skipped] == [3]
    assert f"not closed within {MAX_RECORD_LINES} lines" in report.skipped[0][1]


def test_an_overlong_record_loses_its_line_only(tmp_path):
    lines = [line("1", "x" * MAX_RECORD_CHARACTERS), line("2"), line("3", '"' + "y" * 20000)]
    lines.append(line("4"))
    report = catalog_import(path=folder_of(tmp_path, lines, "1234"), progress=False)
    assert sorted(names()) == ["2", "4"]
    assert [line for line, _ in report.skipped] == [2, 4]
    assert "longer than 10,000 characters" in report.skipped[0][1]


def test_a_quote_inside_an_unquoted_value_is_text(tmp_path):
    lines = [line("1", 'Men 5" Shorts'), line("2")]
    report = catalog_import(path=folder_of(tmp_path, lines, "12"), progress=False)
    assert report.created == 2
    assert names()["1"] == 'Men 5" Shorts'


def test_unquoted_commas_in_a_last_name_column_are_joined_back_and_noted(tmp_path):
    lines = [line("1", "Palm Tree Girls Blue Skirt, Pack of 2"), line("2", "A, B, C")]
    report = catalog_import(path=folder_of(tmp_path, lines, "12"), progress=False)
    assert report.created == 2
    assert names() == {"1": "Palm Tree Girls Blue Skirt, Pack of 2", "2": "A, B, C"}
    assert [(line, "2 unquoted comma(s)" in note) for line, note in report.notes] == [
        (2, False),
        (3, True),
    ]


def test_surplus_fields_before_another_last_column_refuse_the_row(tmp_path):
    header = ",".join([*COLUMNS, "price"])
    lines = [line("1", "Skirt, Pack of 2", extra=["9.99"]), line("2", extra=["5"])]
    report = catalog_import(path=folder_of(tmp_path, lines, "12", header=header), progress=False)
    assert sorted(names()) == ["2"]
    assert report.skipped == [
        (2, "12 fields where the header has 11: quote a value that holds a comma")
    ]


def test_integers_in_a_float_form_are_integers(tmp_path):
    lines = [line("15970.0", year="2011.0"), line("2", year="2012.5")]
    report = catalog_import(path=folder_of(tmp_path, lines, ["15970", "2"]), progress=False)
    assert Product.objects.get(external_id="15970").year == 2011
    assert [line for line, _ in report.skipped] == [3]  # 2012.5 is no year


@pytest.mark.parametrize("failure", [struct.error("unpack"), RecursionError(), MemoryError()])
def test_a_photo_whose_decoder_fails_in_any_way_loses_its_row_only(tmp_path, monkeypatch, failure):
    check = importer.check_image_bytes
    broken = image_bytes(colour=(1, 2, 3))

    def failing_check(content):
        if content == broken:
            raise failure
        return check(content)

    monkeypatch.setattr(importer, "check_image_bytes", failing_check)
    folder = folder_of(tmp_path, [line("1"), line("2"), line("3")], "13")
    (folder / "images" / "2.jpg").write_bytes(broken)
    report = catalog_import(path=folder, progress=False)
    assert sorted(names()) == ["1", "3"]
    assert report.skipped[0][0] == 3
    assert type(failure).__name__ in report.skipped[0][1]


def test_the_command_takes_an_encoding_and_lists_what_it_read_another_way(tmp_path, capsys):
    lines = [line("1", "Skirt, Pack of 2"), line("2", "Café Top")]
    folder = folder_of(tmp_path, lines, "12", "cp1252")
    call_command("import_catalog", str(folder), "--encoding", "cp1252", "--no-progress")
    err = capsys.readouterr().err
    assert "line 2: productDisplayName held 1 unquoted comma(s)" in err
    with pytest.raises(CommandError, match="line 3 is not ascii"):
        call_command("import_catalog", str(folder), "--encoding", "ascii", "--no-progress")
