"""Photo files -> the squares a backbone reads -> the backbone's normalised input.

open_photo (catalog.images) gives an upright RGB photo; it is made catalogue-style
(recommender.background), padded square on white and resized to INPUT_SIZE.
"""

import functools

import numpy as np
from PIL import Image

from catalog.images import WHITE, open_photo

from .background import catalogue_style

INPUT_SIZE = 224  # pixels a side of the square a backbone reads
# Bump when anything here changes the pixels a backbone sees: stored vectors made with
# another version are then recomputed (the version is part of the model fingerprint).
PREPROCESSING_VERSION = 2


def read_photos(files):
    """Upright RGB PIL images of photo files (paths, bytes or file objects), decoded at no
    less than twice INPUT_SIZE (JPEGs at a reduced scale: faster)."""
    return [open_photo(file, max_side=2 * INPUT_SIZE) for file in files]


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


def squares(photos, styled=False):
    """(N, INPUT_SIZE, INPUT_SIZE, 3) uint8 squares of a list of RGB PIL images, made
    catalogue-style first unless they are `styled` already."""
    if not styled:
        photos = [catalogue_style(photo) for photo in photos]
    return np.stack([np.asarray(square_photo(photo, INPUT_SIZE)) for photo in photos])


def network_input(pixels, mean, std):
    """(N, H, W, 3) uint8 squares -> a backbone's (N, 3, H, W) float32 torch input,
    (value / 255 - mean) / std per channel, contiguous. Looked up in a table of the 256
    values of each channel: one pass, twice as fast as computing them, the same values."""
    import torch

    table = input_table(tuple(mean), tuple(std))
    batch = np.empty((len(pixels), 3, *pixels.shape[1:3]), np.float32)
    for channel in range(3):
        np.take(table[channel], pixels[..., channel], out=batch[:, channel], mode="clip")
    return torch.from_numpy(batch)


@functools.cache
def input_table(mean, std):
    """(3, 256) float32: (value / 255 - mean) / std of each channel, computed in float32."""
    values = np.arange(256, dtype=np.float32)[None, :] / np.float32(255.0)
    return (values - np.array(mean, np.float32)[:, None]) / np.array(std, np.float32)[:, None]
