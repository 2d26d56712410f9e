"""Models people already have: lobe roles, the TotalSegmentator presets, and up-front model checks.

The model folders here hold only dataset.json and plans.json (no weights): every refusal must come
before any weights load. tests/test_nnunet_totalseg.py runs a trained TotalSegmentator look-alike.
"""

import json

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.cli import main
from lungtrack.errors import InputError
from lungtrack.measure.metrics import measure_case
from lungtrack.phantom.lobes import phantom_lobes
from lungtrack.segment.nnunet import check_model, gives_lobes
from lungtrack.segment.nnunet import labels as roles
from lungtrack.segment.nnunet.check import inspect_model
from lungtrack.segment.nnunet.presets import preset_folder, presets
from lungtrack.segment.nnunet.segment import windowed
from lungtrack.train.nnunet_training import TrainingOptions, lungtrack_plans
from totalseg_model import DATASET, MODEL, PART1_LABELS

LOBES = {"lobe_right_upper": [1], "lobe_right_middle": [2], "lobe_right_lower": [3], "lobe_left_upper": [4],
         "lobe_left_lower": [5]}


def _model(folder, labels, channels=None, normalization="CTNormalization", configuration="3d_fullres",
           window=None):
    """A model folder with dataset.json and plans.json only; labels: names in value order."""
    folder.mkdir(parents=True)
    channels = channels or {"0": "CT"}
    dataset = {"channel_names": channels, "labels": {name: v for v, name in enumerate(labels)},
               "file_ending": ".nii.gz"}
    plans = {"plans_name": "nnUNetPlans", "configurations": {
        configuration: {"normalization_schemes": [normalization] * len(channels)},
        "3d_cascade_fullres": {"inherits_from": configuration}}}
    if window:
        plans["lungtrack_training"] = {"window": window}
    (folder / "dataset.json").write_text(json.dumps(dataset))
    (folder / "plans.json").write_text(json.dumps(plans))
    return folder


def test_lungs_are_the_union_of_each_sides_lobes_and_lesion_voxels_get_the_nearest_lobe():
    seg = np.zeros((6, 4, 10), np.uint8)
    seg[3:, :, 1:4], seg[1:3, :, 1:4], seg[:1, :, 1:4] = 1, 2, 3  # right lobes (x = 0 is the patient's right)
    seg[3:, :, 6:9], seg[:3, :, 6:9] = 4, 5  # left lobes
    seg[5, 1, 2] = 6  # lesion inside the right upper lobe
    seg[0, 0, 0] = 4  # a "left upper lobe" voxel touching the right lung: left lung, as its lobe says
    mapping = {**LOBES, "lesion": [6]}
    lungs = roles.lungs_from(seg, mapping, np.zeros(seg.shape), (1.0, 1.0, 1.0))
    assert set(np.unique(lungs[:, :, 1:4])) == {roles.RIGHT} and set(np.unique(lungs[:, :, 6:9])) == {roles.LEFT}
    lobes = roles.lobes_from(seg, mapping, lungs)
    np.testing.assert_array_equal(lobes > 0, lungs > 0)
    np.testing.assert_array_equal(np.isin(lobes, [1, 2, 3]), lungs == roles.RIGHT)
    assert lobes[5, 1, 2] == 1 and lobes[0, 0, 2] == 3
    assert lobes[0, 0, 0] == 4 and lungs[0, 0, 0] == roles.LEFT
    assert roles.has_lobes(mapping) and not roles.has_lobes({"lung": [1]})


def test_label_maps_name_model_labels_or_values_and_list_them_when_wrong():
    model_labels = {name: v for v, name in enumerate(PART1_LABELS)}
    by_name = {role: [name] for role, name in zip(roles.LOBE_ROLES, ["lung_upper_lobe_right", "lung_middle_lobe_right",
                                                                     "lung_lower_lobe_right", "lung_upper_lobe_left",
                                                                     "lung_lower_lobe_left"])}
    assert roles.label_map(model_labels, by_name, "m") == {
        "lobe_right_upper": [12], "lobe_right_middle": [13], "lobe_right_lower": [14], "lobe_left_upper": [10],
        "lobe_left_lower": [11]}
    with pytest.raises(InputError, match=r"label 'lung_left' .* its labels are 0 background, 1 spleen"):
        roles.label_map(model_labels, {"lung_left": ["lung_left"]}, "m")
    with pytest.raises(InputError, match="label 30 of nnunet.labels is not a foreground label"):
        roles.label_map(model_labels, {"lung": [30]}, "m")
    with pytest.raises(InputError, match="lobes need all five"):
        roles.label_map(model_labels, {"lobe_left_upper": [10], "lobe_left_lower": [11]}, "m")


