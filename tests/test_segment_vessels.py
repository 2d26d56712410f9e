"""Hessian tube measure of the lesion segmenter (``segment.vessels``) on small synthetic lungs."""

import numpy as np
from scipy import ndimage as ndi

from lungtrack.segment.vessels import tubes

SPACING = (5.0, 0.7, 0.7)  # thick slices, fine pixels: (z, y, x) mm


def _lung(shape=(16, 160, 160)):
    zz, yy, xx = np.indices(shape)
    hu = np.full(shape, -850.0, dtype=np.float32)
    # a vessel of 4 mm running obliquely in-plane and through the slices (blurred into ground-glass HU)
    along = (xx - 20) * 0.7
    dist = np.hypot((yy - 40 - 0.3 * (xx - 20)) * 0.7, (zz - 3 - along / 25.0) * 5.0)
    hu[(dist <= 2.0) & (xx > 15) & (xx < 140)] = 40.0
    # a ground-glass patch 30 mm across at -550 HU
    patch = np.hypot(np.hypot((yy - 115) * 0.7, (xx - 100) * 0.7), (zz - 8) * 5.0 * 0.6) <= 15.0
    hu[patch] = -550.0
    hu = ndi.gaussian_filter(hu, (0.6, 1.0, 1.0))  # partial volume of the thick slices
    return hu, patch, (dist <= 2.0) & (xx > 25) & (xx < 130)


def test_vessels_are_tubes_and_a_ground_glass_patch_is_not():
    hu, patch, vessel = _lung()
    lung = np.ones(hu.shape, dtype=bool)
    found = tubes(hu, lung, SPACING, threshold=0.2)
    assert found[vessel].mean() > 0.5
    inner = ndi.binary_erosion(patch, iterations=3)
    assert found[inner].mean() < 0.05


def test_outside_the_lung_nothing_is_a_tube():
    hu, _, _ = _lung()
    lung = np.zeros(hu.shape, dtype=bool)
    assert not tubes(hu, lung, SPACING).any()
    lung[:, :80] = True
    assert not tubes(hu, lung, SPACING)[:, 80:].any()
