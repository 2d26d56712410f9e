"""Ball dilation by scattered offsets: the same masks as morphology.dilate (distance map), on random sparse masks."""

import numpy as np
import pytest

from lungtrack.segment import ball
from lungtrack.segment.ball import ball_offsets, dilate_sparse
from lungtrack.segment.morphology import dilate

SHAPE = (18, 40, 44)  # (z, y, x)
# (spacing (z, y, x) mm, radius mm): exact ties at the radius (2 slices of 1 mm, 2 pixels of 1.5 mm), radii
# without ties on float32-exact and inexact grids, and one the edt map refuses (0.8 mm is not float32)
CASES = [((1.0, 0.7, 0.7), 2.0), ((1.0, 0.7, 0.7), 4.0), ((5.0, 0.626953125, 0.626953125), 2.0),
         ((1.25, 0.703125, 0.703125), 2.5), ((2.0, 1.5, 1.5), 3.0), ((1.0, 1.0, 1.0), 2.0), ((0.8, 0.8, 0.8), 4.0),
         ((1.0, 0.7, 0.7), 0.5)]


def _mask(seed: int, fraction: float, edges: bool) -> np.ndarray:
    mask = np.random.default_rng(seed).random(SHAPE) < fraction
    if edges:  # on every face of the volume: offsets leave the volume there
        mask[0, :5, :5] = mask[-1, -5:, -5:] = mask[:, 0, 7] = mask[3, :, -1] = True
    return mask


@pytest.mark.parametrize("edges", [True, False])
@pytest.mark.parametrize("fraction", [0.002, 0.02])
@pytest.mark.parametrize("spacing,radius", CASES)
def test_scattered_dilation_equals_the_distance_map(spacing, radius, fraction, edges, monkeypatch):
    monkeypatch.setattr(ball, "_MAX_WORK_PER_VOXEL", np.inf)  # always scatter where it is exact
    mask = _mask(hash((spacing, radius, fraction)) % 2**32, fraction, edges)
    np.testing.assert_array_equal(dilate_sparse(mask, radius, spacing), dilate(mask, radius, spacing))


def test_a_tube_and_a_blob_grow_by_the_ball():
    mask = np.zeros(SHAPE, bool)
    mask[2:16, 20, 20] = True  # a vessel along z
    mask[5:12, 5:15, 28:40] = True  # a blob: its inner voxels are not scattered from
    out = dilate_sparse(mask, 2.0, (1.0, 0.7, 0.7))
    np.testing.assert_array_equal(out, dilate(mask, 2.0, (1.0, 0.7, 0.7)))
    assert out[9, 20, 22] and not out[9, 20, 23]  # 1.4 mm and 2.1 mm from the vessel


def test_ball_offsets_are_the_lattice_points_within_the_radius():
    offsets = ball_offsets(2.0, (1.0, 1.0, 1.0))
    assert len(offsets) == 33  # 1 + 6 + 12 + 8 + 6: lengths 0, 1, sqrt 2, sqrt 3, 2
    assert {tuple(k) for k in offsets} >= {(2, 0, 0), (0, -2, 0), (1, 1, 1)} and (2, 1, 0) not in map(tuple, offsets)


def test_empty_mask_and_zero_radius():
    mask = np.zeros(SHAPE, bool)
    assert not dilate_sparse(mask, 2.0, (1.0, 0.7, 0.7)).any()
    mask[3, 4, 5] = True
    np.testing.assert_array_equal(dilate_sparse(mask, 0.0, (1.0, 0.7, 0.7)), mask)
