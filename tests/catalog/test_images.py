import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from catalog.images import check_image_bytes
from tests.images import image_bytes


def error_code(content, **limits):
    with pytest.raises(ValidationError) as raised:
        check_image_bytes(content, **limits)
    return raised.value.code, " ".join(raised.value.messages)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "GIF"])
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
