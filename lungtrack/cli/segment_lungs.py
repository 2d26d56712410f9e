"""Segment the lungs of a CT image: uint8 labels 0 background, 1 right lung, 2 left lung."""

import logging
import time

from lungtrack.cli.heap import keep_freed_memory

log = logging.getLogger(__name__)

BACKENDS = ("threshold",)  # model backends have their own options: `lungtrack segment`


def add_arguments(parser) -> None:
    parser.add_argument("image", help="CT image in HU (NIfTI or any SimpleITK-readable volume)")
    parser.add_argument("out", help="lung labels to write (NIfTI, on IMAGE's grid)")
    parser.add_argument("--backend", choices=BACKENDS, default="threshold",
                        help="threshold: HU rules, no model weights (default)")
    add_status_argument(parser)


def add_status_argument(parser) -> None:
    """``--status``: record a failed segmentation there (the workflow's mode) instead of stopping."""
    parser.add_argument("--status", metavar="STATUS",
                        help="write the step status JSON here: ok, or failed with the one-line reason; on failure "
                             "the masks are written empty (all 0) and the exit code is 0, so that the workflow "
                             "reports the scan as failed and goes on")


def segment_or_record(status, image, segment, outputs) -> bool:
    """Run ``segment()`` (which writes the masks); on failure with a ``status`` path (``--status``), record it
    there and write ``outputs`` empty.

    Returns whether the segmentation succeeded.
    """
    from lungtrack.ingest.status import run_step
    from lungtrack.io.images import empty_labels, write_image

    if run_step(status, "segment", segment):
        return True
    for path in outputs:
        write_image(empty_labels(image), path)
    return False


def read_ct(path):
    """Read a CT image and check it is a 3D grey-level image (a single axial slice is accepted and
    segmented in-plane; a 2D image file is refused)."""
    from lungtrack.errors import InputError
    from lungtrack.io.images import read_image

    image = read_image(path)
    if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(path, f"expected a 3D grey-level CT volume, got {image.GetDimension()}D "
                               f"with {image.GetNumberOfComponentsPerPixel()} component(s)")
    return image


def run(args) -> int:
    keep_freed_memory()  # before any volume is allocated (see lungtrack.cli.heap)
    from lungtrack.io.images import check_image_path, write_image
    from lungtrack.segment import segment_lungs

    check_image_path(args.out)
    image = read_ct(args.image)
    start = time.perf_counter()
    if segment_or_record(args.status, image, lambda: write_image(segment_lungs(image, backend=args.backend), args.out),
                         [args.out]):
        log.info("segment-lungs: %s -> %s (%s backend, %.1f s)", args.image, args.out, args.backend,
                 time.perf_counter() - start)
    return 0
