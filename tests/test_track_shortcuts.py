"""The faster computations of tracking equal the plain ones they replace, voxel for voxel and count for count."""

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.measure.overlap import dice
from lungtrack.measure.regions import lung_extents, zone_measures
from lungtrack.track.ct_registration import _binned_mask, _grow
from lungtrack.track.label_warp import _pull_back, warp_labels_and_lungs
from lungtrack.track.lesions import nonzero_voxels
from lungtrack.track.registration import lung_dice


def _labels(shape=(23, 29, 37), seed=5, high=3, fill=0.3) -> np.ndarray:
    """Random labels 1..``high``-1 in a (z, y, x) box inside ``shape`` (uint8), about ``fill`` of the box."""
    rng = np.random.default_rng(seed)
    array = np.zeros(shape, np.uint8)
    box = tuple(slice(n // 5, n - n // 4) for n in shape)
    inner = array[box]
    inner[...] = rng.integers(1, high, inner.shape) * (rng.random(inner.shape) < fill)
    return array


def _image(array: np.ndarray, origin=(-12.3, 40.1, -301.7), spacing=(0.7, 0.8, 1.3),
           direction=(1, 0, 0, 0, -1, 0, 0, 0, 1)) -> sitk.Image:
    image = sitk.GetImageFromArray(array)
    image.SetOrigin(origin)
    image.SetSpacing(spacing)
    image.SetDirection(direction)
    return image


@pytest.mark.parametrize("factors", [[4, 4, 2], [3, 1, 5], [1, 1, 1]])
@pytest.mark.parametrize("radius_mm", [0.0, 4.0])
def test_binned_mask_equals_binshrink_of_the_float_mask(factors, radius_mm):
    labels = _image(_labels())  # sizes not divisible by the factors: BinShrink drops the remainder
    expected = _grow(sitk.Cast(sitk.BinShrink(sitk.Clamp(labels, sitk.sitkFloat32, 0.0, 1.0), factors) > 0,
                               sitk.sitkUInt8), radius_mm)
    got = _binned_mask(labels, factors, radius_mm)
    assert got.GetPixelID() == expected.GetPixelID() == sitk.sitkUInt8
    for get in (sitk.Image.GetSize, sitk.Image.GetOrigin, sitk.Image.GetSpacing, sitk.Image.GetDirection):
        assert get(got) == get(expected)
    np.testing.assert_array_equal(sitk.GetArrayViewFromImage(got), sitk.GetArrayViewFromImage(expected))
    assert sitk.GetArrayViewFromImage(got).any()


def test_lung_dice_of_labels_equals_that_of_their_mask():
    baseline = _image(_labels(seed=1, fill=0.9))
    follow_up = _image(_labels(seed=2, fill=0.9), origin=(-12.3, 40.1, -300.4))
    transform = sitk.Euler3DTransform((0.0, 0.0, -301.0), 0.05, -0.02, 0.03, (1.1, -0.6, 0.9))
    for moved_by in (transform, sitk.Transform(3, sitk.sitkIdentity)):
        mask = sitk.Resample(sitk.Cast(follow_up > 0, sitk.sitkUInt8), baseline, moved_by, sitk.sitkNearestNeighbor, 0)
        expected = dice(sitk.GetArrayViewFromImage(baseline) > 0, sitk.GetArrayViewFromImage(mask) > 0)
        assert lung_dice(baseline, follow_up, moved_by) == expected
        assert 0.0 < expected < 1.0


def test_warped_labels_and_lungs_equal_two_plain_resamplings():
    lungs = _image(_labels(seed=3, fill=0.9))
    components = _image(_labels(seed=4, high=6, fill=0.1))
    transform = sitk.AffineTransform(3)
    transform.SetMatrix((1.02, 0.01, 0, -0.01, 0.98, 0.02, 0, 0.01, 1.01))
    transform.SetTranslation((0.8, -1.1, 0.6))
    labels, lung = warp_labels_and_lungs(components, lungs, lungs, lungs, transform)
    plain = [sitk.GetArrayFromImage(sitk.Resample(image, lungs, transform, sitk.sitkNearestNeighbor, 0))
             for image in (components, sitk.Cast(lungs > 0, sitk.sitkUInt8))]
    np.testing.assert_array_equal(labels, plain[0])
    np.testing.assert_array_equal(lung, plain[1] > 0)


def test_zone_measures_and_extents_equal_whole_volume_sums():
    lungs, lesions = _labels(seed=6, fill=0.8), _labels(seed=7, fill=0.2)
    lungs[:, :, :5] = 0  # rows that hold no lung voxel
    rows = {(r["region"], r["metric"]): r["value"] for r in zone_measures(lungs, lesions, 0.5)}
    extents = lung_extents(lungs)
    for label, lung in ((1, "right"), (2, "left")):
        inside = lungs == label
        z, y = np.flatnonzero(inside.any(axis=(1, 2))), np.flatnonzero(inside.any(axis=(0, 2)))
        assert extents[label] == (z[0], z[-1], y[0], y[-1])
        thirds = np.searchsorted(z[0] + (z[-1] - z[0] + 1) * np.arange(1, 3) / 3, np.arange(lungs.shape[0]),
                                 side="right")
        for i, third in enumerate(("lower", "middle", "upper")):
            part = inside & (thirds == i)[:, None, None]
            assert rows[(f"{lung}_{third}", "lung_ml")] == float(part.sum()) * 0.5
            assert rows[(f"{lung}_{third}", "lesion_ml")] == float((part & (lesions > 0)).sum()) * 0.5


def test_nonzero_voxels_equal_numpy_nonzero():
    for array in (_labels(seed=8, fill=0.05), np.zeros((4, 5, 6), np.uint16)):
        index, flat = nonzero_voxels(array)
        for got, expected in zip(index, np.nonzero(array), strict=True):
            np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(flat, np.flatnonzero(array))
    assert flat.size == 0


def test_field_reach_is_the_largest_displacement_component():
    field = np.zeros((6, 7, 8, 3))
    field[2, 3, 4] = (0.5, -2.5, 1.0)
    image = sitk.GetImageFromArray(field, isVector=True)
    transform = sitk.DisplacementFieldTransform(image)
    corners = np.array([[x, y, z] for x in (0.0, 1.0) for y in (0.0, 2.0) for z in (0.0, 3.0)])
    moved = _pull_back(corners, transform)
    assert np.abs(transform.GetParameters()).max() == 2.5
    np.testing.assert_array_equal(moved.min(axis=0), [-2.5, -2.5, -2.5])
    np.testing.assert_array_equal(moved.max(axis=0), [3.5, 4.5, 5.5])
