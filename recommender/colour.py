"""The colour signature of a product photo's foreground.

Catalogue photos show the product on white, and shoppers' photos are padded with white:
pixels whose three channels are all above WHITE_LEVEL count as background. The signature
is made of soft histograms of the remaining pixels in CIELAB (a space where distances
follow perceived colour), square-rooted:

- the whole foreground's histogram, L2-normalised (HISTOGRAM_SIZE values);
- one histogram per cell of a COLOUR_GRID x COLOUR_GRID grid, each as a share of all the
  foreground's pixels (together a unit vector). Where a colour is tells the garment from
  the rest of a worn outfit (a shirt's colour is in the upper cells), which the learned
  projection uses: +0.02 precision@10 by articleType and colour (docs/benchmarks.md).
"""

import numpy as np

WHITE_LEVEL = 235
LAB_BINS = np.array([4, 8, 8])  # L, a, b
LAB_LOW = np.array([0.0, -80.0, -80.0])
LAB_HIGH = np.array([100.0, 80.0, 80.0])
HISTOGRAM_SIZE = int(LAB_BINS.prod())
COLOUR_GRID = 3
SIGNATURE_SIZE = HISTOGRAM_SIZE * (1 + COLOUR_GRID**2)
MIN_FOREGROUND_PIXELS = 20
SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
D65_WHITE = np.array([0.95047, 1.0, 1.08883])


def foreground_mask(image):
    """(H, W) bool: True where a pixel of the RGB image is not near-white background."""
    pixels = np.asarray(image)
    # Per channel rather than .all(axis=2): the same mask, ten times faster.
    return ~(
        (pixels[..., 0] > WHITE_LEVEL)
        & (pixels[..., 1] > WHITE_LEVEL)
        & (pixels[..., 2] > WHITE_LEVEL)
    )


def srgb_to_linear(values):
    """sRGB channel values in [0, 1] -> linear light in [0, 1] (the sRGB
    transfer curve), any shape."""
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)


SRGB_LINEAR = srgb_to_linear(np.arange(256) / 255.0)  # a lookup table for uint8 channels


def rgb_to_lab(rgb):
    """(N, 3) uint8 sRGB -> (N, 3) CIELAB under D65."""
    xyz = SRGB_LINEAR[rgb] @ SRGB_TO_XYZ.T / D65_WHITE
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack(
        [116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1
    )


def soft_histogram(lab, cells=0, cell_count=1):
    """Each colour votes for its 8 surrounding bin centres (trilinear), so a shade near a
    bin edge does not flip between bins. With `cells` (each colour's cell number), one
    histogram per cell, end to end."""
    position = (np.clip(lab, LAB_LOW, LAB_HIGH - 1e-4) - LAB_LOW) / (
        LAB_HIGH - LAB_LOW
    ) * LAB_BINS - 0.5
    lower = np.floor(position).astype(int)
    fraction = position - lower
    # Per axis, the lower and the upper neighbour: (2, N, 3) bins and weights.
    bins = np.clip(np.stack([lower, lower + 1]), 0, LAB_BINS - 1) * [
        LAB_BINS[1] * LAB_BINS[2],
        LAB_BINS[2],
        1,
    ]
    weights = np.stack([1 - fraction, fraction])
    # All 8 corners at once, broadcast over (L neighbour, a neighbour, b neighbour, pixel).
    flat = bins[:, None, None, :, 0] + bins[None, :, None, :, 1] + bins[None, None, :, :, 2]
    flat += np.asarray(cells) * HISTOGRAM_SIZE
    weight = (
        weights[:, None, None, :, 0] * weights[None, :, None, :, 1] * weights[None, None, :, :, 2]
    )
    return np.bincount(flat.ravel(), weights=weight.ravel(), minlength=cell_count * HISTOGRAM_SIZE)


def grid_cells(height, width):
    """(height, width) cell numbers of a COLOUR_GRID x COLOUR_GRID grid, row by row."""
    rows = np.minimum(np.arange(height) * COLOUR_GRID // height, COLOUR_GRID - 1)
    columns = np.minimum(np.arange(width) * COLOUR_GRID // width, COLOUR_GRID - 1)
    return rows[:, None] * COLOUR_GRID + columns[None, :]


def colour_signature(pixels, mask, step=2):
    """(SIGNATURE_SIZE,) float32 for an (H, W, 3) uint8 image and its foreground mask: the
    whole histogram, then the grid's (see the module's docstring).

    Reads every `step`-th pixel each way (the colours of a photo change slowly). A photo
    with almost no foreground is described by all its pixels.
    """
    pixels, mask = pixels[::step, ::step], mask[::step, ::step]
    if mask.sum() < MIN_FOREGROUND_PIXELS:
        mask = np.ones_like(mask)
    cells = grid_cells(*mask.shape)[mask]
    per_cell = soft_histogram(rgb_to_lab(pixels[mask]), cells, COLOUR_GRID**2).reshape(
        -1, HISTOGRAM_SIZE
    )
    whole = np.sqrt(per_cell.sum(axis=0))
    whole /= max(np.linalg.norm(whole), 1e-12)
    grid = np.sqrt(per_cell.ravel() / max(per_cell.sum(), 1e-12))
    return np.concatenate([whole, grid]).astype(np.float32)
