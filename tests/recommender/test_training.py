"""The shopper-like copies the projection is also trained on (recommender.training.shopper_like)
and the articleTypes kept out of training (held_out_types)."""

import random

import numpy as np
import pytest
from PIL import Image

from recommender.training import held_out_types, shopper_like

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


def test_held_out_types_take_one_type_of_each_size_group():
    # 9 types of 90, 80, ... 10 products: thirds are the large, middle and small types.
    types = [f"type{size}" for size in range(10, 100, 10) for _ in range(size)]
    groups = [{"type90", "type80", "type70"}, {"type60", "type50", "type40"}]
    groups.append({"type30", "type20", "type10"})
    for seed in range(5):
        unseen = held_out_types(types, 1 / 3, seed)
        assert unseen == held_out_types(types, 1 / 3, seed) == sorted(unseen)
        assert all(len(group.intersection(unseen)) == 1 for group in groups)
    assert len({tuple(held_out_types(types, 1 / 3, seed)) for seed in range(5)}) > 1
    assert len(held_out_types(types, 0.01)) == 1 and len(held_out_types(types, 0.99)) == 8


def test_held_out_types_refuse_a_fraction_outside_0_to_1():
    for fraction in (0, 1, 1.5):
        with pytest.raises(ValueError, match="fraction"):
            held_out_types(["a", "b"], fraction)
