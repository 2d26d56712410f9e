"""Backend nnunet without a trained network: label roles, geometry, model folders, environment, plans."""

import os

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.cli import main
from lungtrack.errors import InputError
from lungtrack.segment.nnunet import labels as roles
from lungtrack.segment.nnunet.env import TRAINERS_DIR, configure
from lungtrack.segment.nnunet.model import as_volume, back_on_grid, resolve_model_folder
from lungtrack.train.nnunet_training import TrainingOptions, features_per_stage, lungtrack_plans


def test_label_map_from_dataset_names_and_from_config():
    names = {"background": 0, "lung_right": 1, "lung_left": 2, "ggo": 3, "consolidation": 4}
    assert roles.label_map(names, None, "m") == {"lung_right": [1], "lung_left": [2], "ggo": [3],
                                                 "consolidation": [4]}
    assert roles.label_map({"background": 0, "a": 1, "b": 2}, {"lung": [1], "lesion": 2}, "m") == {
        "lung": [1], "lesion": [2]}
    with pytest.raises(InputError, match="name no lungtrack role"):
        roles.label_map({"background": 0, "liver": 1}, None, "m")
    with pytest.raises(InputError, match="unknown label role"):
        roles.label_map(names, {"heart": [1]}, "m")


def test_lungs_take_lesion_voxels_with_the_side_of_the_nearest_lung():
    seg = np.zeros((1, 4, 10), np.uint8)
    seg[0, :, 1:4] = 1  # right lung (x = 0 is the patient's right)
    seg[0, :, 6:9] = 2  # left lung
    seg[0, 1, 3] = 3  # GGO inside the right lung
    seg[0, 2, 8] = 4  # consolidation inside the left lung
    mapping = {"lung_right": [1], "lung_left": [2], "ggo": [3], "consolidation": [4]}
    lungs = roles.lungs_from(seg, mapping, np.zeros(seg.shape), (1.0, 1.0, 1.0))
    assert lungs[0, 1, 3] == roles.RIGHT and lungs[0, 2, 8] == roles.LEFT
    assert (lungs > 0).sum() == (seg > 0).sum()
    lesions = roles.lesions_from(seg, mapping, lungs)
    assert lesions[0, 1, 3] == roles.GGO and lesions[0, 2, 8] == roles.CONSOLIDATION
    assert (lesions > 0).sum() == 2


def test_unsided_lungs_are_split_into_right_and_left_by_the_body_midline():
    hu = np.full((6, 20, 30), -1000.0)
    hu[:, 2:18, 2:28] = 40  # body
    seg = np.zeros(hu.shape, np.uint8)
    seg[:, 5:15, 5:13] = 1  # right lung (x = 0 is the patient's right)
    seg[:, 5:15, 17:25] = 1  # left lung
    seg[2, 8, 12] = 2  # lesion at the edge of the right lung
    seg[4, 0, 0] = 1  # stray "lung" voxel in the air around the body
    hu[seg == 1] = -850
    mapping = {"lung": [1], "lesion": [2]}
    lungs = roles.lungs_from(seg, mapping, hu, (2.0, 1.0, 1.0))
    assert set(np.unique(lungs[:, 5:15, 5:13])) == {roles.RIGHT}
    assert set(np.unique(lungs[:, 5:15, 17:25])) == {roles.LEFT}
    assert lungs[2, 8, 12] == roles.RIGHT and lungs[4, 0, 0] == 0
    lesions = roles.lesions_from(seg, mapping, lungs)
    assert lesions[2, 8, 12] == roles.GGO and lesions.sum() == roles.GGO
    lungs[2, 8, 12] = 0  # a lesion map is cut to the lungs it is given
    assert not roles.lesions_from(seg, mapping, lungs).any()


def _image(array, direction):
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((0.8, 0.9, 2.5))
    image.SetOrigin((10.0, -20.0, 30.0))
    image.SetDirection(direction)
    return image


def test_volume_and_labels_round_trip_any_orientation():
    array = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    ras = (-1.0, 0, 0, 0, -1.0, 0, 0, 0, 1.0)
    image = _image(array, ras)
    volume = as_volume(image)
    assert volume.GetDirection() == pytest.approx((1, 0, 0, 0, 1, 0, 0, 0, 1))
    # voxel (x=0) of the LPS volume is the image's last column (its x axis runs to the right)
    assert sitk.GetArrayFromImage(volume)[0, 0, 0] == array[0, -1, -1]
    labels = back_on_grid((sitk.GetArrayFromImage(volume) % 3).astype(np.uint8), volume, image)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(labels), array % 3)
    assert labels.GetOrigin() == image.GetOrigin() and labels.GetPixelID() == sitk.sitkUInt8


def test_2d_images_become_one_slice_volumes_and_come_back():
    rgb = sitk.Compose([sitk.GetImageFromArray(np.full((3, 4), v, np.uint8)) for v in (30, 60, 90)])
    volume = as_volume(rgb)
    assert volume.GetSize() == (4, 3, 1) and volume.GetSpacing()[2] == 999.0
    assert np.allclose(sitk.GetArrayFromImage(volume), 60.0)
    labels = back_on_grid(np.ones((1, 3, 4), np.uint8), volume, rgb)
    assert labels.GetDimension() == 2 and labels.GetSize() == (4, 3)


