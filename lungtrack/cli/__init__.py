"""The lungtrack command line: one subcommand per pipeline step.

Each subcommand is a module in this package with a one-line docstring (its help), an
``add_arguments(parser)`` function and a ``run(args) -> int`` function that calls the
library. Heavy libraries are imported inside ``run`` so that ``lungtrack --help`` stays fast.
A subcommand that takes config keys lists them in ``OPTIONS`` (section -> keys): they are flags
named like the keys, typed and documented by the config schema (:mod:`lungtrack.settings`).
"""

import argparse
import importlib
import logging
import sys

from lungtrack import __version__
from lungtrack.errors import InputError

# subcommand name -> module in lungtrack.cli
COMMANDS = {
    "phantom": "phantom",
    "inventory": "inventory",
    "convert": "convert",
    "case-status": "case_status",
    "segment-lungs": "segment_lungs",
    "segment-lesions": "segment_lesions",
    "segment": "segment",
    "train": "train",
    "measure": "measure",
    "cohort": "cohort",
    "track": "track",
    "report": "report",
    "overview": "overview",
    "table": "table",
    "evaluate": "evaluate",
    "export-dicom": "export_dicom",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lungtrack", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"lungtrack {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"lungtrack.cli.{module_name}")
        help_line = (module.__doc__ or name).strip().splitlines()[0].replace("%", "%%")
        cmd = sub.add_parser(name, help=help_line, description=module.__doc__ or "")
        module.add_arguments(cmd)
        cmd.set_defaults(func=module.run)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # lungtrack's own messages at INFO (DEBUG with -v); other libraries only from WARNING up
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("lungtrack").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"lungtrack {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file that cannot be read or written: name it, no traceback
        where = exc.filename or "file"
        print(f"lungtrack {args.command}: error: {where}: {exc.strerror or type(exc).__name__}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
