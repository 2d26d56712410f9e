"""Registration refined by the CT inside the lungs, measured against known synthetic deformations."""

import numpy as np
import pytest
import SimpleITK as sitk

from bench.synthetic_deformation import deform_case, registration_error
from lungtrack.phantom import make_case
from lungtrack.segment.backends import segment_lungs
from lungtrack.track import ct_registration
from lungtrack.track.ct_registration import register_scans
from lungtrack.track.registration import lung_dice


def _scans(case):
    return ((case.baseline_ct, case.baseline_lungs, case.baseline_lesions),
            (case.follow_up_ct, case.follow_up_lungs, case.follow_up_lesions))


def _both(case):
    """(affine fit, intensity fit) of a deformed case, and their errors (mm) against the known deformation."""
    affine = register_scans(*_scans(case), "affine")
    intensity = register_scans(*_scans(case), "intensity")
    return affine, intensity, registration_error(case, affine.transform), registration_error(case, intensity.transform)


@pytest.fixture(scope="module")
def phantom_case():
    """A small synthetic chest CT (3 mm voxels) deformed smoothly, with a 4 % deeper breath-hold."""
    ct = make_case(3, matrix=112, pixel_mm=3.0, slice_mm=3.0, table=False, lesions=False, pose_jitter=False,
                   breath_scale=1.0)
    return deform_case(ct.image(), ct.image(ct.lungs), seed=2, breath_scale=1.04, amplitude_mm=8.0)


@pytest.fixture(scope="module")
def phantom_fits(phantom_case):
    return _both(phantom_case)


def test_intensity_fit_beats_the_outline_fit_on_a_phantom(phantom_case, phantom_fits):
    affine, intensity, affine_error, error = phantom_fits
    assert intensity.used == "intensity" and not intensity.quality["refused"]
    assert error["mean_mm"] < affine_error["mean_mm"] and error["p95_mm"] < affine_error["p95_mm"]
    assert error["mean_mm"] < 2.0 and error["p95_mm"] < 4.0
    assert 0 < intensity.quality["jacobian_min"] < 1 < intensity.quality["jacobian_max"]
    # the transform still maps baseline points to follow-up points: the follow-up lungs land on the baseline's
    assert lung_dice(phantom_case.baseline_lungs, phantom_case.follow_up_lungs, intensity.transform) > 0.95


def test_a_refinement_that_loses_lung_overlap_is_refused(phantom_case, phantom_fits, monkeypatch):
    monkeypatch.setattr(ct_registration, "MAX_DICE_LOSS", -1.0)  # any fit now "loses" overlap
    fit = register_scans(*_scans(phantom_case), "intensity")
    assert fit.used == "affine" and "lung Dice fell" in fit.quality["refused"]
    affine = phantom_fits[0]
    assert fit.transform.TransformPoint((10.0, 20.0, 30.0)) == pytest.approx(
        affine.transform.TransformPoint((10.0, 20.0, 30.0)))
    assert fit.quality["jacobian_min"] == pytest.approx(fit.quality["jacobian_max"])


def test_unknown_method_is_refused():
    image = sitk.Image([4, 4, 4], sitk.sitkUInt8)
    with pytest.raises(ValueError, match="intensity"):
        register_scans((image,) * 3, (image,) * 3, "demons")


def _check_real(case):
    affine, intensity, affine_error, error = _both(case)
    assert intensity.used == "intensity", intensity.quality["refused"]
    assert error["mean_mm"] <= 2.0 and error["p95_mm"] <= 4.0, error
    assert error["mean_mm"] < affine_error["mean_mm"] and error["p95_mm"] < affine_error["p95_mm"]
    assert intensity.quality["jacobian_min"] > 0


@pytest.mark.shared
def test_synthetic_deformation_of_the_elastix_lung(shared_data):
    folder = shared_data / "realct" / "elastix-right-lung-pair" / "baseline"
    ct, lungs = sitk.ReadImage(str(folder / "ct.nii.gz")), sitk.ReadImage(str(folder / "lungs.nii.gz"))
    _check_real(deform_case(ct, lungs, seed=1))


@pytest.mark.shared
@pytest.mark.slow
def test_synthetic_deformation_of_a_whole_chest(shared_data):
    ct = sitk.ReadImage(str(shared_data / "realct" / "pyradiomics-lung2" / "ct.nii.gz"))
    _check_real(deform_case(ct, segment_lungs(ct), seed=1))


def test_lesions_of_either_scan_are_left_out(phantom_case, phantom_fits):
    """A new lesion in the follow-up is neutralised: the field around it stays as good as elsewhere."""
    fit = phantom_fits[1]
    lesion = sitk.GetArrayViewFromImage(phantom_case.follow_up_lesions) > 0
    assert lesion.sum() > 100
    error = registration_error(phantom_case, fit.transform)
    near = _error_at(phantom_case, fit.transform, np.argwhere(lesion))
    assert near < max(2.0, 2 * error["mean_mm"])


def _error_at(case, transform, voxels) -> float:
    """Mean error (mm) at follow-up voxels (z, y, x)."""
    errors = []
    for z, y, x in voxels[:: max(1, len(voxels) // 500)]:
        p = case.follow_up_ct.TransformIndexToPhysicalPoint((int(x), int(y), int(z)))
        errors.append(np.linalg.norm(np.subtract(transform.TransformPoint(case.truth.TransformPoint(p)), p)))
    return float(np.mean(errors))


@pytest.mark.parametrize("direction", [(1, 0, 0, 0, 1, 0, 0, 0, 1), (1, 0, 0, 0, -1, 0, 0, 0, -1),
                                       (0, 1, 0, 1, 0, 0, 0, 0, -1)])
def test_jacobian_is_right_on_flipped_and_permuted_grids(direction):
    # a 10 % compression along z: the determinant is 0.9 whatever the order and sign of the grid's axes
    lungs = sitk.Image([24, 20, 16], sitk.sitkUInt8)
    lungs.SetSpacing((2.0, 2.0, 3.0))
    lungs.SetDirection(direction)
    lungs[4:20, 4:16, 4:12] = 1
    compress = sitk.AffineTransform(3)
    compress.SetMatrix((1, 0, 0, 0, 1, 0, 0, 0, 0.9))
    assert ct_registration.jacobian_range(compress, lungs) == pytest.approx((0.9, 0.9), abs=1e-6)
