"""Train an nnU-Net v2 model on labelled cases and install it for the nnunet backend."""

import logging
import time

from lungtrack.settings import add_options

log = logging.getLogger(__name__)


#: config keys given as flags (the workflow gives MODEL_DIR, nnunet.model, and --workers from the job's threads)
OPTIONS = {"training": ["images", "lungs", "lesions", "mask_values", "phantom.patients", "phantom.timepoints",
                        "phantom.seed", "configuration", "optimizer", "folds", "epochs", "iterations_per_epoch",
                        "batch_size", "base_features", "max_features", "target_spacing_mm", "window", "seed",
                        "device", "work_dir", "dataset_id", "dataset_name"]}


def add_arguments(parser) -> None:
    parser.add_argument("model_dir", help="where the trained model is installed (nnunet.model)")
    add_options(parser, "training", OPTIONS["training"])
    add_options(parser, "nnunet", ["workers"])
    parser.add_argument("--no-augmentation", action="store_true",
                        help="no data augmentation: learns a few cases fast (smoke-test models), generalises worse")


def run(args) -> int:
    from pathlib import Path

    from lungtrack.errors import InputError
    from lungtrack.train.dataset import find_cases
    from lungtrack.train.nnunet_training import TrainingOptions, cross_validation_dice, train_model

    start = time.perf_counter()
    model_dir = Path(args.model_dir)
    work_dir = Path(args.work_dir) if args.work_dir else model_dir.with_name(model_dir.name + ".work")
    if args.images:
        cases = find_cases(args.images, args.lungs, args.lesions)
        mask_values = args.mask_values
    else:
        from lungtrack.train.phantom_cases import phantom_cases

        cases = phantom_cases(work_dir / "phantom", args.phantom_patients, args.phantom_timepoints,
                              args.phantom_seed)
        mask_values = "lungtrack"
    opts = TrainingOptions(
        configuration=args.configuration, optimizer=args.optimizer,
        folds=tuple(f if f == "all" else int(f) for f in args.folds),
        epochs=args.epochs, iterations_per_epoch=args.iterations_per_epoch, batch_size=args.batch_size,
        base_features=args.base_features, max_features=args.max_features, device=args.device,
        workers=args.workers, target_spacing_mm=tuple(args.target_spacing_mm) if args.target_spacing_mm else None,
        window=tuple(args.window) if args.window else None, augmentation=not args.no_augmentation, seed=args.seed)
    if opts.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise InputError(model_dir, "device cuda asked but no CUDA GPU is available")
    installed = train_model(cases, work_dir, model_dir, args.dataset_id, args.dataset_name, mask_values, opts)
    dice = cross_validation_dice(installed)
    mean = sum(dice.values()) / len(dice) if dice else float("nan")
    log.info("trained %s on %d cases in %.0f s; validation Dice %s, mean %.3f", installed, len(cases),
             time.perf_counter() - start, {k: round(v, 3) for k, v in dice.items()}, mean)
    return 0
