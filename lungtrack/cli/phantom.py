"""Write a synthetic demo cohort of serial chest CT (DICOM) with its truth (NIfTI + manifest)."""

from lungtrack.settings import add_options

#: config keys given as flags (demo.dir is OUT)
OPTIONS = {"demo": ["patients", "timepoints", "seed"]}


def add_arguments(parser) -> None:
    parser.add_argument("out", metavar="OUT", help="output folder (dicom/ and truth/ are written inside)")
    add_options(parser, "demo", OPTIONS["demo"])
    parser.add_argument("--matrix", type=int, default=192, help="in-plane pixels (default 192)")
    parser.add_argument("--pixel-mm", type=float, default=1.8, help="in-plane pixel spacing in mm (default 1.8)")
    parser.add_argument("--slice-mm", type=float, default=2.5, help="slice spacing and thickness in mm (default 2.5)")


def run(args) -> int:
    from lungtrack.errors import InputError
    from lungtrack.phantom import generate_cohort

    if args.seed < 0:
        raise InputError(args.out, f"--seed must be >= 0, got {args.seed}")
    try:
        generate_cohort(
            args.out, patients=args.patients, timepoints=args.timepoints, seed=args.seed,
            matrix=args.matrix, pixel_mm=args.pixel_mm, slice_mm=args.slice_mm,
        )
    except ValueError as exc:
        raise InputError(args.out, str(exc)) from None
    return 0