def test_model_folder_is_found_below_and_ambiguity_is_an_error(tmp_path):
    model = tmp_path / "models" / "Dataset501_X" / "T__P__3d_fullres"
    model.mkdir(parents=True)
    (model / "plans.json").write_text("{}")
    with pytest.raises(InputError, match="without dataset.json"):
        resolve_model_folder(model)
    (model / "dataset.json").write_text("{}")
    assert resolve_model_folder(tmp_path / "models") == model
    assert resolve_model_folder(model) == model
    (tmp_path / "models" / "Dataset501_X" / "T__P__2d").mkdir()
    (tmp_path / "models" / "Dataset501_X" / "T__P__2d" / "plans.json").write_text("{}")
    with pytest.raises(InputError, match="holds 2 nnU-Net models"):
        resolve_model_folder(tmp_path / "models")
    with pytest.raises(InputError, match="no trained nnU-Net model"):
        resolve_model_folder(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        resolve_model_folder(tmp_path / "absent")


def test_environment_is_set_by_lungtrack(tmp_path, monkeypatch):
    for name in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results", "nnUNet_extTrainer", "nnUNet_n_proc_DA"):
        monkeypatch.delenv(name, raising=False)
    configure(1, tmp_path / "work")
    assert os.environ["nnUNet_results"] == str((tmp_path / "work" / "results").resolve())
    assert (tmp_path / "work" / "raw").is_dir()
    assert os.environ["nnUNet_n_proc_DA"] == "1" and os.environ["nnUNet_compile"] == "false"
    assert (TRAINERS_DIR / "lungtrack_nnunet_trainer.py").is_file()
    assert os.environ["nnUNet_extTrainer"] == str(TRAINERS_DIR)


def test_smaller_network_and_training_length_go_into_the_plans():
    assert features_per_stage([32, 64, 128, 256, 320], 4, 32) == [4, 8, 16, 32, 32]
    assert features_per_stage([32, 64, 128, 256, 320], None, 64) == [32, 64, 64, 64, 64]
    assert features_per_stage([32, 64], None, None) == [32, 64]
    plans = {"plans_name": "nnUNetPlans", "configurations": {"2d": {
        "batch_size": 12, "architecture": {"arch_kwargs": {"features_per_stage": [32, 64, 128]}}}}}
    out = lungtrack_plans(plans, TrainingOptions(configuration="2d", epochs=3, iterations_per_epoch=7,
                                                 batch_size=2, base_features=8, optimizer="adam"))
    assert out["plans_name"] == "lungtrackPlans"
    assert out["configurations"]["2d"]["architecture"]["arch_kwargs"]["features_per_stage"] == [8, 16, 32]
    assert out["configurations"]["2d"]["batch_size"] == 2
    assert out["lungtrack_training"] == {"epochs": 3, "iterations_per_epoch": 7, "val_iterations_per_epoch": 1,
                                         "optimizer": "adam", "augmentation": True}
    assert plans["configurations"]["2d"]["batch_size"] == 12  # the planned plans stay untouched
    with pytest.raises(InputError, match="no '3d_fullres' configuration"):
        lungtrack_plans(plans, TrainingOptions(configuration="3d_fullres"))


def test_segment_cli_reports_a_missing_model_in_one_line(tmp_path, capsys):
    image = tmp_path / "ct.nii.gz"
    sitk.WriteImage(sitk.Image(4, 4, 4, sitk.sitkInt16), str(image))
    assert main(["segment", "--model", str(tmp_path / "none"), str(image), str(tmp_path / "out.nii.gz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"lungtrack segment: error: {tmp_path / 'none'}: nnU-Net model folder does not exist"]
    assert not (tmp_path / "out.nii.gz").exists()


def test_a_seeded_training_records_its_seed_and_the_trainer_seeds_everything(monkeypatch):
    import random

    import torch

    from lungtrack.segment.nnunet.trainers.lungtrack_nnunet_trainer import _seed_everything

    plans = {"plans_name": "nnUNetPlans", "configurations": {"2d": {"architecture": {"arch_kwargs": {
        "features_per_stage": [32, 64]}}}}}
    assert lungtrack_plans(plans, TrainingOptions(configuration="2d", seed=7))["lungtrack_training"]["seed"] == 7
    assert "seed" not in lungtrack_plans(plans, TrainingOptions(configuration="2d"))["lungtrack_training"]
    monkeypatch.setenv("nnUNet_n_proc_DA", "2")
    draws = []
    for _ in range(2):
        _seed_everything(7)
        draws.append((random.random(), np.random.rand(), torch.rand(1).item()))
    assert draws[0] == draws[1] and os.environ["nnUNet_n_proc_DA"] == "0"
    assert torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(False)
