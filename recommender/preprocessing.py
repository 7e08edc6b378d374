"""Turning a real photo (any mode, size, orientation) into the square RGB picture a backbone reads."""
import io

from PIL import Image, ImageOps

# Bump when anything here changes the pixels a backbone sees: stored vectors made with
# another version are then recomputed (the version is part of the model fingerprint).
PREPROCESSING_VERSION = 2
WHITE = (255, 255, 255)


def open_photo(source, *, max_side=None):
    """An upright RGB image from a path, bytes or file object.

    Applies the EXIF orientation, flattens transparency on white and converts palette,
    greyscale, CMYK and 16-bit modes to RGB. With max_side, JPEGs are decoded at a
    reduced scale (much faster for phone photos), never smaller than max_side.
    """
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    with Image.open(source) as image:
        if max_side:
            image.draft("RGB", (max_side, max_side))
        image = ImageOps.exif_transpose(image)
        return to_rgb(image)


def to_rgb(image):
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        image = image.convert("F").point(lambda value: value / 256).convert("L")
    return image.convert("RGB")


def pad_to_square(image, fill=WHITE):
    """Centre the image on a white square, so no part of the garment is cropped."""
    width, height = image.size
    side = max(width, height)
    if width == height:
        return image
    square = Image.new("RGB", (side, side), fill)
    square.paste(image, ((side - width) // 2, (side - height) // 2))
    return square


def square_photo(image, size):
    """Pad to a square on white, then resize to size x size."""
    return pad_to_square(image).resize((size, size), Image.Resampling.BICUBIC, reducing_gap=3.0)
