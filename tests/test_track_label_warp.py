"""Label warps on the box that can be non-zero equal SimpleITK's whole-grid resampling voxel for voxel."""

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.track.label_warp import _output_box, nonzero_box, warp_label_array, warp_labels_and_lungs


def _f32(values):
    """Values as NIfTI headers hold them (float32), as doubles."""
    return tuple(float(np.float32(v)) for v in values)


def _grid(size, spacing, origin, direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), pixel=sitk.sitkUInt8) -> sitk.Image:
    image = sitk.Image(size, pixel)
    image.SetSpacing(_f32(spacing))
    image.SetOrigin(_f32(origin))
    image.SetDirection(direction)
    return image


def _labels(grid: sitk.Image, seed: int = 3) -> sitk.Image:
    """Two lungs' worth of blobs labelled 1..3 in the middle of ``grid`` ((z, y, x) array, uint8)."""
    z, y, x = np.ogrid[tuple(slice(0, n) for n in grid.GetSize()[::-1])]
    shape = grid.GetSize()[::-1]
    rng = np.random.default_rng(seed)
    array = np.zeros(shape, np.uint8)
    for label in (1, 2, 3):
        centre = [n * rng.uniform(0.35, 0.65) for n in shape]
        radius = [n * rng.uniform(0.08, 0.15) for n in shape]
        inside = sum(((a - c) / r) ** 2 for a, c, r in zip((z, y, x), centre, radius, strict=True)) <= 1
        array[inside] = label
    image = sitk.GetImageFromArray(array)
    image.CopyInformation(grid)
    return image


def _affine() -> sitk.AffineTransform:
    affine = sitk.AffineTransform(3)
    affine.SetCenter((0.0, 0.0, 0.0))
    angle = np.deg2rad(7.0)
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    affine.SetMatrix(tuple((rotation @ np.diag([1.04, 0.97, 1.08])).ravel()))
    affine.SetTranslation((2.3, -1.7, 4.1))
    return affine


def _field(reference: sitk.Image) -> sitk.DisplacementFieldTransform:
    """A smooth displacement field (mm, up to about 5) on a coarse grid over part of ``reference``."""
    coarse = _grid([12, 10, 9], [4.0, 4.0, 4.0], reference.TransformIndexToPhysicalPoint((8, 6, 4)))
    z, y, x = np.meshgrid(*(np.linspace(0, np.pi, n) for n in coarse.GetSize()[::-1]), indexing="ij")
    vectors = np.stack([5 * np.sin(z) * np.sin(x), -4 * np.sin(y), 3 * np.cos(x) * np.sin(z)], axis=-1)
    field = sitk.GetImageFromArray(vectors, isVector=True)
    field.CopyInformation(coarse)
    return sitk.DisplacementFieldTransform(sitk.Cast(field, sitk.sitkVectorFloat64))


def _bspline(reference: sitk.Image) -> sitk.BSplineTransform:
    bspline = sitk.BSplineTransformInitializer(reference, (3, 3, 3))
    rng = np.random.default_rng(5)
    bspline.SetParameters(tuple(rng.uniform(-4, 4, len(bspline.GetParameters()))))
    return bspline


def _whole(labels, reference, transform) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.Resample(labels, reference, transform, sitk.sitkNearestNeighbor, 0,
                                                labels.GetPixelID()))


@pytest.fixture(scope="module")
def scans():
    """(follow-up labels, baseline grid): 0.7 mm in-plane, 1 mm slices, origins 2.7 mm apart."""
    follow_up = _labels(_grid([96, 88, 60], [0.7, 0.7, 1.0], [-33.6, -30.8, -128.8]))
    baseline = _grid([100, 90, 64], [0.7, 0.7, 1.0], [-35.35, -31.15, -131.5])
    return follow_up, baseline


@pytest.mark.parametrize("kind", ["identity", "euler", "affine", "affine+field", "affine+bspline"])
def test_the_box_warp_equals_the_whole_grid_resampling(scans, kind):
    follow_up, baseline = scans
    euler = sitk.Euler3DTransform((0.0, 0.0, -130.0), 0.05, -0.03, 0.08, (1.5, -2.0, 3.0))
    transform = {"identity": sitk.Transform(3, sitk.sitkIdentity), "euler": euler, "affine": _affine(),
                 "affine+field": sitk.CompositeTransform([_affine(), _field(baseline)]),
                 "affine+bspline": sitk.CompositeTransform([_affine(), _bspline(baseline)])}[kind]
    start, size = _output_box(follow_up, nonzero_box(sitk.GetArrayViewFromImage(follow_up)), baseline, transform)
    assert np.prod(size) < 0.8 * np.prod(baseline.GetSize())  # only part of the grid is resampled
    whole = _whole(follow_up, baseline, transform)
    assert whole.any()
    np.testing.assert_array_equal(warp_label_array(follow_up, baseline, transform), whole)


def test_an_oblique_grid_is_resampled_whole(scans):
    follow_up, baseline = scans
    angle = np.deg2rad(10.0)
    direction = (np.cos(angle), 0, np.sin(angle), 0, 1, 0, -np.sin(angle), 0, np.cos(angle))
    oblique = _grid(baseline.GetSize(), baseline.GetSpacing(), baseline.GetOrigin(), direction)
    nonzero = nonzero_box(sitk.GetArrayViewFromImage(follow_up))
    assert _output_box(follow_up, nonzero, oblique, _affine()) is None
    np.testing.assert_array_equal(warp_label_array(follow_up, oblique, _affine()),
                                  _whole(follow_up, oblique, _affine()))


def test_empty_labels_and_a_box_off_the_grid_give_zeros(scans):
    follow_up, baseline = scans
    empty = sitk.Image(follow_up.GetSize(), sitk.sitkUInt8)
    empty.CopyInformation(follow_up)
    assert not warp_label_array(empty, baseline, _affine()).any()
    far = sitk.TranslationTransform(3, (500.0, 0.0, 0.0))
    warped = warp_label_array(follow_up, baseline, far)
    assert warped.shape == baseline.GetSize()[::-1] and not warped.any()


@pytest.mark.parametrize("shift_mm", [0.0, 1e-5])
def test_labels_and_lungs_moved_together_equal_each_moved_alone(scans, shift_mm):
    follow_up, baseline = scans
    lungs = _labels(follow_up, seed=11)
    lungs.SetOrigin(tuple(o + shift_mm for o in lungs.GetOrigin()))  # a shifted grid: moved one by one
    transform = sitk.CompositeTransform([_affine(), _field(baseline)])
    labels, lung = warp_labels_and_lungs(follow_up, lungs, baseline, baseline, transform)
    np.testing.assert_array_equal(labels, _whole(follow_up, baseline, transform))
    np.testing.assert_array_equal(lung, _whole(sitk.Cast(lungs > 0, sitk.sitkUInt8), baseline, transform) > 0)
    assert lung.dtype == bool and labels.dtype == np.uint8
