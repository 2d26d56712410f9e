"""Train an nnU-Net v2 model on labelled cases and install it for the nnunet backend."""

import logging
import time

log = logging.getLogger(__name__)


def add_arguments(parser) -> None:
    parser.add_argument("model_dir", help="where the trained model is installed (nnunet.model)")
    source = parser.add_argument_group("labelled cases: image folder with mask folders, or a phantom cohort")
    source.add_argument("--images", help="folder of images: NIfTI volumes in HU, or 2D slices (PNG, JPG, ...)")
    source.add_argument("--lungs", help="folder of lung masks named like the images")
    source.add_argument("--lesions", help="folder of lesion masks named like the images")
    source.add_argument("--mask-values", choices=["lungtrack", "binary"], default="lungtrack",
                        help="lungtrack: lungs 1 right 2 left, lesions 1 GGO 2 consolidation;"
                             " binary: any non-zero value is lung / lesion")
    source.add_argument("--phantom-patients", type=int, default=6,
                        help="without --images: train on this many phantom patients' truth")
    source.add_argument("--phantom-timepoints", type=int, default=1)
    source.add_argument("--phantom-seed", type=int, default=1000)
    net = parser.add_argument_group("nnU-Net")
    net.add_argument("--configuration", default="3d_fullres", choices=["2d", "3d_fullres", "3d_lowres"])
    net.add_argument("--folds", nargs="+", default=["0"], help="folds of a 5-fold split (0-4) and/or 'all'")
    net.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd",
                     help="sgd: nnU-Net's (long trainings); adam: converges in a few hundred iterations")
    net.add_argument("--epochs", type=int, default=1000)
    net.add_argument("--iterations", type=int, default=250, help="training iterations per epoch")
    net.add_argument("--batch-size", type=int, help="default: nnU-Net's planned batch size")
    net.add_argument("--base-features", type=int, help="smaller network: features of the first stage")
    net.add_argument("--max-features", type=int, help="smaller network: cap on the features of any stage")
    net.add_argument("--target-spacing", type=float, nargs=3, metavar=("X", "Y", "Z"),
                     help="3d_fullres voxel size in mm (default: planned); coarser is faster")
    net.add_argument("--window", type=float, nargs=2, metavar=("LO", "HI"),
                     help="HU window the 8-bit training slices were made with (LO -> 0, HI -> 255); recorded so"
                          " that the model can segment CT volumes in HU")
    net.add_argument("--no-augmentation", action="store_true",
                     help="no data augmentation: learns a few cases fast (smoke-test models), generalises worse")
    net.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    net.add_argument("--workers", type=int, default=2, help="CPU processes and threads for nnU-Net")
    net.add_argument("--work-dir", help="nnU-Net's raw/preprocessed/results folders (default: MODEL_DIR.work)")
    net.add_argument("--dataset-id", type=int, default=501)
    net.add_argument("--dataset-name", default="Lungtrack")


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
        epochs=args.epochs, iterations_per_epoch=args.iterations, batch_size=args.batch_size,
        base_features=args.base_features, max_features=args.max_features, device=args.device,
        workers=args.workers, target_spacing_mm=tuple(args.target_spacing) if args.target_spacing else None,
        window=tuple(args.window) if args.window else None, augmentation=not args.no_augmentation)
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
