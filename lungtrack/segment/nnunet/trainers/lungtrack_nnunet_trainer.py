"""nnU-Net's default trainer with a training length and optimizer chosen per run.

nnU-Net imports this module by itself (``nnUNet_extTrainer`` points at this folder), both to
train and to rebuild the network at inference.
"""

import os
import random

import numpy as np
import torch
from nnunetv2.training.lr_scheduler.polylr import PolyLRScheduler
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer


class nnUNetTrainerLungtrack(nnUNetTrainer):
    """``nnUNetTrainer`` configured by the plans' ``"lungtrack_training"`` entry.

    Keys: ``epochs``, ``iterations_per_epoch``, ``val_iterations_per_epoch`` (absent: nnU-Net's
    defaults of 1000 epochs of 250 training and 50 validation iterations), ``optimizer``: "sgd"
    (nnU-Net's SGD, momentum 0.99, learning rate 0.01) or "adam" (Adam, learning rate 0.001, which
    converges within the few hundred iterations of a CPU training), ``augmentation`` (false: none,
    the validation transforms only, for quick smoke-test models), ``seed`` (absent: unseeded).
    With a seed the initial weights, the patches drawn and their augmentation repeat: Python's,
    NumPy's and torch's generators are seeded before the network is built, torch uses its
    deterministic algorithms (cuDNN without benchmarking), and the data augmentation runs in
    this process (``nnUNet_n_proc_DA=0``): nnU-Net's worker processes reseed themselves from the
    operating system and hand batches over in the order they finish. Keeping them in the plans
    makes a run reproducible with ``nnUNetv2_train -tr nnUNetTrainerLungtrack`` and records them
    in the model folder's ``plans.json``.
    """

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict,
                 device: torch.device = torch.device("cuda")):
        super().__init__(plans, configuration, fold, dataset_json, device)
        settings = plans.get("lungtrack_training", {})
        self.num_epochs = int(settings.get("epochs", self.num_epochs))
        self.num_iterations_per_epoch = int(settings.get("iterations_per_epoch", self.num_iterations_per_epoch))
        self.num_val_iterations_per_epoch = int(
            settings.get("val_iterations_per_epoch", self.num_val_iterations_per_epoch))
        self.optimizer_name = settings.get("optimizer", "sgd")
        self.augmentation = bool(settings.get("augmentation", True))
        if self.optimizer_name == "adam":
            self.initial_lr = 1e-3
        if settings.get("seed") is not None:
            _seed_everything(int(settings["seed"]))

    def configure_rotation_dummyDA_mirroring_and_inital_patch_size(self):
        rotation, dummy_2d, initial_patch_size, mirror_axes = \
            super().configure_rotation_dummyDA_mirroring_and_inital_patch_size()
        if self.augmentation:
            return rotation, dummy_2d, initial_patch_size, mirror_axes
        self.inference_allowed_mirroring_axes = None
        return rotation, dummy_2d, self.configuration_manager.patch_size, None

    def get_training_transforms(self, patch_size, rotation_for_DA, deep_supervision_scales, *args, **kwargs):
        if self.augmentation:
            return nnUNetTrainer.get_training_transforms(patch_size, rotation_for_DA, deep_supervision_scales,
                                                         *args, **kwargs)
        return nnUNetTrainer.get_validation_transforms(deep_supervision_scales, kwargs.get("is_cascaded", False),
                                                       kwargs.get("foreground_labels"), kwargs.get("regions"),
                                                       kwargs.get("ignore_label"))

    def configure_optimizers(self):
        if self.optimizer_name != "adam":
            return super().configure_optimizers()
        optimizer = torch.optim.Adam(self.network.parameters(), lr=self.initial_lr, weight_decay=self.weight_decay)
        return optimizer, PolyLRScheduler(optimizer, self.initial_lr, self.num_epochs)


def _seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch, ask torch for deterministic algorithms, augment in this process."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    os.environ["nnUNet_n_proc_DA"] = "0"
