"""Turning an upright RGB photo (catalog.images.open_photo) into the square picture a backbone reads."""
from PIL import Image

from catalog.images import WHITE

# Bump when anything here changes the pixels a backbone sees: stored vectors made with
# another version are then recomputed (the version is part of the model fingerprint).
PREPROCESSING_VERSION = 2


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
