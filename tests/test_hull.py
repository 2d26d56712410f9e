"""``hull.convex_hull_2d`` fills the same pixels as scikit-image's ``convex_hull_image``.

On random sparse and dense shapes (single pixels, lines, pixels touching the image's edges, hulls
whose edges pass exactly through pixel centres) and on every axial slice of a phantom CT's lungs,
with and without their lesions (the concave outlines the wall-notch step fills).
"""

import numpy as np
import pytest
from skimage.morphology import convex_hull_image

from lungtrack.phantom import make_case
from lungtrack.segment.hull import convex_hull_2d


def _random_shapes(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        h, w = rng.integers(1, 48, size=2)
        mask = rng.random((h, w)) < rng.uniform(0.002, 0.4)
        if mask.any():
            yield mask


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_shapes_equal_scikit_image(seed):
    shapes = list(_random_shapes(seed, 600))
    assert len(shapes) > 500
    for mask in shapes:
        np.testing.assert_array_equal(convex_hull_2d(mask), convex_hull_image(mask))


@pytest.mark.parametrize("mask", [
    np.ones((1, 1), bool),
    np.eye(9, dtype=bool),  # a diagonal line: hull edges through pixel centres
    np.eye(9, dtype=bool)[::-1],
    np.pad(np.ones((1, 7), bool), 3),  # a horizontal line
    np.pad(np.ones((7, 1), bool), 3),
    np.array([[1, 0, 0, 0, 0, 0, 1], [0] * 7, [0] * 7, [0, 0, 0, 1, 0, 0, 0]], bool),  # a triangle of 3 pixels
], ids=["pixel", "diagonal", "antidiagonal", "row", "column", "triangle"])
def test_degenerate_shapes_equal_scikit_image(mask):
    np.testing.assert_array_equal(convex_hull_2d(mask), convex_hull_image(mask))


def test_phantom_lung_slices_equal_scikit_image():
    case = make_case(11)
    checked = 0
    for lungs in (case.lungs > 0, (case.lungs > 0) & (case.lesions == 0)):
        for side in (1, 2):
            for z in range(lungs.shape[0]):
                mask = lungs[z] & (case.lungs[z] == side)
                if mask.any():
                    np.testing.assert_array_equal(convex_hull_2d(mask), convex_hull_image(mask), err_msg=f"z={z}")
                    checked += 1
    assert checked > 200
