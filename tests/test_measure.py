"""Volumes, POI and reference agreement of one timepoint, on small synthetic masks."""

import json

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.evaluate.cases import compare_masks
from lungtrack.measure.comparison import label_masks
from lungtrack.measure.metrics import measure_case
from lungtrack.measure.volumes import lung_lesion_volumes, poi


def _image(array, spacing=(0.5, 0.5, 2.0)):
    img = sitk.GetImageFromArray(array)
    img.SetSpacing(spacing)
    img.SetOrigin((-10.0, 20.0, 5.0))
    return img


def _write(tmp_path, name, array, spacing=(0.5, 0.5, 2.0)):
    path = tmp_path / name
    sitk.WriteImage(_image(array, spacing), str(path))
    return path


def test_volumes_and_poi_per_lung():
    lungs = np.zeros((4, 10, 20), np.uint8)
    lungs[:, :, :10] = 1  # 400 voxels right
    lungs[:, :, 10:] = 2  # 400 voxels left
    lesions = np.zeros_like(lungs)
    lesions[0, :, :10] = 1  # 100 voxels GGO in the right lung
    lesions[1, :2, 10:] = 2  # 20 voxels consolidation in the left lung
    v = lung_lesion_volumes(lungs, lesions, voxel_ml=0.002)
    assert v["lung_ml"] == pytest.approx(1.6)
    assert v["lung_right_ml"] == pytest.approx(0.8)
    assert v["ggo_ml"] == pytest.approx(0.2)
    assert v["consolidation_ml"] == pytest.approx(0.04)
    assert v["poi"] == pytest.approx(100 * 0.24 / 1.6)
    assert v["poi_right"] == pytest.approx(25.0)
    assert v["poi_left"] == pytest.approx(5.0)


@pytest.mark.parametrize("dtype, high", [(np.uint8, 4), (np.uint8, 256), (np.int16, 300), (bool, 2)])
@pytest.mark.parametrize("slab_voxels", [1, 1000, 1 << 22])
def test_volumes_equal_boolean_sums_on_random_labels(dtype, high, slab_voxels, monkeypatch):
    # the counts are exact: the same numbers as the boolean sums they replace, for any label values
    # (above 2, negative), with lesion voxels outside the lungs' bounding box, counted in slabs of one
    # slice, of a few slices (the last one shorter) or in one
    monkeypatch.setattr("lungtrack.measure.volumes._SLAB_VOXELS", slab_voxels)
    rng = np.random.default_rng(11)
    low = -3 if np.issubdtype(dtype, np.signedinteger) else 0
    lungs, lesions = rng.integers(low, high, (2, 9, 31, 17)).astype(dtype)
    lungs[:2], lungs[:, :, :3] = 0, 0
    v = lung_lesion_volumes(lungs, lesions, voxel_ml=0.0007)
    in_lung, lesion = lungs > 0, (lesions > 0) & (lungs > 0)
    sums = {"lung_ml": in_lung, "lung_right_ml": lungs == 1, "lung_left_ml": lungs == 2, "lesion_ml": lesion,
            "ggo_ml": (lesions == 1) & in_lung, "consolidation_ml": (lesions == 2) & in_lung,
            "lesion_right_ml": lesion & (lungs == 1), "lesion_left_ml": lesion & (lungs == 2)}
    assert {key: v[key] for key in sums} == {key: float(mask.sum()) * 0.0007 for key, mask in sums.items()}


def test_volumes_of_empty_lungs_are_zero():
    v = lung_lesion_volumes(np.zeros((3, 4, 5), np.uint8), np.ones((3, 4, 5), np.uint8), voxel_ml=1.0)
    assert v["lung_ml"] == v["lesion_ml"] == 0.0 and np.isnan(v["poi"])


def test_measure_case_without_reference_has_no_agreement_keys(tmp_path):
    lungs = np.zeros((4, 10, 20), np.uint8)
    lungs[:, :, :10], lungs[:, :, 10:] = 1, 2
    lesions = np.zeros_like(lungs)
    lesions[1, :3, 2:5] = 1
    ct = _write(tmp_path, "ct.nii.gz", np.full(lungs.shape, -850, np.int16))
    record = measure_case(ct, _write(tmp_path, "lungs.nii.gz", lungs), _write(tmp_path, "lesions.nii.gz", lesions))
    assert record["lesion_ml"] == pytest.approx(9 * 0.5 * 0.5 * 2.0 / 1000)
    assert not [key for key in record if key.startswith(("dice_", "ref_")) or key.endswith("_error")]


def test_lesion_outside_lung_is_not_counted():
    lungs = np.zeros((2, 4, 4), np.uint8)
    lungs[0] = 1
    lesions = np.ones_like(lungs)
    v = lung_lesion_volumes(lungs, lesions, voxel_ml=1.0)
    assert v["lesion_ml"] == 16 and v["poi"] == 100.0


def test_poi_of_empty_lung_is_nan():
    assert np.isnan(poi(3.0, 0.0))


