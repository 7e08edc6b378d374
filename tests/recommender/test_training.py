"""The shopper-like copies the projection is also trained on (recommender.training.shopper_like)."""

import random

import numpy as np
from PIL import Image

from recommender.training import shopper_like

RED = (200, 0, 0)


def copies(seeds):
    photo = Image.new("RGB", (60, 80), RED)
    return [shopper_like(photo, random.Random(seed)) for seed in seeds]


def test_copies_depend_only_on_the_seed():
    assert all(
        np.array_equal(np.asarray(first), np.asarray(second))
        for first, second in zip(copies(range(10)), copies(range(10)))
    )


def test_a_copy_is_an_off_centre_crop_or_a_tilt_on_white():
    made = copies(range(20))
    crops = [copy for copy in made if copy.width < 60]
    tilts = [copy for copy in made if copy.width > 60]
    assert crops and tilts and len(crops) + len(tilts) == len(made)
    assert all(
        39 <= copy.width <= 54 and 52 <= copy.height <= 72 for copy in crops
    )  # 65-90% of each side
    assert all(copy.getpixel((0, 0)) == (255, 255, 255) for copy in tilts)
    assert all(copy.getpixel((copy.width // 2, copy.height // 2)) == RED for copy in tilts)
