"""Segment the lungs of a CT image: uint8 labels 0 background, 1 right lung, 2 left lung."""

import logging
import time

log = logging.getLogger(__name__)

BACKENDS = ("threshold",)  # model backends have their own options: `lungtrack segment`


def add_arguments(parser) -> None:
    parser.add_argument("image", help="CT image in HU (NIfTI or any SimpleITK-readable volume)")
    parser.add_argument("out", help="lung labels to write (NIfTI, on IMAGE's grid)")
    parser.add_argument("--backend", choices=BACKENDS, default="threshold",
                        help="threshold: HU rules, no model weights (default)")


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
    from lungtrack.io.images import check_image_path, write_image
    from lungtrack.segment import segment_lungs

    check_image_path(args.out)
    image = read_ct(args.image)
    start = time.perf_counter()
    lungs = segment_lungs(image, backend=args.backend)
    write_image(lungs, args.out)
    log.info("segment-lungs: %s -> %s (%s backend, %.1f s)", args.image, args.out, args.backend,
             time.perf_counter() - start)
    return 0
