import io

import pytest
from PIL import Image

from catalog.images import open_photo
from recommender.preprocessing import pad_to_square, square_photo

WHITE, RED, BLUE = (255, 255, 255), (255, 0, 0), (0, 0, 255)
EXIF_ORIENTATION = 0x0112


def encoded(image, image_format="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def close_to(pixel, expected, tolerance=8):
    return all(abs(value - wanted) <= tolerance for value, wanted in zip(pixel, expected))


def red_left_blue_right(size):
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def test_an_exif_rotated_jpeg_comes_out_upright():
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # stored on its side: turn 90 degrees clockwise to show
    photo = open_photo(encoded(red_left_blue_right((40, 20)), "JPEG", exif=exif))
    assert photo.size == (20, 40)
    assert close_to(photo.getpixel((10, 5)), RED)  # the left half is now on top
    assert close_to(photo.getpixel((10, 35)), BLUE)


def half_transparent(mode):
    """A 10x10 image: the left half fully transparent, the right half opaque red (or grey)."""
    if mode == "RGBA":
        image = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
        image.paste((255, 0, 0, 255), (5, 0, 10, 10))
        return image, RED
    if mode == "LA":
        image = Image.new("LA", (10, 10), (0, 0))
        image.paste((80, 255), (5, 0, 10, 10))
        return image, (80, 80, 80)
    image = Image.new("P", (10, 10), 0)  # palette entry 0 is black and marked transparent
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (5, 0, 10, 10))
    return image, RED


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparent_pixels_become_white(mode):
    image, opaque_colour = half_transparent(mode)
    options = {"transparency": 0} if mode == "P" else {}
    photo = open_photo(encoded(image, **options))
    assert photo.mode == "RGB"
    assert photo.getpixel((1, 5)) == WHITE
    assert photo.getpixel((8, 5)) == opaque_colour


def test_a_cmyk_jpeg_becomes_rgb():
    photo = open_photo(encoded(Image.new("CMYK", (8, 8), (0, 255, 255, 0)), "JPEG"))
    assert photo.mode == "RGB"
    assert close_to(photo.getpixel((4, 4)), RED)


@pytest.mark.parametrize("mode, value, grey", [("L", 100, 100), ("I;16", 32768, 128)])
def test_greyscale_and_16_bit_photos_become_rgb(mode, value, grey):
    photo = open_photo(encoded(Image.new(mode, (6, 6), value)))
    assert photo.mode == "RGB"
    assert close_to(photo.getpixel((3, 3)), (grey, grey, grey), tolerance=1)


def test_open_photo_reads_a_path_bytes_and_a_file_object(tmp_path):
    content = encoded(Image.new("RGB", (12, 8), BLUE))
    path = tmp_path / "photo.png"
    path.write_bytes(content)
    for source in (path, content, io.BytesIO(content)):
        assert open_photo(source).getpixel((6, 4)) == BLUE


def test_pad_to_square_keeps_the_whole_image_centred_on_white():
    square = pad_to_square(Image.new("RGB", (40, 20), RED))
    assert square.size == (40, 40)
    assert square.getpixel((20, 9)) == WHITE  # band above
    assert (
        square.getpixel((0, 10)) == square.getpixel((39, 29)) == RED
    )  # every corner of the photo kept
    assert square.getpixel((20, 30)) == WHITE  # band below


def test_pad_to_square_centres_a_tall_image_too():
    square = pad_to_square(Image.new("RGB", (10, 30), RED))
    assert square.size == (30, 30)
    assert square.getpixel((9, 15)) == WHITE
    assert square.getpixel((10, 0)) == square.getpixel((19, 29)) == RED
    assert square.getpixel((20, 15)) == WHITE


def test_a_tiny_photo_becomes_a_full_size_square():
    photo = open_photo(encoded(Image.new("RGB", (3, 5), RED)))
    square = square_photo(photo, 224)
    assert square.size == (224, 224)
    assert close_to(square.getpixel((112, 112)), RED)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_but_never_below_max_side():
    content = encoded(red_left_blue_right((3000, 2000)), "JPEG")
    photo = open_photo(content, max_side=448)
    assert min(photo.size) >= 448
    assert photo.size[0] < 3000
    assert photo.size[0] * 2 == photo.size[1] * 3  # aspect ratio kept
    square = square_photo(photo, 224)
    assert square.size == (224, 224)
    assert close_to(square.getpixel((40, 112)), RED)
    assert close_to(square.getpixel((184, 112)), BLUE)
