"""nnU-Net's environment, set by lungtrack itself (users never export ``nnUNet_*`` variables).

nnU-Net v2 reads its folders and worker counts from environment variables, some of them when its
modules are first imported. :func:`configure` therefore runs before any ``nnunetv2`` import.
"""

import os
from pathlib import Path

# Folder searched through nnUNet_extTrainer for lungtrack's trainer (at training and inference).
TRAINERS_DIR = Path(__file__).resolve().parent / "trainers"


def configure(workers: int = 2, work_dir=None) -> None:
    """Set nnU-Net's variables for this process and limit torch to ``workers`` threads.

    ``workers`` is the number of CPU processes nnU-Net may start (data augmentation,
    preprocessing, export) and of torch threads; 2 suits a 2-core machine. ``work_dir``, when
    given, holds nnU-Net's ``raw``, ``preprocessed`` and ``results`` folders (training only).
    """
    workers = max(1, int(workers))
    os.environ["nnUNet_extTrainer"] = str(TRAINERS_DIR)
    os.environ["nnUNet_compile"] = "false"
    os.environ["nnUNet_n_proc_DA"] = str(workers)
    os.environ["nnUNet_def_n_proc"] = str(workers)
    os.environ["nnUNet_npp"] = str(workers)
    os.environ["nnUNet_nps"] = str(workers)
    if work_dir is not None:
        work_dir = Path(work_dir).resolve()
        for name in ("raw", "preprocessed", "results"):
            folder = work_dir / name
            folder.mkdir(parents=True, exist_ok=True)
            os.environ[f"nnUNet_{name}"] = str(folder)
    import torch

    torch.set_num_threads(workers)
