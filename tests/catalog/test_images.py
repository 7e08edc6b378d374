import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from catalog.images import check_image_bytes, open_photo
from tests.images import (
    animated,
    image_bytes,
    jpeg_with_comments,
    other_format_bytes,
    png_with_chunks,
    progressive_jpeg_with_scans,
)


def error_code(content, **limits):
    with pytest.raises(ValidationError) as raised:
        check_image_bytes(content, **limits)
    return raised.value.code, " ".join(raised.value.messages)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_common_formats_are_accepted(image_format):
    checked = check_image_bytes(image_bytes(size=(30, 20), image_format=image_format))
    assert (checked.width, checked.height, checked.format) == (30, 20, image_format)


def test_empty_file_is_refused():
    assert error_code(b"")[0] == "empty"


def test_file_over_the_size_limit_is_refused_with_both_sizes():
    code, message = error_code(image_bytes(), max_bytes=100)
    assert code == "file_too_large"
    assert "100 bytes" in message


def test_text_file_is_not_an_image():
    code, message = error_code(b"name,price\nshirt,10\n")
    assert code == "not_an_image"
    assert "not an image" in message


def test_truncated_jpeg_is_damaged():
    content = image_bytes(size=(400, 300))
    code, _ = error_code(content[: len(content) // 2])
    assert code == "corrupt_image"


def test_too_many_pixels_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (6000, 6000)).save(buffer, format="PNG")  # a few kB, 36 megapixels
    code, message = error_code(buffer.getvalue(), max_pixels=10_000_000)
    assert code == "too_many_pixels"
    assert "6000x6000" in message


def test_hash_is_of_the_file_content():
    assert check_image_bytes(image_bytes()).sha256 == check_image_bytes(image_bytes()).sha256
    assert (
        check_image_bytes(image_bytes()).sha256
        != check_image_bytes(image_bytes(colour=(0, 0, 0))).sha256
    )


@pytest.mark.parametrize("name", sorted(other_format_bytes()))
def test_other_formats_are_refused_from_their_bytes_without_any_program(name, monkeypatch):
    import subprocess

    def no_program(*args, **kwargs):
        raise AssertionError(f"an external program was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", no_program)
    content = other_format_bytes()[name]
    assert error_code(content)[0] == "not_an_image"
    with pytest.raises(Exception) as raised:  # nor does opening a stored file of the kind
        open_photo(content)
    assert "cannot identify image file" in str(raised.value)


def test_the_format_is_the_bytes_not_the_name():
    assert check_image_bytes(image_bytes(image_format="PNG")).extension == "png"
    assert check_image_bytes(image_bytes(image_format="JPEG")).extension == "jpg"


@pytest.mark.parametrize(
    "size, code",
    [
        ((10_001, 1000), "side_too_long"),
        ((1000, 10_001), "side_too_long"),
        ((4001, 1000), "aspect_ratio_too_large"),
        ((1, 40_000), "side_too_long"),
        ((40, 1), "aspect_ratio_too_large"),
    ],
)
def test_long_or_narrow_images_are_refused_before_decoding(size, code):
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, format="PNG")
    found, message = error_code(buffer.getvalue())
    assert found == code
    assert f"{size[0]}x{size[1]}" in message


@pytest.mark.parametrize(
    "image_format, size", [("JPEG", (10_000, 2500)), ("PNG", (6928, 1732)), ("WEBP", (3464, 3464))]
)
def test_the_limits_themselves_are_accepted(image_format, size):
    checked = check_image_bytes(image_bytes(200, size, image_format, mode="L"))
    assert (checked.width, checked.height) == size


def test_png_and_webp_decoded_at_full_size_have_a_lower_pixel_limit():
    for image_format in ("PNG", "WEBP"):
        content = image_bytes(200, (4000, 3001), image_format, mode="L")
        assert error_code(content)[0] == "too_many_pixels"
    assert check_image_bytes(image_bytes(200, (4000, 3001), mode="L")).format == "JPEG"


@pytest.mark.parametrize(
    "content",
    [
        progressive_jpeg_with_scans(100),
        jpeg_with_comments(400),
        png_with_chunks(400),
        animated("PNG"),
        animated("WEBP"),
    ],
    ids=["jpeg scans", "jpeg segments", "png chunks", "animated png", "animated webp"],
)
def test_files_built_to_be_slow_to_read_are_refused_from_their_structure(content):
    assert error_code(content)[0] == "too_complex"


def test_plain_photos_with_a_few_scans_segments_or_chunks_are_taken():
    for content in (
        progressive_jpeg_with_scans(10),
        jpeg_with_comments(20),
        png_with_chunks(20),
    ):
        check_image_bytes(content)
