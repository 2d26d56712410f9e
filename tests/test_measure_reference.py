"""Reference masks onto the image grid, and metrics on real expert lesion masks (MosMedData)."""

import logging

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from lungtrack.errors import InputError
from lungtrack.evaluate.cases import compare_masks
from lungtrack.io.images import read_grid
from lungtrack.measure.comparison import label_masks
from lungtrack.measure.reference import load_reference, resample_to_grid
from lungtrack.measure.reference_files import reference_paths

MOSMED = "masks/mosmeddata-covid-lesion-masks"


def image(array, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0)):
    img = sitk.GetImageFromArray(array)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    return img


def test_same_grid_is_returned_unchanged():
    mask = image(np.ones((3, 4, 5), np.uint8))
    assert resample_to_grid(mask, image(np.zeros((3, 4, 5), np.int16))) is mask


def test_finer_and_shifted_reference_lands_on_the_image_voxels(caplog):
    coarse = np.zeros((6, 10, 12), np.uint8)
    coarse[1:5, 2:8, 3:9] = 1
    coarse[2:4, 4:6, 4:6] = 2
    ct = image(np.zeros(coarse.shape, np.int16), spacing=(1.5, 1.5, 3.0), origin=(10.0, -5.0, 2.0))
    # the same labels on a grid twice as fine, whose voxel centres straddle the coarse ones
    fine = np.repeat(np.repeat(np.repeat(coarse, 2, 0), 2, 1), 2, 2)
    ref = image(fine.astype(np.float32), spacing=(0.75, 0.75, 1.5), origin=(10 - 0.375, -5 - 0.375, 2 - 0.75))
    with caplog.at_level(logging.INFO, logger="lungtrack.measure.reference"):
        out = resample_to_grid(ref, ct)
    assert "resampled (nearest neighbour)" in caplog.text
    assert out.GetPixelID() == sitk.sitkUInt8
    assert out.GetSize() == ct.GetSize() and out.GetOrigin() == ct.GetOrigin()
    np.testing.assert_array_equal(sitk.GetArrayFromImage(out), coarse)


def test_reference_smaller_than_the_image_is_zero_outside():
    ct = image(np.zeros((4, 20, 20), np.int16))
    crop = image(np.ones((4, 5, 5), np.uint8), origin=(10.0, 10.0, 0.0))
    out = sitk.GetArrayFromImage(resample_to_grid(crop, ct))
    assert out.sum() == 4 * 25 and out[:, 10:15, 10:15].all()


def test_float_labels_are_rounded():
    labels = np.full((2, 3, 3), 1.9999, np.float32)
    out = resample_to_grid(image(labels), image(np.zeros((2, 3, 3), np.int16)))
    assert (sitk.GetArrayFromImage(out) == 2).all()


def test_missing_files_raise_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_reference(tmp_path / "nope.nii.gz", image(np.zeros((2, 2, 2), np.int16)))
    (tmp_path / "bad.nii.gz").write_text("not an image")
    with pytest.raises(InputError, match="not a readable image"):
        read_grid(tmp_path / "bad.nii.gz")


def test_reference_paths_by_patient_and_date(tmp_path):
    folder = tmp_path / "P_1" / "20200315"
    folder.mkdir(parents=True)
    (folder / "lesions.nii.gz").write_bytes(b"")
    assert reference_paths(tmp_path, "P 1", "2020-03-15") == {"lesions": folder / "lesions.nii.gz"}
    assert reference_paths(tmp_path, "P 1", "2020-03-16") == {}


# --- real expert masks --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mosmed_masks(request):
    shared = request.getfixturevalue("shared_data")
    paths = sorted((shared / MOSMED).glob("study_*_mask.nii.gz"))
    if len(paths) < 50:
        pytest.skip(f"expected 50 MosMedData masks in {shared / MOSMED}, found {len(paths)}")
    return paths[:2]


