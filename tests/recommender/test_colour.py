"""The colour signature: the whole foreground's histogram, then one per cell of a grid."""

import numpy as np

from recommender.colour import (
    COLOUR_GRID,
    HISTOGRAM_SIZE,
    SIGNATURE_SIZE,
    colour_signature,
    foreground_mask,
)

RED, NAVY = (200, 20, 30), (20, 30, 110)


def two_colour_photo(top, bottom, side=90):
    """A garment in two colours (top half, bottom half) on a white square."""
    pixels = np.full((side, side, 3), 255, np.uint8)
    pixels[10:44, 20:70], pixels[44:78, 20:70] = top, bottom
    return pixels


def signature(pixels):
    return colour_signature(pixels, foreground_mask(pixels))


def test_the_signature_is_a_whole_histogram_then_one_per_cell():
    whole_part, grid_part = np.split(signature(two_colour_photo(RED, NAVY)), [HISTOGRAM_SIZE])
    assert SIGNATURE_SIZE == HISTOGRAM_SIZE * (1 + COLOUR_GRID**2)
    assert len(grid_part) == HISTOGRAM_SIZE * COLOUR_GRID**2
    np.testing.assert_allclose(
        [np.linalg.norm(whole_part), np.linalg.norm(grid_part)], 1.0, atol=1e-5
    )


def test_the_grid_tells_where_each_colour_is():
    red_over_navy, navy_over_red = (
        signature(two_colour_photo(RED, NAVY)),
        signature(two_colour_photo(NAVY, RED)),
    )
    np.testing.assert_allclose(
        red_over_navy[:HISTOGRAM_SIZE], navy_over_red[:HISTOGRAM_SIZE], atol=1e-5
    )
    assert red_over_navy[HISTOGRAM_SIZE:] @ navy_over_red[HISTOGRAM_SIZE:] < 0.5


def test_a_photo_without_foreground_is_described_by_all_its_pixels():
    white = np.full((40, 40, 3), 250, np.uint8)
    whole_part, grid_part = np.split(signature(white), [HISTOGRAM_SIZE])
    assert np.count_nonzero(whole_part) > 0
    np.testing.assert_allclose(np.linalg.norm(grid_part), 1.0, atol=1e-5)
