"""Planning, preprocessing, training and installing an nnU-Net v2 model, in-process on CPU or GPU.

The work folder holds nnU-Net's ``raw``, ``preprocessed`` and ``results`` trees (set by
:func:`lungtrack.segment.nnunet.env.configure`). Training uses ``nnUNetTrainerLungtrack`` and the
plans ``lungtrackPlans``: nnU-Net's own plans, with an optional smaller network (features per
stage base·2^i capped at a maximum), batch size and the training length (epochs x iterations).
The trained model is installed as ``MODEL_DIR/DatasetXXX_Name/Trainer__Plans__Config``.
Functions that start nnU-Net's worker processes must run under ``if __name__ == "__main__"``.
"""

import json
import logging
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from lungtrack.errors import InputError
from lungtrack.segment.nnunet.env import configure
from lungtrack.train.dataset import export_dataset

log = logging.getLogger(__name__)

TRAINER = "nnUNetTrainerLungtrack"
PLANS = "lungtrackPlans"


@dataclass(frozen=True)
class TrainingOptions:
    """How to train: nnU-Net ``configuration``, ``optimizer`` ("sgd": nnU-Net's; "adam": faster
    for short trainings), ``folds`` (numbers of a 5-fold split, or "all"),
    ``epochs`` x ``iterations_per_epoch`` (validation: a fifth of those), ``batch_size``
    (None: planned), ``base_features``/``max_features`` (None: planned network), ``device``
    ("cpu"/"cuda"), ``workers`` (CPU processes and threads) and ``target_spacing_mm`` (x, y, z)
    the network works at, 2d using x and y (None: planned; coarser trains and predicts faster);
    ``window`` (lo, hi) HU the 8-bit training slices were made with, recorded in the plans so that
    the backend can window HU volumes for the model (None: none); ``augmentation`` (False: none,
    for quick smoke-test models); ``seed`` (None: unseeded) of a deterministic training, recorded
    in the plans (see ``nnUNetTrainerLungtrack``)."""

    configuration: str = "3d_fullres"
    optimizer: str = "sgd"
    folds: tuple = (0,)
    epochs: int = 1000
    iterations_per_epoch: int = 250
    batch_size: int | None = None
    base_features: int | None = None
    max_features: int | None = None
    device: str = "cpu"
    workers: int = 2
    target_spacing_mm: tuple | None = None
    window: tuple | None = None
    augmentation: bool = True
    seed: int | None = None


def features_per_stage(planned: list[int], base: int | None, maximum: int | None) -> list[int]:
    """Features of each encoder stage: base·2^i (or the planned ones), capped at ``maximum``."""
    features = [base * 2 ** i for i in range(len(planned))] if base else list(planned)
    return [min(f, maximum) for f in features] if maximum else features


