"""Segment lesions inside the lungs of a CT image: uint8 labels 0, 1 GGO, 2 consolidation."""

import logging
import time

from lungtrack.cli.segment_lungs import BACKENDS, add_status_argument

log = logging.getLogger(__name__)


def add_arguments(parser) -> None:
    parser.add_argument("image", help="CT image in HU (NIfTI or any SimpleITK-readable volume)")
    parser.add_argument("lungs", help="lung labels on IMAGE's grid (from segment-lungs; non-zero = lung)")
    parser.add_argument("out", help="lesion labels to write (NIfTI, on IMAGE's grid)")
    parser.add_argument("--backend", choices=BACKENDS, default="threshold",
                        help="threshold: HU rules, no model weights (default)")
    add_status_argument(parser)


def run(args) -> int:
    from lungtrack.cli.segment_lungs import read_ct, segment_or_record
    from lungtrack.io.images import check_image_path, read_mask, write_image
    from lungtrack.segment import segment_lesions

    check_image_path(args.out)
    image = read_ct(args.image)
    lungs = read_mask(args.lungs, image, "lung mask", args.image)
    start = time.perf_counter()
    def segment():
        write_image(segment_lesions(image, lungs, backend=args.backend), args.out)

    if segment_or_record(args.status, image, segment, [args.out]):
        log.info("segment-lesions: %s -> %s (%s backend, %.1f s)", args.image, args.out, args.backend,
                 time.perf_counter() - start)
    return 0