def test_measure_case_with_reference_on_another_grid(tmp_path):
    ct = np.full((8, 16, 16), -850, np.int16)
    lungs = np.zeros(ct.shape, np.uint8)
    lungs[1:7, 2:14, 2:8] = 1
    lungs[1:7, 2:14, 8:14] = 2
    lesions = np.zeros(ct.shape, np.uint8)
    lesions[2:5, 3:7, 3:6] = 1
    paths = {n: _write(tmp_path, f"{n}.nii.gz", a) for n, a in [("ct", ct), ("lungs", lungs), ("lesions", lesions)]}
    # the reference lesion mask is one voxel larger along x, on a grid twice as fine in x and y
    ref = np.zeros((8, 32, 32), np.uint8)
    ref[2:5, 6:14, 6:14] = 1
    ref_img = _image(ref, spacing=(0.25, 0.25, 2.0))
    ref_img.SetOrigin((-10.125, 19.875, 5.0))  # voxel centres of the fine grid straddle the coarse ones
    sitk.WriteImage(ref_img, str(tmp_path / "ref_lesions.nii.gz"))
    sidecar = tmp_path / "s.json"
    sidecar.write_text(json.dumps({"patient_id": "P1", "study_date": "2020-03-01", "timepoint": "20200301"}))
    rec = measure_case(paths["ct"], paths["lungs"], paths["lesions"], sidecar, ref_lungs=paths["lungs"],
                       ref_lesions=tmp_path / "ref_lesions.nii.gz")
    voxel_ml = 0.5 * 0.5 * 2.0 / 1000
    assert rec["patient_id"] == "P1" and rec["study_date"] == "2020-03-01"
    assert rec["lesion_ml"] == pytest.approx(36 * voxel_ml)
    assert rec["dice_lung"] == pytest.approx(1.0)
    assert rec["ref_lesion_ml"] == pytest.approx(48 * voxel_ml)
    assert rec["dice_lesion"] == pytest.approx(2 * 36 / (36 + 48))
    assert rec["lesion_ml_error"] == pytest.approx(-12 * voxel_ml)
    assert rec["poi_error"] == pytest.approx(rec["poi"] - rec["ref_poi"])
    assert rec["poi_error"] < 0



def test_measure_and_evaluate_agree_on_the_same_masks(tmp_path):
    """The metrics JSON's reference keys are the rows `lungtrack evaluate` writes for the same masks;
    a predicted lesion voxel outside the lung counts in neither (nor in lesion_ml)."""
    lungs = np.zeros((6, 12, 12), np.uint8)
    lungs[1:5, 2:10, 2:6], lungs[1:5, 2:10, 6:10] = 1, 2
    ref_lungs = lungs.copy()
    ref_lungs[1:5, 2:10, 9] = 0  # the reference lung is narrower
    lesions = np.zeros_like(lungs)
    lesions[2:4, 3:6, 3:5] = 1
    ref_lesions = lesions.copy()
    ref_lesions[2:4, 3:6, 5] = 2
    lesions[0, 0, 0] = 1  # outside the predicted lung
    paths = {name: _write(tmp_path, f"{name}.nii.gz", array) for name, array in
             [("ct", np.zeros(lungs.shape, np.int16)), ("lungs", lungs), ("lesions", lesions),
              ("ref_lungs", ref_lungs), ("ref_lesions", ref_lesions)]}
    rec = measure_case(paths["ct"], paths["lungs"], paths["lesions"], ref_lungs=paths["ref_lungs"],
                       ref_lesions=paths["ref_lesions"])
    rows = {r["label"]: r for r in compare_masks(label_masks(lungs, lesions), label_masks(ref_lungs, ref_lesions),
                                                 (0.5, 0.5, 2.0))}
    assert rec["dice_lesion"] == rows["lesion"]["dice"] == pytest.approx(2 * 12 / (12 + 18))
    assert rec["dice_lung"] == rows["lung"]["dice"] < 1.0
    for key, label, column in [("ref_lung_ml", "lung", "ref_ml"), ("lung_ml_error", "lung", "volume_error_ml"),
                               ("ref_lesion_ml", "lesion", "ref_ml"), ("lesion_ml_error", "lesion", "volume_error_ml"),
                               ("ref_poi", "lesion", "ref_poi"), ("poi_error", "lesion", "poi_error_pp")]:
        assert rec[key] == pytest.approx(rows[label][column]), key
    assert rec["lesion_ml"] == pytest.approx(rows["lesion"]["pred_ml"]) and rec["poi"] == rows["lesion"]["pred_poi"]


def test_mask_on_wrong_grid_is_a_clear_error(tmp_path):
    from lungtrack.errors import InputError

    ct = _write(tmp_path, "ct.nii.gz", np.zeros((4, 8, 8), np.int16))
    lungs = _write(tmp_path, "lungs.nii.gz", np.zeros((4, 8, 9), np.uint8))
    with pytest.raises(InputError, match="lungs.nii.gz: mask is not on the grid"):
        measure_case(ct, lungs, lungs)
