"""Predict one image (NIfTI volume, or 2D image for a 2D model) with a trained nnU-Net model, or a batch of CTs.

A batch (``--case IMAGE PREFIX``, repeated) loads the model once and writes each CT's raw label
maps and step status at its PREFIX; ``--predicted PREFIX`` then makes one CT's masks from them
without running the network (the workflow's rules segment_nnunet_batch and segment_nnunet).
"""

import logging
import time

from lungtrack.cli.segment_lungs import add_status_argument
from lungtrack.settings import add_options, section_values

log = logging.getLogger(__name__)

#: config keys given as flags (the workflow gives --model, a preset's folder in nnunet.model with a preset,
#: and --workers from the job's threads, so that a new worker count does not segment every CT again)
OPTIONS = {"nnunet": ["lesion_model", "labels", "preset", "lesion_labels", "device", "folds", "mirroring",
                      "step_size"]}
#: what a batch writes per CT: PREFIX + these (the raw label maps of nnunet.model and nnunet.lesion_model)
PREDICTION_SUFFIX = {"model": "_model.nii.gz", "lesion_model": "_lesion_model.nii.gz"}
STATUS_SUFFIX = "_status.json"
MASKS = ("lungs", "lesions", "lobes")


def add_model_arguments(parser) -> None:
    """Options of the nnunet backend (config section ``nnunet``)."""
    parser.add_argument("--model", required=True, help="trained nnU-Net model folder (Trainer__Plans__Config or above)")
    add_options(parser, "nnunet", [*OPTIONS["nnunet"], "workers"])


def model_options(args) -> dict:
    """The keyword arguments of :mod:`lungtrack.segment.nnunet`'s functions, from the parsed options."""
    return dict(model=args.model, **section_values(args, "nnunet", [*OPTIONS["nnunet"], "workers"]))


def add_arguments(parser) -> None:
    parser.add_argument("input", nargs="?",
                        help="image: NIfTI (HU) or any 2D image SimpleITK reads (PNG, JPG); not with --case")
    parser.add_argument("output", nargs="?", help="the model's label map, same format and grid as the input")
    parser.add_argument("--lungs", help="also write lungs (1 right, 2 left) here")
    parser.add_argument("--lesions", help="also write lesions (1 GGO, 2 consolidation) here")
    parser.add_argument("--lobes", help="also write lobes (1 right upper, 2 right middle, 3 right lower, 4 left upper,"
                                        " 5 left lower) here; needs a model with the five lobe roles")
    parser.add_argument("--case", nargs=2, action="append", metavar=("IMAGE", "PREFIX"),
                        help="batch: predict IMAGE with the model loaded once for every --case; writes the raw label "
                             f"maps PREFIX{PREDICTION_SUFFIX['model']} (and PREFIX{PREDICTION_SUFFIX['lesion_model']})"
                             f" and the step status PREFIX{STATUS_SUFFIX}: a CT that fails is recorded failed there "
                             "and the others go on")
    parser.add_argument("--predicted", metavar="PREFIX",
                        help="make INPUT's --lungs, --lesions, --lobes from the label maps a --case run wrote at "
                             "PREFIX (no network runs); its failed status becomes this CT's")
    add_model_arguments(parser)
    add_status_argument(parser)


def segment_batch(cases, opts: dict) -> int:
    """Predict every (image, prefix) of ``cases`` with the models of ``opts`` loaded once; returns the CTs done.

    Writes PREFIX + ``PREDICTION_SUFFIX`` label maps (uint8, on the image's grid) and PREFIX +
    ``STATUS_SUFFIX``: ok, or failed with the one-line reason (no label maps then).
    """
    from lungtrack.ingest.status import run_step
    from lungtrack.io.images import read_image, write_image
    from lungtrack.io.images import read_grid
    from lungtrack.segment.nnunet import check_model, predict_case

    check_model(opts["model"], opts["labels"], opts["preset"], "lungs")
    if opts["lesion_model"] is not None:
        check_model(opts["lesion_model"], opts["lesion_labels"], None, "lesions")
    for image_path, _ in cases:  # every header readable (InputError naming the first that is not) before loading
        read_grid(image_path)
    done = 0
    for image_path, prefix in cases:
        start = time.perf_counter()

        def predict():
            for key, labels in predict_case(read_image(image_path), **opts).items():
                write_image(labels, prefix + PREDICTION_SUFFIX[key])

        if run_step(prefix + STATUS_SUFFIX, "segment", predict):
            done += 1
            log.info("predicted %s in %.1f s", image_path, time.perf_counter() - start)
    return done


