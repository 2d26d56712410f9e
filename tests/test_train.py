"""lungtrack train / lungtrack segment on tiny synthetic cases: export, plan, train, install, predict.

The networks train for a few iterations only: these tests check the chain (files, labels, grids,
errors), not the quality of the model, which tests/test_nnunet_workflow.py checks on the phantom.
"""

import json
import shutil

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.cli import main
from lungtrack.errors import InputError
from lungtrack.train.dataset import case_labels, dataset_labels, export_dataset, find_cases

TINY = ["--folds", "all", "--epochs", "1", "--iterations-per-epoch", "2", "--base-features", "4",
        "--max-features", "16", "--batch-size", "2", "--target-spacing-mm", "null", "--workers", "1"]


def _volume(seed: int):
    """(CT in HU, lungs 1 right 2 left, lesions 1 GGO) arrays (z, y, x) of a small synthetic chest."""
    rng = np.random.default_rng(seed)
    z, y, x = np.mgrid[0:16, 0:32, 0:32]
    ct = np.full(z.shape, -1000.0)
    ct[((y - 16) / 14) ** 2 + ((x - 16) / 15) ** 2 <= 1] = 40
    lungs = np.zeros(z.shape, np.uint8)
    for label, cx in ((1, 9), (2, 23)):
        lungs[((z - 8) / 7) ** 2 + ((y - 16) / 9) ** 2 + ((x - cx) / 5) ** 2 <= 1] = label
    lesions = (((z - 8) / 3) ** 2 + ((y - 14) / 3) ** 2 + ((x - 9) / 2) ** 2 <= 1).astype(np.uint8)
    ct[lungs > 0] = -850
    ct[lesions > 0] = -500
    return (ct + rng.normal(0, 15, ct.shape)).astype(np.int16), lungs, lesions


def _write(array, path, spacing=(1.5, 1.5, 3.0)):
    image = sitk.GetImageFromArray(array)
    if array.ndim == 3:
        image.SetSpacing(spacing)
        image.SetOrigin((-24.0, -30.0, 100.0))
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(image, str(path))


@pytest.fixture
def cases3d(tmp_path):
    for i in range(3):
        for name, array in zip(("images", "lungs", "lesions"), _volume(i)):
            _write(array, tmp_path / "cases" / name / f"c{i}.nii.gz")
    return tmp_path / "cases"


def test_cases_are_matched_by_name_and_labels_named_after_roles(tmp_path, cases3d):
    (cases3d / "images" / "unlabelled.nii.gz").write_bytes((cases3d / "images" / "c0.nii.gz").read_bytes())
    cases = find_cases(cases3d / "images", cases3d / "lungs", cases3d / "lesions")
    assert [c.case_id for c in cases] == ["case_c0", "case_c1", "case_c2"]
    labels = dataset_labels(True, True, "lungtrack")
    assert labels == {"background": 0, "lung": 1, "ggo": 2, "consolidation": 3}
    assert dataset_labels(False, True, "binary") == {"background": 0, "lesion": 1}
    lungs, lesions = np.array([[1, 1, 2, 2, 0]]), np.array([[0, 2, 1, 0, 0]])
    np.testing.assert_array_equal(case_labels(lungs, lesions, labels), [[1, 3, 2, 1, 0]])
    lesions = np.array([[0, 2, 1, 0, 255]])
    np.testing.assert_array_equal(case_labels(None, lesions, dataset_labels(False, True, "binary")), [[0, 1, 1, 0, 1]])
    with pytest.raises(InputError, match="lung and/or a lesion mask folder"):
        find_cases(cases3d / "images")
    with pytest.raises(InputError, match="no image has masks"):
        find_cases(cases3d / "lungs", tmp_path)


