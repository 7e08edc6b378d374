import numpy as np
import pytest
from PIL import Image

from recommender.background import catalogue_style, has_white_border

WIDTH, HEIGHT = 300, 400
GARMENT = (180, 30, 40)  # a red garment
BOX = (90, 110, 210, 290)  # its rectangle: left, top, right, bottom


def garment_on(background):
    """(H, W, 3) uint8: a red garment (a rectangle with a rounded collar cut) on the background."""
    pixels = np.array(background, np.uint8, copy=True)
    left, top, right, bottom = BOX
    pixels[top:bottom, left:right] = GARMENT
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    collar = (x - (left + right) / 2) ** 2 + (y - top) ** 2 < 20**2
    pixels[collar] = np.asarray(background)[collar]
    return pixels


def uniform(colour):
    return np.broadcast_to(np.array(colour, np.uint8), (HEIGHT, WIDTH, 3))


def textured(colour, seed=0):
    """A cloth-like texture: the colour with fine noise and a weave pattern."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    shading = 0.05 * np.sin(x * 1.5) * np.sin(y * 1.5) + 0.05 * rng.standard_normal((HEIGHT, WIDTH))
    return np.clip(np.array(colour) * (1 + shading[:, :, None]), 0, 255).astype(np.uint8)


def phone_light(pixels, seed=0):
    """Dimmer, warm-tinted, with sensor noise."""
    rng = np.random.default_rng(seed)
    lit = pixels * np.array([1.1, 1.0, 0.9]) * 0.75 + rng.normal(0, 5, pixels.shape)
    return np.clip(lit, 0, 255).astype(np.uint8)


def assert_catalogue_style(result, garment_colour=GARMENT):
    """White corners, cropped close around the garment, whose centre keeps its colour."""
    pixels = np.asarray(result).astype(int)
    assert result.mode == "RGB"
    left, top, right, bottom = BOX
    assert (right - left) <= result.width < 1.3 * (right - left)
    assert (bottom - top) <= result.height < 1.3 * (bottom - top)
    for corner in (pixels[0, 0], pixels[0, -1], pixels[-1, 0], pixels[-1, -1]):
        assert (corner >= 250).all()
    centre = pixels[result.height // 2, result.width // 2]
    assert np.abs(centre - np.array(garment_colour)).max() <= 20


def test_catalogue_photo_comes_back_unchanged():
    photo = Image.fromarray(garment_on(uniform((255, 255, 255))))
    assert catalogue_style(photo).tobytes() == photo.tobytes()


def test_near_white_background_comes_back_unchanged():
    photo = Image.fromarray(garment_on(uniform((242, 244, 240))))
    assert catalogue_style(photo).tobytes() == photo.tobytes()


@pytest.mark.parametrize(
    "background",
    [uniform((120, 140, 170)), textured((170, 150, 120)), textured((90, 110, 80), seed=1)],
    ids=["uniform", "cloth", "dark"],
)
def test_coloured_background_is_painted_white_and_cropped(background):
    assert_catalogue_style(catalogue_style(Image.fromarray(garment_on(background))))


def test_garment_colour_inside_background_colour_stays():
    """A patch of the background's colour inside the garment is product, not background."""
    pixels = garment_on(uniform((120, 140, 170)))
    pixels[180:220, 130:170] = (120, 140, 170)
    result = np.asarray(catalogue_style(Image.fromarray(pixels))).astype(int)
    patch = result[result.shape[0] // 2, result.shape[1] // 2]
    assert np.abs(patch - (120, 140, 170)).max() <= 10


def test_phone_light_background_is_whitened():
    photo = Image.fromarray(phone_light(garment_on(uniform((255, 255, 255)))))
    lit_garment = np.array(GARMENT) * np.array([1.1, 1.0, 0.9]) * 0.75
    assert_catalogue_style(catalogue_style(photo), lit_garment)


def test_all_texture_comes_back_unchanged():
    photo = Image.fromarray(textured((150, 120, 100)))
    assert catalogue_style(photo).tobytes() == photo.tobytes()


def test_a_garment_filling_the_photo_comes_back_unchanged():
    photo = Image.fromarray(uniform(GARMENT))
    assert catalogue_style(photo).tobytes() == photo.tobytes()


@pytest.mark.parametrize("size", [(1, 1), (5, 5), (5, 2), (200, 3)])
def test_tiny_and_thin_images(size):
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    result = catalogue_style(photo)
    assert result.mode == "RGB" and result.width >= 1 and result.height >= 1


def test_greyscale_photo_converted_to_rgb():
    grey = Image.fromarray(garment_on(uniform((120, 120, 120)))).convert("L").convert("RGB")
    result = catalogue_style(grey)
    pixels = np.asarray(result)
    assert result.width < grey.width and result.height < grey.height
    assert (pixels[0, 0] >= 250).all() and (pixels[:, :, 0] == pixels[:, :, 1]).all()


def test_deterministic():
    photo = Image.fromarray(garment_on(textured((170, 150, 120))))
    assert catalogue_style(photo).tobytes() == catalogue_style(photo).tobytes()


def test_close_crop_of_a_catalogue_photo_comes_back_unchanged():
    """A crop the garment nearly fills: the border is mostly garment, with some white."""
    pixels = garment_on(uniform((255, 255, 255)))[100:260, 80:230]
    photo = Image.fromarray(np.ascontiguousarray(pixels))
    assert catalogue_style(photo).tobytes() == photo.tobytes()


def test_a_painted_photo_has_a_white_border_and_is_left_as_it_is_the_second_time():
    photo = Image.fromarray(garment_on(textured((170, 150, 120))))
    assert not has_white_border(photo)
    painted = catalogue_style(photo)
    assert has_white_border(painted)
    assert catalogue_style(painted) is painted