def _masks_of_batch(image, prefix: str, opts: dict) -> dict:
    """The masks of ``image`` from the label maps a batch wrote at ``prefix`` (InputError: the batch's failure)."""
    from pathlib import Path

    from lungtrack.errors import InputError
    from lungtrack.ingest.status import read_status
    from lungtrack.io.images import read_image
    from lungtrack.segment.nnunet import masks_from

    status = read_status(prefix + STATUS_SUFFIX)
    if status["status"] == "failed":
        raise InputError(None, status["reason"])
    keys = ["model"] + (["lesion_model"] if opts["lesion_model"] is not None else [])
    predictions = {key: read_image(prefix + PREDICTION_SUFFIX[key]) for key in keys}
    for key, labels in predictions.items():
        if labels.GetSize() != image.GetSize():
            raise InputError(Path(prefix + PREDICTION_SUFFIX[key]), "label map not on the grid of the image")
    return masks_from(image, predictions, **opts)


def run(args) -> int:
    from lungtrack.cli.segment_lungs import segment_or_record
    from lungtrack.errors import InputError
    from lungtrack.io.images import check_image_path, read_image, write_image
    from lungtrack.segment.nnunet import check_model, load_model, segment_all, segment_lesions, segment_lungs
    from lungtrack.segment.nnunet.presets import preset_folder

    opts = model_options(args)
    if args.case:
        if args.input or args.output or args.predicted or args.status or any(getattr(args, k) for k in MASKS):
            raise InputError(None, "--case writes each CT's label maps and status at its PREFIX: give no IMAGE, "
                                   "OUTPUT, --lungs, --lesions, --lobes, --predicted or --status with it")
        start = time.perf_counter()
        done = segment_batch(args.case, opts)
        log.info("batch of %d CTs (%d predicted, %d failed) with %s in %.1f s", len(args.case), done,
                 len(args.case) - done, args.model, time.perf_counter() - start)
        return 0
    if args.input is None:
        raise InputError(None, "give an IMAGE to segment, or --case IMAGE PREFIX for a batch")
    if not (args.output or args.lungs or args.lesions or args.lobes):
        raise InputError(args.input, "nothing to write: give OUTPUT, --lungs, --lesions and/or --lobes")
    if args.predicted and (args.output or not (args.lungs or args.lesions or args.lobes)):
        raise InputError(args.input, "--predicted makes masks: give --lungs, --lesions and/or --lobes, no OUTPUT")
    for path in (args.output, args.lungs, args.lesions, args.lobes):
        check_image_path(path)
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
        if args.predicted or args.lobes or (args.lungs and args.lesions):
            masks = _masks_of_batch(image, args.predicted, opts) if args.predicted else segment_all(image, **opts)
            for key in MASKS:
                if getattr(args, key):
                    write_image(masks[key], getattr(args, key))
        elif args.lungs:
            write_image(segment_lungs(image, **opts), args.lungs)
        elif args.lesions:
            write_image(segment_lesions(image, None, **opts), args.lesions)

    outputs = [p for p in (args.output, args.lungs, args.lesions, args.lobes) if p]
    if segment_or_record(args.status, image, segment, outputs):
        how = f"from the label maps at {args.predicted}" if args.predicted else f"with {args.model}"
        log.info("segmented %s %s in %.1f s", args.input, how, time.perf_counter() - start)
    return 0