def test_export_writes_an_nnunet_raw_dataset(tmp_path, cases3d):
    folder = export_dataset(find_cases(cases3d / "images", cases3d / "lungs", cases3d / "lesions"),
                            tmp_path / "raw", 7, "Tiny")
    assert folder.name == "Dataset007_Tiny"
    dataset = json.loads((folder / "dataset.json").read_text())
    assert dataset["channel_names"] == {"0": "CT"} and dataset["numTraining"] == 3
    label = sitk.ReadImage(str(folder / "labelsTr" / "case_c0.nii.gz"))
    ct = sitk.ReadImage(str(folder / "imagesTr" / "case_c0_0000.nii.gz"))
    assert label.GetSize() == ct.GetSize() == (32, 32, 16)
    _, lungs, lesions = _volume(0)
    assert (sitk.GetArrayFromImage(label) == 2).sum() == lesions.sum()
    assert (sitk.GetArrayFromImage(label) == 1).sum() == ((lungs > 0) & (lesions == 0)).sum()


@pytest.mark.slow
def test_train_3d_then_segment_lungs_and_lesions(tmp_path, cases3d):
    model = tmp_path / "model"
    assert main(["train", str(model), "--images", str(cases3d / "images"), "--lungs", str(cases3d / "lungs"),
                 "--lesions", str(cases3d / "lesions"), "--configuration", "3d_fullres", *TINY]) == 0
    folder = model / "Dataset501_Lungtrack" / "nnUNetTrainerLungtrack__lungtrackPlans__3d_fullres"
    assert (folder / "fold_all" / "checkpoint_final.pth").is_file()
    assert (folder / "fold_all" / "validation" / "summary.json").is_file()
    plans = json.loads((folder / "plans.json").read_text())
    assert plans["lungtrack_training"]["epochs"] == 1
    assert plans["configurations"]["3d_fullres"]["architecture"]["arch_kwargs"]["features_per_stage"][0] == 4

    image = cases3d / "images" / "c1.nii.gz"
    out = tmp_path / "pred"
    assert main(["segment", "--model", str(model), "--workers", "1", str(image), str(out / "labels.nii.gz"),
                 "--lungs", str(out / "lungs.nii.gz"), "--lesions", str(out / "lesions.nii.gz")]) == 0
    ct = sitk.ReadImage(str(image))
    for name, allowed in (("labels", {0, 1, 2, 3}), ("lungs", {0, 1, 2}), ("lesions", {0, 1, 2})):
        mask = sitk.ReadImage(str(out / f"{name}.nii.gz"))
        assert mask.GetSize() == ct.GetSize() and mask.GetOrigin() == ct.GetOrigin()
        assert mask.GetPixelID() == sitk.sitkUInt8
        assert set(np.unique(sitk.GetArrayFromImage(mask))) <= allowed
    lungs = sitk.GetArrayFromImage(sitk.ReadImage(str(out / "lungs.nii.gz")))
    lesions = sitk.GetArrayFromImage(sitk.ReadImage(str(out / "lesions.nii.gz")))
    assert not (lesions[lungs == 0]).any()


@pytest.mark.slow
def test_train_2d_lesion_model_on_png_slices_then_segment_a_png(tmp_path):
    for i in range(3):
        ct, _, lesions = _volume(i)
        _write(np.clip((ct[8] + 1000) / 6, 0, 255).astype(np.uint8), tmp_path / "imgs" / f"s{i}.jpg")
        _write((lesions[8] * 255).astype(np.uint8), tmp_path / "gt" / f"s{i}.png")
    model = tmp_path / "model2d"
    assert main(["train", str(model), "--images", str(tmp_path / "imgs"), "--lesions", str(tmp_path / "gt"),
                 "--mask-values", "binary", "--configuration", "2d", *TINY]) == 0
    out = tmp_path / "s0_labels.png"
    assert main(["segment", "--model", str(model), "--workers", "1", str(tmp_path / "imgs" / "s0.jpg"),
                 str(out)]) == 0
    labels = sitk.ReadImage(str(out))
    assert labels.GetDimension() == 2 and labels.GetSize() == (32, 32)
    assert set(np.unique(sitk.GetArrayFromImage(labels))) <= {0, 1}
    # a lesion-only model gives no lungs
    assert main(["segment", "--model", str(model), str(tmp_path / "imgs" / "s0.jpg"),
                 "--lungs", str(tmp_path / "lungs.png")]) == 2


