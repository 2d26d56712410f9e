"""Work split over threads, and exact shortcuts, give what the plain computation gives.

``parallel`` runs independent slabs of slices on threads: the in-plane Gaussian of ``hu`` and the
hole filling of ``morphology`` must equal SciPy's on the whole volume, bit for bit, with more
threads than cores and slabs of unequal length. ``morphology.largest_component`` labels with
SimpleITK and must pick SciPy's component, ties in size included. ``pleura._thick_pieces``
tests the erosion in place of the opening where distances are exact: the same pieces.
``sides.split_joined`` floods only the lung's bounding box: the same split as in a larger volume;
``sides.select_lungs`` chooses on the air's bounding box: the same lungs as on the whole volume.
The wall fill's polar grids, from broadcast offsets, equal those of full index grids.
"""

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage as ndi

from lungtrack.segment import parallel
from lungtrack.segment.hu import AIR_HU, canonical_hu
from lungtrack.segment.morphology import components, fill_holes_2d, largest_component, opening, remove_small
from lungtrack.segment.pleura import ANGLE_BINS, _angle_bins, _offsets, _rays, _thick_pieces
from lungtrack.segment.sides import _column_counts, select_lungs, split_joined


@pytest.fixture(params=[1, 3])
def threads(request):
    """SimpleITK's (and so lungtrack's) thread count set to 1 and 3, then restored."""
    before = sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(request.param)
    yield request.param
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(before)


@pytest.mark.parametrize("length", [1, 2, 7, 300])
def test_slabs_cover_the_axis_once_in_order(threads, length):
    parts = parallel.slabs(length)
    assert len(parts) == min(threads, length)
    assert np.concatenate([np.arange(length)[p] for p in parts]).tolist() == list(range(length))


def test_thread_map_keeps_order(threads):
    assert parallel.thread_map(lambda v: v * v, range(10)) == [v * v for v in range(10)]


def test_threaded_gaussian_equals_scipy_on_the_whole_volume(threads):
    rng = np.random.default_rng(3)
    values = rng.normal(-600.0, 400.0, size=(7, 40, 36)).astype(np.int16)
    image = sitk.GetImageFromArray(values)
    image.SetSpacing((0.7, 0.8, 2.5))  # (x, y, z) mm
    _, hu, spacing = canonical_hu(image, smooth_mm=1.0)
    plain = np.maximum(sitk.GetArrayFromImage(sitk.DICOMOrient(image, "LPS")).astype(np.float32), AIR_HU)
    ndi.gaussian_filter(plain, sigma=(0, 1.0 / spacing[1], 1.0 / spacing[2]), truncate=3.0, output=plain)
    assert hu.dtype == np.float32
    np.testing.assert_array_equal(hu, plain)


def test_threaded_hole_filling_equals_scipy_per_slice(threads):
    rng = np.random.default_rng(4)
    mask = ndi.gaussian_filter(rng.random((9, 50, 45)), 1.2) > 0.5
    expected = np.stack([ndi.binary_fill_holes(s, structure=ndi.generate_binary_structure(2, 1)) for s in mask])
    got = fill_holes_2d(mask)
    assert got.sum() > mask.sum()
    np.testing.assert_array_equal(got, expected)


def _scipy_largest(mask):
    labels, _ = ndi.label(mask)
    counts = np.bincount(labels.ravel())
    counts[0] = 0
    return labels == np.argmax(counts)


def test_largest_component_of_equal_sizes_is_the_first_in_scan_order(threads):
    mask = np.zeros((6, 20, 20), dtype=bool)
    mask[3:5, 12:16, 2:6] = True
    mask[3:5, 2:6, 12:16] = True  # the same size, first in scan order (z, then y, then x)
    mask[0, 0, 0] = True
    largest = largest_component(mask)
    np.testing.assert_array_equal(largest, _scipy_largest(mask))
    assert largest.sum() == 32 and largest[3, 2, 12]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_largest_component_equals_scipy(threads, seed):
    mask = np.random.default_rng(seed).random((8, 30, 30)) < 0.45
    np.testing.assert_array_equal(largest_component(mask), _scipy_largest(mask))


@pytest.mark.parametrize("spacing", [(1.0, 0.7, 0.7), (5.0, 0.626953125, 0.626953125), (2.0, 1.5, 1.5)])
@pytest.mark.parametrize("seed", [5, 6])
def test_thick_pieces_by_erosion_equal_those_by_opening(spacing, seed):
    rng = np.random.default_rng(seed)
    mask = ndi.gaussian_filter(rng.random((14, 48, 48)), (0.8, 2.0, 2.0)) > 0.52
    expected = remove_small(mask, 20.0, spacing, touching=opening(mask, 2.5, spacing))
    got = _thick_pieces(mask, 2.5, 20.0 / 1000.0, spacing)
    assert expected.any() and (mask & ~expected).any()  # some pieces kept, some dropped
    np.testing.assert_array_equal(got, expected)


