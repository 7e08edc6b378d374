"""The colour signature of a product photo's foreground.

Catalogue photos show the product on white, and shoppers' photos are padded with white:
pixels whose three channels are all above WHITE_LEVEL count as background. The signature
is a soft histogram of the remaining pixels in CIELAB (a space where distances follow
perceived colour), square-rooted and L2-normalised.
"""
import numpy as np

WHITE_LEVEL = 235
LAB_BINS = np.array([4, 8, 8])  # L, a, b
LAB_LOW = np.array([0.0, -80.0, -80.0])
LAB_HIGH = np.array([100.0, 80.0, 80.0])
SIGNATURE_SIZE = int(LAB_BINS.prod())
MIN_FOREGROUND_PIXELS = 20
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
D65_WHITE = np.array([0.95047, 1.0, 1.08883])


def foreground_mask(image):
    """(H, W) bool: True where a pixel of the RGB image is not near-white background."""
    pixels = np.asarray(image)
    # Per channel rather than .all(axis=2): the same mask, ten times faster.
    return ~((pixels[..., 0] > WHITE_LEVEL) & (pixels[..., 1] > WHITE_LEVEL) & (pixels[..., 2] > WHITE_LEVEL))


def srgb_to_linear(values):
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)


SRGB_LINEAR = srgb_to_linear(np.arange(256) / 255.0)  # a lookup table for uint8 channels


def rgb_to_lab(rgb):
    """(N, 3) uint8 sRGB -> (N, 3) CIELAB under D65."""
    xyz = SRGB_LINEAR[rgb] @ SRGB_TO_XYZ.T / D65_WHITE
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def soft_histogram(lab):
    """Each colour votes for its 8 surrounding bin centres (trilinear), so a shade near a
    bin edge does not flip between bins."""
    position = (np.clip(lab, LAB_LOW, LAB_HIGH - 1e-4) - LAB_LOW) / (LAB_HIGH - LAB_LOW) * LAB_BINS - 0.5
    lower = np.floor(position).astype(int)
    fraction = position - lower
    # Per axis, the lower and the upper neighbour: (2, N, 3) bins and weights.
    bins = np.clip(np.stack([lower, lower + 1]), 0, LAB_BINS - 1) * [LAB_BINS[1] * LAB_BINS[2], LAB_BINS[2], 1]
    weights = np.stack([1 - fraction, fraction])
    # All 8 corners at once, broadcast over (L neighbour, a neighbour, b neighbour, pixel).
    flat = bins[:, None, None, :, 0] + bins[None, :, None, :, 1] + bins[None, None, :, :, 2]
    weight = weights[:, None, None, :, 0] * weights[None, :, None, :, 1] * weights[None, None, :, :, 2]
    return np.bincount(flat.ravel(), weights=weight.ravel(), minlength=SIGNATURE_SIZE)


def colour_signature(pixels, mask, step=2):
    """(SIGNATURE_SIZE,) unit vector for an (H, W, 3) uint8 image and its foreground mask.

    Reads every `step`-th pixel each way (the colours of a photo change slowly). A photo
    with almost no foreground is described by all its pixels.
    """
    pixels, mask = pixels[::step, ::step], mask[::step, ::step]
    chosen = pixels[mask] if mask.sum() >= MIN_FOREGROUND_PIXELS else pixels.reshape(-1, 3)
    signature = np.sqrt(soft_histogram(rgb_to_lab(chosen)))
    return (signature / max(np.linalg.norm(signature), 1e-12)).astype(np.float32)