def test_target_spacing_keeps_the_dummy_slice_spacing_of_2d_images():
    from lungtrack.train.nnunet_training import target_spacing_zyx

    assert target_spacing_zyx(None, [[2.5, 0.7, 0.7]]) is None
    # volumes: lungtrack's (x, y, z) becomes nnU-Net's (z, y, x)
    assert target_spacing_zyx([3.6, 3.0, 2.5], [[1.0, 0.7, 0.7], [2.0, 0.8, 0.8]]) == (2.5, 3.0, 3.6)
    # 2D slices (nnU-Net reads them with slice spacing 999): only x and y apply
    assert target_spacing_zyx([3.6, 3.0, 2.5], [[999.0, 1.0, 1.0], [999.0, 1.0, 1.0]]) == (999.0, 3.0, 3.6)


@pytest.mark.slow
def test_2d_model_of_windowed_slices_segments_a_hu_volume_only_with_its_window(tmp_path, capsys):
    for i in range(3):
        ct, _, lesions = _volume(i)
        _write(np.clip((ct[8] + 1000) / 6, 0, 255).astype(np.uint8), tmp_path / "imgs" / f"s{i}.jpg")
        _write((lesions[8] * 255).astype(np.uint8), tmp_path / "gt" / f"s{i}.png")
    ct, lungs, _ = _volume(5)
    _write(ct, tmp_path / "ct.nii.gz")
    _write(lungs, tmp_path / "lungs.nii.gz")
    plain, windowed = tmp_path / "plain", tmp_path / "windowed"
    args = ["--images", str(tmp_path / "imgs"), "--lesions", str(tmp_path / "gt"), "--mask-values", "binary",
            "--configuration", "2d", *TINY]
    assert main(["train", str(windowed), *args, "--window", "-1000", "530"]) == 0  # (HU + 1000) / 6 as above
    plans = next(windowed.rglob("plans.json"))
    assert json.loads(plans.read_text())["lungtrack_training"]["window"] == [-1000.0, 530.0]
    out = tmp_path / "lesions.nii.gz"
    assert main(["segment", str(tmp_path / "ct.nii.gz"), "--model", str(windowed), "--lesions", str(out)]) == 0
    mask = sitk.ReadImage(str(out))
    assert mask.GetSize() == (32, 32, 16) and set(np.unique(sitk.GetArrayFromImage(mask))) <= {0, 1}
    # the same model without its window: refused before loading, with the reason
    shutil.copytree(windowed, plain)
    plans = next(plain.rglob("plans.json"))
    content = json.loads(plans.read_text())
    del content["lungtrack_training"]["window"]
    plans.write_text(json.dumps(content))
    capsys.readouterr()
    assert main(["segment", str(tmp_path / "ct.nii.gz"), "--model", str(plain), "--lesions", str(out)]) == 2
    assert "needs its HU window recorded" in capsys.readouterr().err


@pytest.mark.slow
def test_a_seeded_training_gives_the_same_checkpoint_twice(tmp_path, cases3d):
    import torch

    weights = []
    for run in ("a", "b"):
        model = tmp_path / run
        assert main(["train", str(model), "--images", str(cases3d / "images"), "--lungs", str(cases3d / "lungs"),
                     "--configuration", "3d_fullres", *TINY, "--iterations-per-epoch", "3", "--seed", "5"]) == 0
        checkpoint = next(model.rglob("checkpoint_final.pth"))
        weights.append(torch.load(checkpoint, map_location="cpu", weights_only=False)["network_weights"])
    assert weights[0].keys() == weights[1].keys()
    for name, tensor in weights[0].items():
        assert torch.equal(tensor, weights[1][name]), name
    # the seed is recorded with the model, so that the training can be repeated
    assert json.loads(next((tmp_path / "a").rglob("plans.json")).read_text())["lungtrack_training"]["seed"] == 5