@pytest.mark.shared
def test_real_masks_keep_their_geometry(mosmed_masks):
    for path in mosmed_masks:
        header = read_grid(path)
        mask = load_reference(path, header)
        assert mask.GetSpacing() == header.GetSpacing() and header.GetSpacing()[2] == pytest.approx(8.0)
        assert mask.GetDirection() == header.GetDirection()
        original = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))
        np.testing.assert_array_equal(sitk.GetArrayFromImage(mask), original)
        # onto the same voxels in canonical LPS order: a permutation, every voxel kept
        lps = sitk.DICOMOrient(mask, "LPS")
        moved = sitk.GetArrayFromImage(resample_to_grid(mask, lps))
        np.testing.assert_array_equal(moved, sitk.GetArrayFromImage(lps))
        assert moved.sum() == original.sum() > 0


def _rows(pred_lesions, ref_lesions, spacing):
    """Metric rows of a lesion mask pair inside a lung box around both (label 1 = GGO)."""
    lungs = np.zeros_like(ref_lesions)
    box = ndimage.find_objects((ref_lesions | pred_lesions).astype(np.uint8))[0]
    lungs[tuple(slice(max(s.start - 2, 0), s.stop + 2) for s in box)] = 1
    rows = compare_masks(label_masks(lungs, pred_lesions), label_masks(lungs, ref_lesions), spacing)
    return {r["label"]: r for r in rows}


@pytest.mark.shared
@pytest.mark.slow
def test_real_masks_perturbed_move_every_metric_the_right_way(mosmed_masks):
    in_plane = np.zeros((3, 3, 3), bool)
    in_plane[1] = ndimage.generate_binary_structure(2, 1)  # one voxel within the slice (slices are 8 mm)
    for path in mosmed_masks:
        mask = sitk.ReadImage(str(path))
        spacing = mask.GetSpacing()
        ref = (sitk.GetArrayFromImage(mask) > 0).astype(np.uint8)
        same = _rows(ref, ref, spacing)["lesion"]
        assert (same["dice"], same["iou"], same["nsd_1mm"], same["hd95_mm"]) == (1.0, 1.0, 1.0, 0.0)
        assert same["volume_error_ml"] == 0.0 and same["poi_error_pp"] == 0.0

        variants = {
            "eroded": ndimage.binary_erosion(ref, in_plane).astype(np.uint8),
            "dilated": ndimage.binary_dilation(ref, in_plane).astype(np.uint8),
            "shifted": np.roll(ref, 1, axis=2),
        }
        by_label = {name: _rows(pred, ref, spacing) for name, pred in variants.items()}
        rows = {name: found["lesion"] for name, found in by_label.items()}
        for name, row in rows.items():
            assert 0.0 < row["iou"] < row["dice"] < 1.0, name
            assert row["nsd_1mm"] <= row["nsd_2mm"] and row["nsd_1mm"] < 1.0 or name == "shifted", name
            assert 0.0 < row["hd95_mm"], name
        assert rows["eroded"]["volume_error_ml"] < 0 and rows["eroded"]["poi_error_pp"] < 0
        assert -100 < rows["eroded"]["volume_error_pct"] < 0
        assert rows["dilated"]["volume_error_ml"] > 0 and rows["dilated"]["poi_error_pp"] > 0
        assert rows["shifted"]["volume_error_ml"] == 0.0 and rows["shifted"]["poi_error_pp"] == 0.0
        # a one-voxel shift along x moves every boundary voxel by exactly the x spacing (< 1 mm here)
        assert rows["shifted"]["hd95_mm"] == pytest.approx(spacing[0])
        assert rows["shifted"]["nsd_1mm"] == 1.0
        # two voxels: worse overlap, larger distances
        twice = _rows(np.roll(ref, 2, axis=2), ref, spacing)["lesion"]
        assert twice["dice"] < rows["shifted"]["dice"]
        assert rows["shifted"]["hd95_mm"] < twice["hd95_mm"] <= 2 * spacing[0] + 1e-6
        # GGO is label 1 of the same masks: identical figures
        assert by_label["eroded"]["ggo"]["dice"] == rows["eroded"]["dice"]