def test_joined_lungs_split_the_same_inside_a_larger_volume():
    """``sides.split_joined`` floods the lung's bounding box only: padding the volume with other values
    (and moving the midline with it) leaves the split as it was."""
    z, y, x = np.mgrid[:16, :30, :44]
    lung = ((x - 14) ** 2 / 100 + (y - 15) ** 2 / 150 + (z - 8) ** 2 / 40 < 1) | \
           ((x - 29) ** 2 / 100 + (y - 15) ** 2 / 150 + (z - 8) ** 2 / 40 < 1)
    rng = np.random.default_rng(8)
    hu = np.where(lung, rng.normal(-850, 30, lung.shape), 40.0).astype(np.float32)
    hu[:, :, 21:23] += 300  # the junction line, denser
    spacing = (2.0, 1.0, 1.0)
    right, left = split_joined(lung, hu, spacing, midline=21.5)
    assert right.sum() > 1000 and left.sum() > 1000 and not (right & left).any()
    pad = ((3, 2), (5, 4), (7, 6))
    big_hu = np.pad(hu, pad, constant_values=0.0)
    big_hu[np.pad(~lung, pad, constant_values=True)] = rng.normal(0, 500, size=(~np.pad(lung, pad)).sum())
    big_right, big_left = split_joined(np.pad(lung, pad), big_hu, spacing, midline=21.5 + 7)
    inner = tuple(slice(a, -b) for a, b in pad)
    np.testing.assert_array_equal(big_right[inner], right)
    np.testing.assert_array_equal(big_left[inner], left)
    assert not big_right.sum() - right.sum() and not big_left.sum() - left.sum()


@pytest.mark.parametrize("pixel_mm", [(0.7, 0.7), (0.626953125, 0.626953125), (1.5, 0.8)])
def test_polar_grids_from_broadcast_offsets_equal_full_index_grids(pixel_mm):
    """The wall fill's radii and angle bins, from a column and a row of offsets, equal those of full
    (y, x) index grids, bit for bit (centres on and between pixels)."""
    for centre in [(np.float64(120.0), np.float64(80.0)), (np.float64(131.37), np.float64(77.81))]:
        box = (slice(40, 260), slice(10, 190))
        yy, xx = np.indices((220, 180), dtype=np.float32)
        dy, dx = (yy + 40 - centre[0]) * pixel_mm[0], (xx + 10 - centre[1]) * pixel_mm[1]
        angle = np.arctan2(dy, dx)
        bins = (((angle + np.pi) / (2 * np.pi) * ANGLE_BINS).astype(np.int32) % ANGLE_BINS).astype(np.int16)
        row_dy, col_dx = _offsets(box, centre, pixel_mm)
        radius, got_bins = _rays(row_dy, col_dx, _angle_bins(row_dy, col_dx))
        assert radius.dtype == np.float64 and got_bins.dtype == np.int16
        np.testing.assert_array_equal(radius, np.hypot(dy, dx))
        np.testing.assert_array_equal(got_bins, bins)


def _select_lungs_on_whole_volume(air, midline, min_share=0.15, min_side_ratio=0.03):
    """The plain rule of ``sides.select_lungs``: full-volume component masks and side fractions."""
    labels, counts = components(air)

    def sides(mask):
        per_x = mask.sum(axis=(0, 1))
        right = per_x[: int(np.ceil(midline))].sum() / max(per_x.sum(), 1)
        return right, 1 - right

    first = labels == 1
    right, left = sides(first)
    if min(right, left) >= min_share:
        return [first]
    zs = np.flatnonzero(first.any(axis=(1, 2)))
    middle_z = (zs[0] + zs[-1]) / 2
    for lab in range(2, len(counts)):
        if counts[lab] < min_side_ratio * counts[1]:
            break
        r, l = sides(labels == lab)
        if (l > r) == (right > left) and np.flatnonzero((labels == lab).any(axis=(1, 2)))[-1] >= middle_z:
            return [first, labels == lab]
    return [first]


@pytest.mark.parametrize("midline", [2.0, 16.0, 19.5, 22.0, 25.5, 40.0, 60.0])
def test_lungs_selected_on_the_air_box_equal_the_whole_volume_rule(midline):
    """``sides.select_lungs`` looks at the components on the bounding box of the air: the same lungs as
    full-volume masks, with a stomach bubble low on the left and small gas pockets, off the origin."""
    z, y, x = np.mgrid[:30, :36, :56]
    air = ((x - 16) ** 2 / 40 + (y - 18) ** 2 / 60 + (z - 17) ** 2 / 50 < 1)  # right lung
    air |= (x - 31) ** 2 / 30 + (y - 18) ** 2 / 50 + (z - 16) ** 2 / 40 < 1  # left lung, smaller
    air |= (x - 33) ** 2 + (y - 22) ** 2 + (z - 5) ** 2 < 9  # stomach gas below the lungs
    air[26, 4, 40] = air[3, 30, 12] = True  # pockets of one voxel
    assert len(components(air)[1]) == 6
    got = select_lungs(air, midline)
    expected = _select_lungs_on_whole_volume(air, midline)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.shape == air.shape
        np.testing.assert_array_equal(a, b)


def test_column_counts_equal_the_boolean_sum():
    """``sides._column_counts`` sums in uint16 over z: the same int64 counts as the boolean sum, also on
    full columns of many slices and on a strided view."""
    rng = np.random.default_rng(9)
    mask = rng.random((700, 12, 9)) < 0.5
    mask[:, 3, 4] = True
    for m in (mask, mask[::3, 2:, ::-1]):
        got = _column_counts(m)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, m.sum(axis=(0, 1)))
