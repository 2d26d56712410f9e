"""Face-neighbour dilation and erosion by shifts: the same masks as scipy.ndimage's, on random masks."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from lungtrack.segment.morphology import FACES
from lungtrack.segment.neighbours import dilate_faces, erode_faces

SHAPES = [(1, 1, 1), (1, 7, 5), (6, 1, 9), (9, 13, 11), (17, 8, 23)]


def _mask(rng, shape, density):
    return rng.random(shape) < density


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("density", [0.02, 0.3, 0.9])
def test_erosion_equals_scipy_with_the_border_in_the_mask(shape, density):
    rng = np.random.default_rng(hash((shape, density)) % 2**32)
    mask = _mask(rng, shape, density)
    np.testing.assert_array_equal(erode_faces(mask), ndi.binary_erosion(mask, FACES, border_value=1))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("density", [0.01, 0.1, 0.6])
@pytest.mark.parametrize("iterations", [1, 2, 3])
def test_dilation_equals_scipy_with_and_without_a_mask(shape, density, iterations):
    rng = np.random.default_rng(hash((shape, density, iterations)) % 2**32)
    seeds, within = _mask(rng, shape, density), _mask(rng, shape, 0.7)
    np.testing.assert_array_equal(dilate_faces(seeds, iterations), ndi.binary_dilation(seeds, FACES, iterations))
    # seeds outside ``within`` stay and grow into it, as in scipy
    np.testing.assert_array_equal(dilate_faces(seeds, iterations, within),
                                  ndi.binary_dilation(seeds, FACES, iterations, mask=within))


def test_the_input_is_left_unchanged():
    seeds = np.zeros((5, 5, 6), bool)
    seeds[2, 2, 2] = True
    before = seeds.copy()
    grown = dilate_faces(seeds, 2)
    assert erode_faces(grown).sum() < grown.sum() == 25  # a diamond of radius 2 in the 6-neighbour metric
    np.testing.assert_array_equal(seeds, before)
