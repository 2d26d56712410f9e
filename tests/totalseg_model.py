"""A tiny TotalSegmentator look-alike that lungtrack trains on phantom CTs with geometric lobes.

Same folder layout (``Dataset291_TotalSegmentator_part1_organs_1559subj/
nnUNetTrainerNoMirroring__nnUNetPlans__3d_fullres/fold_0/checkpoint_final.pth``, ``plans.json``,
``dataset.json``), trainer and plans names in the checkpoint and plans, and label names and values as
TotalSegmentator v2's 1.5 mm organ model, so that a real weights folder takes the same path through
lungtrack. Only the five lobes occur in its training labels.
"""

import json
import shutil
from pathlib import Path

import SimpleITK as sitk

from lungtrack.io.images import write_image
from lungtrack.phantom.case import make_case
from lungtrack.phantom.lobes import phantom_lobes
from lungtrack.segment.nnunet.env import configure
from lungtrack.segment.nnunet.model import as_volume
from lungtrack.train.nnunet_training import TrainingOptions, install_model, plan_and_preprocess, train_folds

DATASET = "Dataset291_TotalSegmentator_part1_organs_1559subj"
MODEL = "nnUNetTrainerNoMirroring__nnUNetPlans__3d_fullres"
# dataset.json labels of TotalSegmentator v2's part 1 (organs), values 0-24 in this order
PART1_LABELS = ["background", "spleen", "kidney_right", "kidney_left", "gallbladder", "liver", "stomach", "pancreas",
                "adrenal_gland_right", "adrenal_gland_left", "lung_upper_lobe_left", "lung_lower_lobe_left",
                "lung_upper_lobe_right", "lung_middle_lobe_right", "lung_lower_lobe_right", "esophagus", "trachea",
                "thyroid_gland", "small_bowel", "duodenum", "colon", "urinary_bladder", "prostate",
                "kidney_cyst_left", "kidney_cyst_right"]
# phantom lobe (1 RUL, 2 RML, 3 RLL, 4 LUL, 5 LLL) -> TotalSegmentator label name
LOBE_NAMES = {1: "lung_upper_lobe_right", 2: "lung_middle_lobe_right", 3: "lung_lower_lobe_right",
              4: "lung_upper_lobe_left", 5: "lung_lower_lobe_left"}
PHANTOM = {"matrix": 96, "pixel_mm": 3.6, "slice_mm": 5.0}
OPTIONS = TrainingOptions(configuration="3d_fullres", optimizer="adam", folds=("all",), epochs=15,
                          iterations_per_epoch=10, batch_size=2, base_features=8, max_features=32, workers=2,
                          target_spacing_mm=(7.2, 7.2, 7.5), augmentation=False, seed=0)


def _export(raw_dir: Path, patients: int, seed: int) -> None:
    folder = raw_dir / DATASET
    (folder / "imagesTr").mkdir(parents=True)
    (folder / "labelsTr").mkdir()
    for i in range(patients):
        case = make_case(seed + i, 0, 1, **PHANTOM)
        lobes = phantom_lobes(case.lungs)
        labels = lobes.copy()
        for lobe, name in LOBE_NAMES.items():
            labels[lobes == lobe] = PART1_LABELS.index(name)
        volume = as_volume(case.image())
        label_image = as_volume(case.image(labels), sitk.sitkUInt8)
        write_image(volume, folder / "imagesTr" / f"s{i:04d}_0000.nii.gz")
        write_image(label_image, folder / "labelsTr" / f"s{i:04d}.nii.gz")
    dataset = {"channel_names": {"0": "CT"}, "labels": {name: v for v, name in enumerate(PART1_LABELS)},
               "numTraining": patients, "file_ending": ".nii.gz", "name": DATASET}
    (folder / "dataset.json").write_text(json.dumps(dataset, indent=2))


def _as_totalsegmentator(installed: Path) -> Path:
    """Rename trainer, plans and fold the way TotalSegmentator's weights are named."""
    import torch

    target = installed.parent / MODEL
    installed.rename(target)
    (target / "fold_all").rename(target / "fold_0")
    plans = json.loads((target / "plans.json").read_text())
    plans.pop("lungtrack_training")
    plans["plans_name"] = "nnUNetPlans"
    (target / "plans.json").write_text(json.dumps(plans, indent=2))
    checkpoint_path = target / "fold_0" / "checkpoint_final.pth"
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    checkpoint["trainer_name"] = "nnUNetTrainerNoMirroring"
    checkpoint["init_args"]["plans"] = plans
    checkpoint["init_args"]["fold"] = 0
    torch.save(checkpoint, checkpoint_path)
    return target


def build(weights_dir, work_dir, patients: int = 2, seed: int = 3000) -> Path:
    """Train the look-alike (15 epochs of 10 iterations without augmentation, seeded: the same checkpoint on
    every run on one machine; 4-11 min on 2 busy cores); return its task folder ``weights_dir/DATASET/MODEL``."""
    configure(OPTIONS.workers, work_dir)
    from nnunetv2.paths import nnUNet_raw

    _export(Path(nnUNet_raw), patients, seed)
    plan_and_preprocess(291, OPTIONS)
    results = train_folds(291, OPTIONS)
    installed = install_model(results, Path(work_dir) / "installed")
    weights_dir = Path(weights_dir)
    weights_dir.mkdir(parents=True, exist_ok=True)
    shutil.move(str(installed.parent), weights_dir / DATASET)
    return _as_totalsegmentator(weights_dir / DATASET / installed.name)
