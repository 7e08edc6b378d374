"""Make a shopper's photo look like a catalogue shot: background white, cropped to the product.

Why: the embedding (recommender.embedding) was made for catalogue photos, products on
white. Its colour histogram and its foreground-weighted pooling count every pixel that
is not near-white (recommender.colour.foreground_mask) as product, so a bed, a table or
a dim, tinted wall behind the garment is read as part of it, and search by photo fails.

How, on a copy about ANALYSIS_SIDE pixels long (fast, and fine detail does not matter):

1. Blur it, so that fabric and wood textures become nearly uniform, and go to CIELAB.
2. The background's colours are the dominant colours of the border ring (the outer
   BORDER_SHARE of each side): coarse Lab bins holding >= MIN_COLOUR_SHARE of the ring.
3. A pixel is a background candidate when it is within a Delta E of one of them (the
   tolerance follows the spread of the ring's background pixels, MIN_DELTA_E to
   MAX_DELTA_E); only candidates connected to the border are background, so a product
   region of a similar colour inside the garment stays.
4. The mask is cleaned (a small opening and closing, then a one-pixel erosion against the
   blurred edge); the product is the largest foreground component and any other of at
   least KEEP_SHARE of its size (a pair of shoes).
5. Back at full size: everything else is painted white and the photo is cropped to the
   product with a small margin.

Catalogue photos are left alone, so that their stored vectors stay comparable: a photo
with near-white (by the shop's own rule) in at least WHITE_BORDER_SHARE of its border
comes back unchanged (a catalogue shot, or a close crop of one: there the border's
dominant colours are the product's own). So does one where the estimate is implausible:
the product under MIN_PRODUCT or over MAX_PRODUCT of the picture (a close-up of a fabric).
"""

import numpy as np
from PIL import Image, ImageFilter

from catalog.images import WHITE

from .colour import foreground_mask, rgb_to_lab

ANALYSIS_SIDE = 128
BLUR_RADIUS = 2.0  # at ANALYSIS_SIDE
BORDER_SHARE = 0.05
WHITE_BORDER_SHARE = 0.1  # a border with this much white is a catalogue background
LAB_BIN = np.array([12.0, 10.0, 10.0])  # L, a, b widths of the bins for dominant colours
MIN_COLOUR_SHARE = 0.10
MAX_COLOURS = 3
MIN_DELTA_E, MAX_DELTA_E = 6.0, 14.0
SPREAD_FACTOR = 2.0
KEEP_SHARE = 0.4
MIN_PRODUCT, MAX_PRODUCT = 0.03, 0.95
MARGIN = 0.04  # of the product box's longer side, each way


def catalogue_style(image):
    """The RGB PIL image with its background painted white and cropped to the product;
    the image itself when it already has a white background or no clear product."""
    image = image if image.mode == "RGB" else image.convert("RGB")
    small = analysis_copy(image)
    if white_bordered(small):
        return image
    ring = border_ring(small.size)
    lab = rgb_to_lab(np.asarray(small.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))).reshape(-1, 3))
    lab = lab.reshape(small.height, small.width, 3)
    product = product_mask(lab, ring)
    if not MIN_PRODUCT <= product.mean() <= MAX_PRODUCT:
        return image
    return paint_and_crop(image, product)


def has_white_border(image):
    """Whether the RGB image's border is a catalogue background (white_bordered); so is the
    border of a photo catalogue_style painted."""
    return white_bordered(analysis_copy(image))


def analysis_copy(image):
    """A copy of the image about ANALYSIS_SIDE pixels on its longer side (never enlarged)."""
    return image.resize(analysis_size(image.size), Image.Resampling.BILINEAR, reducing_gap=2.0)


def white_bordered(small):
    """Whether near-white (by the shop's rule) covers at least WHITE_BORDER_SHARE of the
    border ring of an analysis copy."""
    return white_share(np.asarray(small)[border_ring(small.size)]) >= WHITE_BORDER_SHARE