def lungtrack_plans(plans: dict, opts: TrainingOptions) -> dict:
    """nnU-Net's plans turned into ``lungtrackPlans`` for ``opts`` (network size, batch, length, optimizer)."""
    if opts.configuration not in plans["configurations"]:
        raise InputError(None, f"nnU-Net planned no {opts.configuration!r} configuration for this dataset "
                               f"(planned: {', '.join(plans['configurations'])})")
    plans = json.loads(json.dumps(plans))
    plans["plans_name"] = PLANS
    config = plans["configurations"][opts.configuration]
    kwargs = config["architecture"]["arch_kwargs"]
    kwargs["features_per_stage"] = features_per_stage(kwargs["features_per_stage"], opts.base_features,
                                                      opts.max_features)
    if opts.batch_size:
        config["batch_size"] = int(opts.batch_size)
    plans["lungtrack_training"] = {
        "epochs": int(opts.epochs),
        "iterations_per_epoch": int(opts.iterations_per_epoch),
        "val_iterations_per_epoch": max(1, int(opts.iterations_per_epoch) // 5),
        "optimizer": opts.optimizer,
        "augmentation": bool(opts.augmentation),
    }
    if opts.window is not None:
        lo, hi = (float(v) for v in opts.window)
        if not lo < hi:
            raise InputError(None, f"window {opts.window}: the lower HU bound must be below the upper one")
        plans["lungtrack_training"]["window"] = [lo, hi]
    if opts.seed is not None:
        plans["lungtrack_training"]["seed"] = int(opts.seed)
    return plans


def target_spacing_zyx(spacing_xyz_mm, case_spacings_zyx) -> tuple | None:
    """nnU-Net's target spacing (z, y, x) mm from lungtrack's (x, y, z); None keeps nnU-Net's plan.

    2D images carry nnU-Net's dummy slice spacing (999) in every case of ``case_spacings_zyx``: their
    z stays so (a target z would "resample" the single slice into hundreds), only x and y apply.
    """
    if spacing_xyz_mm is None:
        return None
    target = tuple(float(v) for v in spacing_xyz_mm)[::-1]
    dummy_z = {float(s[0]) for s in case_spacings_zyx}
    if len(dummy_z) == 1 and dummy_z.pop() >= 999:
        target = (float(case_spacings_zyx[0][0]),) + target[1:]
    return target


def plan_and_preprocess(dataset_id: int, opts: TrainingOptions) -> Path:
    """Fingerprint, plan, write ``lungtrackPlans`` and preprocess ``opts.configuration``; return the plans file."""
    from nnunetv2.experiment_planning.plan_and_preprocess_api import (
        extract_fingerprint_dataset, plan_experiment_dataset, preprocess_dataset)
    from nnunetv2.paths import nnUNet_preprocessed
    from nnunetv2.utilities.dataset_name_id_conversion import convert_id_to_dataset_name

    fingerprint = extract_fingerprint_dataset(dataset_id, num_processes=opts.workers, check_dataset_integrity=True,
                                              clean=True, verbose=False, show_progress_bar=False)
    plans, _ = plan_experiment_dataset(
        dataset_id, overwrite_target_spacing=target_spacing_zyx(opts.target_spacing_mm, fingerprint["spacings"]))
    plans_file = Path(str(nnUNet_preprocessed)) / convert_id_to_dataset_name(dataset_id) / f"{PLANS}.json"
    plans_file.write_text(json.dumps(lungtrack_plans(plans, opts), indent=2))
    preprocess_dataset(dataset_id, PLANS, [opts.configuration], [opts.workers], verbose=False,
                       show_progress_bar=False)
    return plans_file


def train_folds(dataset_id: int, opts: TrainingOptions) -> Path:
    """Train and validate each fold of ``opts``; return nnU-Net's results folder of the model."""
    import torch
    from nnunetv2.run.run_training import get_trainer_from_args

    folder = None
    for fold in opts.folds:
        trainer = get_trainer_from_args(str(dataset_id), opts.configuration, fold if fold == "all" else int(fold),
                                        TRAINER, PLANS, device=torch.device(opts.device))
        trainer.run_training()
        trainer.perform_actual_validation(False)
        folder = Path(trainer.output_folder_base)
        log.info("fold %s trained: %s", fold, cross_validation_dice(folder).get(str(fold)))
    return folder


def cross_validation_dice(model_folder) -> dict:
    """Fold -> foreground Dice of nnU-Net's validation of that fold (``fold_K/validation/summary.json``):
    the mean over labels of each label's mean Dice over cases, labels absent everywhere left out."""
    out = {}
    for summary in sorted(Path(model_folder).glob("fold_*/validation/summary.json")):
        per_label = [m["Dice"] for m in json.loads(summary.read_text())["mean"].values()]
        per_label = [d for d in per_label if d is not None and not math.isnan(d)]
        out[summary.parent.parent.name.removeprefix("fold_")] = sum(per_label) / len(per_label) if per_label \
            else float("nan")
    return out


def install_model(results_folder, model_dir) -> Path:
    """Copy a trained model (final checkpoints, plans, validation summaries) to
    ``model_dir/DatasetXXX_Name/Trainer__Plans__Config``, replacing what was there; return that folder."""
    results_folder = Path(results_folder)
    model_dir = Path(model_dir)
    tmp = model_dir.with_name(f".{model_dir.name}.installing")
    if tmp.exists():
        shutil.rmtree(tmp)
    target = tmp / results_folder.parent.name / results_folder.name
    shutil.copytree(results_folder, target, ignore=shutil.ignore_patterns(
        "checkpoint_best.pth", "checkpoint_latest.pth", "*.nii.gz", "*.npz", "*.pkl"))
    if model_dir.exists():
        shutil.rmtree(model_dir)
    tmp.rename(model_dir)
    return model_dir / results_folder.parent.name / results_folder.name


def train_model(cases, work_dir, model_dir, dataset_id: int = 501, name: str = "Lungtrack",
                mask_values: str = "lungtrack", opts: TrainingOptions = TrainingOptions()) -> Path:
    """Export ``cases``, plan, preprocess, train every fold of ``opts`` and install the model in ``model_dir``."""
    numbered = [f for f in opts.folds if f != "all"]
    if numbered and len(cases) < 5:
        raise InputError(None, f"folds {numbered} need a 5-fold split of at least 5 cases, got {len(cases)};"
                               " train fold 'all' instead")
    configure(opts.workers, work_dir)
    from nnunetv2.paths import nnUNet_raw

    export_dataset(cases, str(nnUNet_raw), dataset_id, name, mask_values)
    plan_and_preprocess(dataset_id, opts)
    results = train_folds(dataset_id, opts)
    installed = install_model(results, model_dir)
    dice = cross_validation_dice(installed)
    log.info("model installed in %s; validation Dice per fold %s", installed,
             {k: round(v, 4) for k, v in dice.items()})
    return installed