def test_unmappable_labels_fail_before_loading_listing_labels_and_roles(tmp_path, capsys):
    model = _model(tmp_path / "Dataset009_Spleen" / "nnUNetTrainer__nnUNetPlans__3d_fullres",
                   ["background", "spleen", "liver"])
    with pytest.raises(InputError, match=r"labels 0 background, 1 spleen, 2 liver name no lungtrack role.*roles \[.lung_right"):
        check_model(model)
    image = tmp_path / "ct.nii.gz"
    sitk.WriteImage(sitk.Image(8, 8, 4, sitk.sitkInt16), str(image))
    assert main(["segment", str(image), "--model", str(model.parent), "--lungs", str(tmp_path / "l.nii.gz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1 spleen, 2 liver" in err[0] and "lobe_left_lower" in err[0]


def test_models_for_other_images_are_refused_with_the_reason(tmp_path):
    lung = ["background", "lung"]
    mri = _model(tmp_path / "mri" / "nnUNetTrainer__nnUNetPlans__3d_fullres", lung, {"0": "T2"},
                 "ZScoreNormalization")
    with pytest.raises(InputError, match="channel 'T2' with ZScoreNormalization, not as CT in HU"):
        check_model(mri)
    two = _model(tmp_path / "two" / "nnUNetTrainer__nnUNetPlans__3d_fullres", lung, {"0": "CT", "1": "PET"})
    with pytest.raises(InputError, match="expects 2 input channels"):
        check_model(two)
    slices = _model(tmp_path / "slices" / "nnUNetTrainer__nnUNetPlans__2d", ["background", "lesion"],
                    {"0": "zscore"}, "ZScoreNormalization", "2d")
    with pytest.raises(InputError, match="needs its HU window recorded by `lungtrack train --window LO HI`"):
        check_model(slices, need="lesions")
    assert check_model(slices, need="lesions", hu=False)[1] == {"lesion": [1]}  # an 8-bit slice is fine
    windowed_model = _model(tmp_path / "windowed" / "nnUNetTrainer__nnUNetPlans__2d", ["background", "lesion"],
                            {"0": "noNorm"}, "NoNormalization", "2d", window=[-1250, 250])
    info, _ = check_model(windowed_model, need="lesions")
    assert info.window == (-1250.0, 250.0) and info.is_2d
    cascade = _model(tmp_path / "c" / "nnUNetTrainer__nnUNetPlans__3d_cascade_fullres", lung)
    assert inspect_model(str(cascade)).normalization == ("CTNormalization",)  # inherited from 3d_fullres


def test_training_records_the_window_of_its_slices_in_the_plans():
    plans = {"plans_name": "nnUNetPlans", "configurations": {"2d": {"architecture": {"arch_kwargs": {
        "features_per_stage": [32, 64]}}}}}
    out = lungtrack_plans(plans, TrainingOptions(configuration="2d", window=(-1250, 250), augmentation=False))
    assert out["lungtrack_training"]["window"] == [-1250.0, 250.0] and not out["lungtrack_training"]["augmentation"]
    with pytest.raises(InputError, match="lower HU bound must be below the upper"):
        lungtrack_plans(plans, TrainingOptions(configuration="2d", window=(250, -1250)))


def test_window_maps_hu_to_0_255():
    image = sitk.GetImageFromArray(np.array([[[-2000, -1250, -500, 250, 1000]]], np.int16))
    np.testing.assert_allclose(sitk.GetArrayFromImage(windowed(image, (-1250, 250)))[0, 0], [0, 0, 127.5, 255, 255])


@pytest.mark.parametrize("name", ["totalsegmentator", "totalsegmentator_fast"])
def test_preset_finds_its_task_folder_in_totalsegmentators_weights(tmp_path, name):
    spec = presets()[name]
    home = tmp_path / ".totalsegmentator"
    task = _model(home / "nnunet" / "results" / spec["dataset"] / spec["model"], PART1_LABELS)
    _model(home / "nnunet" / "results" / "Dataset292_TotalSegmentator_part2_vertebrae_1532subj" / MODEL,
           ["background", "vertebrae_L5"])
    for where in (home, home / "nnunet" / "results", task.parent, task):
        assert preset_folder(name, where) == task
    info, mapping = check_model(home / "nnunet" / "results", preset=name)
    assert info.folder == task and mapping["lobe_left_upper"] == [10] and mapping["lobe_right_middle"] == [13]
    assert gives_lobes(home, preset=name) and not gives_lobes(tmp_path / "absent")
    with pytest.raises(InputError, match=f"download it with `{spec['download']}`"):
        preset_folder(name, tmp_path / "empty")
    assert spec["dataset"] == DATASET or name.endswith("fast")


def test_measure_adds_poi_and_severity_per_lobe(tmp_path):
    lungs = np.zeros((30, 20, 20), np.uint8)
    lungs[2:28, 4:16, 2:9], lungs[2:28, 4:16, 11:18] = 1, 2
    lobes = phantom_lobes(lungs)
    lesions = np.zeros_like(lungs)
    lesions[lobes == 5] = 1  # the whole left lower lobe
    paths = {}
    for name, array in (("ct", np.full(lungs.shape, -800, np.int16)), ("lungs", lungs), ("lesions", lesions),
                        ("lobes", lobes)):
        image = sitk.GetImageFromArray(array)
        image.SetSpacing((2.0, 2.0, 2.5))
        paths[name] = tmp_path / f"{name}.nii.gz"
        sitk.WriteImage(image, str(paths[name]))
    record = measure_case(paths["ct"], paths["lungs"], paths["lesions"], lobes_path=paths["lobes"])
    assert record["lobes"]["left_lower_lobe"]["poi"] == pytest.approx(100.0)
    assert record["lobes"]["left_lower_lobe"]["severity"] == 5 and record["lobe_severity_total"] == 5
    assert sum(v["lung_ml"] for v in record["lobes"].values()) == pytest.approx(record["lung_ml"])