def analysis_size(size):
    """(width, height) of an analysis copy of an image of `size` pixels, each at least 1."""
    scale = min(1.0, ANALYSIS_SIDE / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def border_ring(size):
    """(H, W) bool: the outer BORDER_SHARE of each side (at least one pixel)."""
    width, height = size
    ring = np.ones((height, width), bool)
    across, down = max(1, round(BORDER_SHARE * width)), max(1, round(BORDER_SHARE * height))
    ring[down : height - down, across : width - across] = False
    return ring


def white_share(pixels):
    """Share of the (N, 3) pixels that the shop's rule counts as white background."""
    return 1.0 - foreground_mask(pixels).mean()


def dominant_colours(lab):
    """(n, 3) mean Lab colours of the coarse bins holding >=
    MIN_COLOUR_SHARE of the (N, 3) pixels."""
    bins = np.floor(lab / LAB_BIN).astype(np.int64) + 64  # each in 0..127 for Lab colours
    _, inverse, counts = np.unique(
        (bins[:, 0] * 128 + bins[:, 1]) * 128 + bins[:, 2], return_inverse=True, return_counts=True
    )
    ranked = np.argsort(-counts, kind="stable")[:MAX_COLOURS]
    chosen = [key for key in ranked if counts[key] >= MIN_COLOUR_SHARE * len(lab)]
    return np.array([lab[inverse == key].mean(axis=0) for key in chosen]).reshape(-1, 3)


def product_mask(lab, ring):
    """(H, W) bool: the product in the (H, W, 3) Lab picture whose border is `ring`."""
    colours = dominant_colours(lab[ring])
    distance = np.linalg.norm(lab[:, :, None, :] - colours[None, None], axis=3).min(
        axis=2, initial=np.inf
    )
    labels = component_labels(distance <= colour_tolerance(distance[ring]))
    on_border = np.unique(labels[ring])
    background = np.isin(labels, on_border[on_border > 0])
    foreground = clean(~background)
    return main_components(foreground)


def colour_tolerance(border_distance):
    """The Delta E within which a pixel matches a background colour: wide enough for the
    spread of the border's background pixels (their distances to those colours), between
    MIN_DELTA_E and MAX_DELTA_E."""
    near = border_distance[border_distance <= MAX_DELTA_E]
    spread = np.percentile(near, 90) if near.size else 0.0
    return float(np.clip(SPREAD_FACTOR * spread, MIN_DELTA_E, MAX_DELTA_E))


def clean(mask):
    """A 3x3 opening then closing of the bool mask (drops specks, fills pinholes), then a
    3x3 erosion: the blur mixes the background into the product's outer pixel."""
    image = Image.fromarray(mask.astype(np.uint8) * 255)
    for size_filter in (
        ImageFilter.MinFilter,
        ImageFilter.MaxFilter,
        ImageFilter.MaxFilter,
        ImageFilter.MinFilter,
        ImageFilter.MinFilter,
    ):
        image = image.filter(size_filter(3))
    return np.asarray(image) > 127


def main_components(mask):
    """The largest 4-connected component of the bool mask and those of >= KEEP_SHARE its size."""
    labels = component_labels(mask)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    if sizes.max(initial=0) == 0:
        return mask
    return (sizes >= KEEP_SHARE * sizes.max())[labels] & mask


def component_labels(mask):
    """(H, W) int labels of the 4-connected components of the bool mask, 0 outside it.

    Each pixel starts with its own label; the smallest label is spread along every row
    run and column run of the mask, in turns, until nothing changes (a few rounds: one
    per bend of the longest path). Labels are not consecutive.
    """
    labels = np.where(mask, np.arange(1, mask.size + 1).reshape(mask.shape), 0)
    while True:
        spread = spread_along_rows(spread_along_rows(labels, mask).T, mask.T).T
        if np.array_equal(spread, labels):
            return labels
        labels = spread


def spread_along_rows(labels, mask):
    """The labels with each row run of the mask given its smallest label."""
    height, width = mask.shape
    padded = np.zeros((height, width + 1), bool)  # a gap at each row's end keeps runs in their row
    padded[:, :width] = mask
    flat = padded.ravel()
    starts = flat & ~np.concatenate([[False], flat[:-1]])
    values = np.zeros(padded.shape, labels.dtype)
    values[:, :width] = labels
    inside = np.flatnonzero(flat)
    if inside.size == 0:
        return labels
    run_of = np.cumsum(starts[inside]) - 1
    minima = np.minimum.reduceat(values.ravel()[inside], np.flatnonzero(starts[inside]))
    result = values.ravel().copy()
    result[inside] = minima[run_of]
    return result.reshape(padded.shape)[:, :width]


def paint_and_crop(image, product):
    """The full-size image cropped to the product's box plus MARGIN, with everything that is
    not product white; the small bool mask is scaled up with soft (bilinear) edges."""
    rows, columns = np.flatnonzero(product.any(axis=1)), np.flatnonzero(product.any(axis=0))
    scale_x, scale_y = image.width / product.shape[1], image.height / product.shape[0]
    left, right = columns[0] * scale_x, (columns[-1] + 1) * scale_x
    top, bottom = rows[0] * scale_y, (rows[-1] + 1) * scale_y
    margin = MARGIN * max(right - left, bottom - top)
    box = (
        max(0, round(left - margin)),
        max(0, round(top - margin)),
        min(image.width, round(right + margin)),
        min(image.height, round(bottom + margin)),
    )
    size = (box[2] - box[0], box[3] - box[1])
    small_box = (box[0] / scale_x, box[1] / scale_y, box[2] / scale_x, box[3] / scale_y)
    mask = Image.fromarray(product * np.uint8(255)).resize(
        size, Image.Resampling.BILINEAR, small_box
    )
    result = Image.new("RGB", size, WHITE)
    result.paste(image.crop(box), mask=mask)  # faster than painting white through a mask
    return result
