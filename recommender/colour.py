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
    return ~(np.asarray(image) > WHITE_LEVEL).all(axis=2)


def rgb_to_lab(rgb):
    """(N, 3) uint8 sRGB -> (N, 3) CIELAB under D65."""
    linear = rgb.astype(np.float64) / 255.0
    linear = np.where(linear <= 0.04045, linear / 12.92, ((linear + 0.055) / 1.055) ** 2.4)
    xyz = linear @ SRGB_TO_XYZ.T / D65_WHITE
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def soft_histogram(lab):
    """Each colour votes for its 8 surrounding bin centres (trilinear), so a shade near a
    bin edge does not flip between bins."""
    position = (np.clip(lab, LAB_LOW, LAB_HIGH - 1e-4) - LAB_LOW) / (LAB_HIGH - LAB_LOW) * LAB_BINS - 0.5
    lower = np.floor(position).astype(int)
    fraction = position - lower
    histogram = np.zeros(SIGNATURE_SIZE)
    for corner in np.ndindex(2, 2, 2):
        bins = np.clip(lower + corner, 0, LAB_BINS - 1)
        weight = np.prod(np.where(corner, fraction, 1 - fraction), axis=1)
        flat = (bins[:, 0] * LAB_BINS[1] + bins[:, 1]) * LAB_BINS[2] + bins[:, 2]
        histogram += np.bincount(flat, weights=weight, minlength=SIGNATURE_SIZE)
    return histogram


def colour_signature(pixels, mask, step=2):
    """(SIGNATURE_SIZE,) unit vector for an (H, W, 3) uint8 image and its foreground mask.

    Reads every `step`-th pixel each way (the colours of a photo change slowly). A photo
    with almost no foreground is described by all its pixels.
    """
    pixels, mask = pixels[::step, ::step], mask[::step, ::step]
    chosen = pixels[mask] if mask.sum() >= MIN_FOREGROUND_PIXELS else pixels.reshape(-1, 3)
    signature = np.sqrt(soft_histogram(rgb_to_lab(chosen)))
    return (signature / max(np.linalg.norm(signature), 1e-12)).astype(np.float32)
