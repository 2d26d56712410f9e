"""Shared arguments, not a subcommand: the CT and mask files of each scan, one per metrics file in the same order."""

from lungtrack.io.scan_files import pair_scan_files


def add_scan_arguments(parser, required: bool = True, use: str = "") -> None:
    """``--images``, ``--lungs`` and ``--lesions``: one file per positional metrics file, in its order."""
    what = {"images": "CT images in HU (`lungtrack convert`)", "lungs": "lung masks (`lungtrack segment-lungs`)",
            "lesions": "lesion masks (`lungtrack segment-lesions`)"}
    for flag, files in what.items():
        parser.add_argument(f"--{flag}", nargs="+", required=required, default=[], metavar=flag.upper().rstrip("S"),
                            help=f"{files}, one per metrics file, in the same order{use}")


def scan_files(args) -> list:
    """The :class:`~lungtrack.io.scan_files.ScanFiles` of each of ``args.metrics`` ([] when no list is given)."""
    if not (args.images or args.lungs or args.lesions):
        return []
    return pair_scan_files(args.metrics, args.images, args.lungs, args.lesions)
