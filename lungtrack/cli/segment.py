"""Predict one image (NIfTI volume, or 2D image for a 2D model) with a trained nnU-Net model."""

import logging
import time

from lungtrack.cli.segment_lungs import add_status_argument

log = logging.getLogger(__name__)


def parse_labels(items) -> dict:
    """``["lung_right=1", "ggo=3,4"]`` -> ``{"lung_right": [1], "ggo": [3, 4]}``."""
    out = {}
    for item in items or []:
        role, _, values = item.partition("=")
        if not values:
            raise ValueError(f"label map entry {item!r} is not ROLE=VALUE[,VALUE...]")
        out[role.strip()] = [int(v) for v in values.split(",")]
    return out


def add_model_arguments(parser) -> None:
    """Options of the nnunet backend (config section ``nnunet``)."""
    parser.add_argument("--model", required=True, help="trained nnU-Net model folder (Trainer__Plans__Config or above)")
    parser.add_argument("--lesion-model", help="separate lesion model; default: lesions from --model")
    parser.add_argument("--labels", nargs="+", metavar="ROLE=V[,V]",
                        help="label map of --model (roles lung_right, lung_left, lung, ggo, consolidation, lesion);"
                             " default: the model's dataset.json label names")
    parser.add_argument("--lesion-labels", nargs="+", metavar="ROLE=V[,V]", help="label map of --lesion-model")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--folds", nargs="+", help="folds to ensemble (default: the first fold of the model)")
    parser.add_argument("--mirroring", action="store_true", help="test-time mirroring (8x slower in 3D)")
    parser.add_argument("--step-size", type=float, default=0.5, help="sliding-window step, fraction of the patch")
    parser.add_argument("--workers", type=int, default=2, help="CPU threads")


def model_options(args) -> dict:
    return dict(model=args.model, lesion_model=args.lesion_model, labels=parse_labels(args.labels),
                lesion_labels=parse_labels(args.lesion_labels), device=args.device, folds=args.folds,
                mirroring=args.mirroring, step_size=args.step_size, workers=args.workers)


def add_arguments(parser) -> None:
    parser.add_argument("input", help="image: NIfTI (HU) or any 2D image SimpleITK reads (PNG, JPG)")
    parser.add_argument("output", nargs="?", help="the model's label map, same format and grid as the input")
    parser.add_argument("--lungs", help="also write lungs (1 right, 2 left) here")
    parser.add_argument("--lesions", help="also write lesions (1 GGO, 2 consolidation) here")
    add_model_arguments(parser)
    add_status_argument(parser)


def run(args) -> int:
    from lungtrack.cli.segment_lungs import segment_or_record
    from lungtrack.errors import InputError
    from lungtrack.io.images import check_image_path, read_image, write_image
    from lungtrack.segment.nnunet import load_model, segment_case, segment_lesions, segment_lungs

    if not (args.output or args.lungs or args.lesions):
        raise InputError(args.input, "nothing to write: give OUTPUT, --lungs and/or --lesions")
    for path in (args.output, args.lungs, args.lesions):
        check_image_path(path)
    try:
        opts = model_options(args)
    except ValueError as exc:
        raise InputError(args.model, str(exc)) from None
    image = read_image(args.input)
    start = time.perf_counter()

    def segment():
        if args.output:
            net = load_model(args.model, args.device, tuple(args.folds) if args.folds else None, args.mirroring,
                             args.step_size, args.workers)
            write_image(net.predict(image), args.output)
        if args.lungs and args.lesions:
            lungs, lesions = segment_case(image, **opts)
            write_image(lungs, args.lungs)
            write_image(lesions, args.lesions)
        elif args.lungs:
            write_image(segment_lungs(image, **opts), args.lungs)
        elif args.lesions:
            write_image(segment_lesions(image, None, **opts), args.lesions)

    if segment_or_record(args, image, segment, [p for p in (args.output, args.lungs, args.lesions) if p]):
        log.info("segmented %s with %s in %.1f s", args.input, args.model, time.perf_counter() - start)
    return 0
