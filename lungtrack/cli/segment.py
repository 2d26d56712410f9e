"""Predict one image (NIfTI volume, or 2D image for a 2D model) with a trained nnU-Net model."""

import logging
import time

from lungtrack.cli.segment_lungs import add_status_argument
from lungtrack.settings import add_options, section_values

log = logging.getLogger(__name__)

#: config keys given as flags (the workflow gives --model, a preset's folder in nnunet.model with a preset,
#: and --workers from the job's threads, so that a new worker count does not segment every CT again)
OPTIONS = {"nnunet": ["lesion_model", "labels", "preset", "lesion_labels", "device", "folds", "mirroring",
                      "step_size"]}


def add_model_arguments(parser) -> None:
    """Options of the nnunet backend (config section ``nnunet``)."""
    parser.add_argument("--model", required=True, help="trained nnU-Net model folder (Trainer__Plans__Config or above)")
    add_options(parser, "nnunet", [*OPTIONS["nnunet"], "workers"])


def model_options(args) -> dict:
    """The keyword arguments of :mod:`lungtrack.segment.nnunet`'s functions, from the parsed options."""
    return dict(model=args.model, **section_values(args, "nnunet", [*OPTIONS["nnunet"], "workers"]))


def add_arguments(parser) -> None:
    parser.add_argument("input", help="image: NIfTI (HU) or any 2D image SimpleITK reads (PNG, JPG)")
    parser.add_argument("output", nargs="?", help="the model's label map, same format and grid as the input")
    parser.add_argument("--lungs", help="also write lungs (1 right, 2 left) here")
    parser.add_argument("--lesions", help="also write lesions (1 GGO, 2 consolidation) here")
    parser.add_argument("--lobes", help="also write lobes (1 right upper, 2 right middle, 3 right lower, 4 left upper,"
                                        " 5 left lower) here; needs a model with the five lobe roles")
    add_model_arguments(parser)
    add_status_argument(parser)


def run(args) -> int:
    from lungtrack.cli.segment_lungs import segment_or_record
    from lungtrack.errors import InputError
    from lungtrack.io.images import check_image_path, read_image, write_image
    from lungtrack.segment.nnunet import check_model, load_model, segment_all, segment_lesions, segment_lungs
    from lungtrack.segment.nnunet.presets import preset_folder

    if not (args.output or args.lungs or args.lesions or args.lobes):
        raise InputError(args.input, "nothing to write: give OUTPUT, --lungs, --lesions and/or --lobes")
    for path in (args.output, args.lungs, args.lesions, args.lobes):
        check_image_path(path)
    opts = model_options(args)
    image = read_image(args.input)
    if args.lobes:
        check_model(args.model, opts["labels"], args.preset, "lobes", image.GetDimension() == 3)
    start = time.perf_counter()

    def segment():
        if args.output:
            folder = preset_folder(args.preset, args.model) if args.preset else args.model
            net = load_model(str(folder), args.device, tuple(args.folds) if args.folds else None, args.mirroring,
                             args.step_size, args.workers)
            write_image(net.predict(image), args.output)
        if args.lobes or (args.lungs and args.lesions):
            masks = segment_all(image, **opts)
            for key in ("lungs", "lesions", "lobes"):
                if getattr(args, key):
                    write_image(masks[key], getattr(args, key))
        elif args.lungs:
            write_image(segment_lungs(image, **opts), args.lungs)
        elif args.lesions:
            write_image(segment_lesions(image, None, **opts), args.lesions)

    outputs = [p for p in (args.output, args.lungs, args.lesions, args.lobes) if p]
    if segment_or_record(args, image, segment, outputs):
        log.info("segmented %s with %s in %.1f s", args.input, args.model, time.perf_counter() - start)
    return 0
