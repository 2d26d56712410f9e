"""The edt fast path of ball dilation and erosion gives the masks of SimpleITK's Maurer map.

``morphology.dilate`` and ``morphology.erode`` use the ``edt`` package where
``distance.fast_is_exact`` accepts the radius and spacing; these tests compare them with the
straightforward computation: the signed Maurer map of the whole volume, thresholded at the radius,
on sparse random masks (every offset of the ball occurs, the ties at exactly the radius included)
that touch the volume's edges, with anisotropic spacing.
"""

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.segment.distance import distance_to, fast_is_exact, signed_maurer
from lungtrack.segment import morphology
from lungtrack.segment.body import body_mask
from lungtrack.segment.morphology import dilate, erode

SHAPE = (18, 40, 44)  # (z, y, x)


def _mask(seed: int, fraction: float) -> np.ndarray:
    mask = np.random.default_rng(seed).random(SHAPE) < fraction
    mask[0, :5, :5] = mask[-1, -5:, -5:] = mask[:, 0, 7] = mask[3, :, -1] = True  # on every face of the volume
    return mask


def _maurer_dilate(mask, radius_mm, spacing):
    return sitk.GetArrayFromImage(signed_maurer(mask, spacing)) >= -radius_mm


def _maurer_erode(mask, radius_mm, spacing):
    """Erosion with the image border not eroding: only the holes inside the volume count."""
    return (sitk.GetArrayFromImage(signed_maurer(~mask, spacing)) < -radius_mm) & mask


# (spacing (z, y, x) mm, radius mm): exact ties at the radius (4 slices of 1 mm, 2 pixels of 1.5 mm, 5 slices of
# 0.8 mm... where 0.8 is refused below), and radii without ties on float32-exact and inexact grids
ACCEPTED = [((1.0, 0.7, 0.7), 4.0), ((1.0, 0.7, 0.7), 2.0), ((5.0, 0.626953125, 0.626953125), 4.0),
            ((1.25, 0.703125, 0.703125), 2.5), ((2.0, 1.5, 1.5), 3.0), ((1.0, 1.0, 1.0), 2.0)]


@pytest.mark.parametrize("fraction", [0.01, 0.001])
@pytest.mark.parametrize("spacing,radius", ACCEPTED)
def test_fast_dilation_equals_maurer(spacing, radius, fraction):
    assert fast_is_exact(radius, spacing, SHAPE)
    mask = _mask(1, fraction)
    assert np.array_equal(dilate(mask, radius, spacing), _maurer_dilate(mask, radius, spacing))


@pytest.mark.parametrize("fraction", [0.01, 0.001])
@pytest.mark.parametrize("spacing,radius", ACCEPTED)
def test_fast_erosion_equals_maurer(spacing, radius, fraction):
    assert fast_is_exact(radius, spacing, SHAPE)
    mask = ~_mask(2, fraction)  # mostly mask, with isolated holes: the erosion's ties occur around each
    assert np.array_equal(erode(mask, radius, spacing), _maurer_erode(mask, radius, spacing))


def test_ties_at_the_radius_are_exercised():
    """The sparse masks put voxels at exactly the radius (4 slices of 1 mm), where a rounding would show."""
    mask, spacing = _mask(1, 0.001), (1.0, 0.7, 0.7)
    ties = np.count_nonzero(distance_to(mask, spacing) == np.float32(4.0))
    maurer = sitk.GetArrayFromImage(signed_maurer(mask, spacing))
    assert ties > 20
    assert np.count_nonzero(maurer == np.float32(-4.0)) == ties


@pytest.mark.parametrize("spacing,radius", [((0.8, 0.7, 0.7), 4.0), ((1.0, 0.7, 0.7), 0.7), ((1.0, 0.7, 0.7), 2.8)])
def test_inexact_ties_keep_the_maurer_map(spacing, radius):
    """A tie at the radius that float32 cannot compute exactly (5 x 0.8 mm, 1 or 4 pixels of 0.7 mm) is
    refused, and the operations still give the Maurer map's masks."""
    assert not fast_is_exact(radius, spacing, SHAPE)
    mask = _mask(3, 0.01)
    if radius < 1:  # here the edt map itself would give other masks: the refusal is needed
        assert np.count_nonzero((distance_to(mask, spacing) <= radius) != _maurer_dilate(mask, radius, spacing))
    assert np.array_equal(dilate(mask, radius, spacing), _maurer_dilate(mask, radius, spacing))
    assert np.array_equal(erode(~mask, radius, spacing), _maurer_erode(~mask, radius, spacing))


def test_long_axis_with_inexact_positions_is_refused():
    """A tie along an axis whose positions i * spacing are float32 numbers only for the first indices
    (spacing 4095/4096 mm: exact products and squares, but 5000 x 4095 needs more than 24 bits)."""
    step = 4095 / 4096
    spacing = (step, 0.7, 0.7)
    assert fast_is_exact(4 * step, spacing, (300, 64, 64))
    assert not fast_is_exact(4 * step, spacing, (5000, 64, 64))


@pytest.mark.parametrize("spacing", [(1.0, 0.7, 0.7), (2.0, 2.0, 2.0), (2.5, 1.8, 1.8)])
def test_body_mask_equals_the_maurer_computation(monkeypatch, spacing):
    """The body mask (4 mm opening, the lung step's and measure's largest cost) on a noisy synthetic chest
    with a table under it is the same with the edt path as with the Maurer map everywhere."""
    rng = np.random.default_rng(5)
    z, y, x = np.ogrid[:24, :64, :64]
    chest = ((y - 30) / 24) ** 2 + ((x - 32) / 28) ** 2 + ((z - 12) / 14) ** 2 < 1
    hu = np.where(chest, 40.0, -1000.0)
    hu[3:21, 20:40, 12:28] = hu[3:21, 20:40, 36:52] = -850.0  # lungs
    hu[:, 54:57, :] = 200.0  # table, touching the body's back
    hu += rng.normal(0, 120, hu.shape)
    fast = body_mask(hu, spacing)
    monkeypatch.setattr(morphology, "fast_is_exact", lambda *args: False)
    assert np.array_equal(fast, body_mask(hu, spacing))


def test_full_mask_does_not_erode():
    """Without any voxel outside the mask the edt map is infinite: nothing erodes, as with the Maurer map."""
    mask, spacing = np.ones(SHAPE, dtype=bool), (1.0, 0.7, 0.7)
    assert fast_is_exact(4.0, spacing, SHAPE)
    assert erode(mask, 4.0, spacing).all() and _maurer_erode(mask, 4.0, spacing).all()
