"""Inventory a DICOM tree (or a NIfTI sample sheet) and choose one axial CT series per study."""

import os
import re

from lungtrack.config_checks import SALT_ENV
from lungtrack.settings import add_options

#: config keys given as flags (ingest.samples is SOURCE; the salt itself is never a flag)
OPTIONS = {"ingest": ["min_slices", "series_description_pattern", "series_uids", "tilt", "nonuniform", "pseudonymize",
                      "pseudonym_salt_file"]}


def add_arguments(parser):
    parser.add_argument("source", help="DICOM folder (any layout, file names, DICOMDIR optional) or a "
                                       "sample sheet of NIfTI volumes (TSV/CSV: patient_id, study_date, path)")
    parser.add_argument("out", help="inventory TSV: one row per series (status: chosen or the reason), "
                                    "then one per skipped file")
    parser.add_argument("--files", help="TSV series_uid, path (relative to SOURCE) of every DICOM image "
                                        "(default: files.tsv beside OUT)")
    parser.add_argument("--cases", help="TSV of chosen series: patient_id, study_date, timepoint, "
                                        "series_uid, ... (default: cases.tsv beside OUT)")
    add_options(parser, "ingest", OPTIONS["ingest"])


def pseudonym_salt(args):
    """The salt when --pseudonymize is set (first line of --pseudonym-salt-file, else $LUNGTRACK_PSEUDONYM_SALT),
    else None."""
    from pathlib import Path

    from lungtrack.errors import InputError

    if not args.pseudonymize:
        return None
    salt_file = getattr(args, "pseudonym_salt_file", None)
    if salt_file:
        try:
            salt = (Path(salt_file).read_text(encoding="utf-8").splitlines() or [""])[0].strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(salt_file, f"salt file cannot be read ({getattr(exc, 'strerror', None) or exc})") \
                from None
        if not salt:
            raise InputError(salt_file, "salt file is empty")
        return salt
    salt = os.environ.get(SALT_ENV, "")
    if not salt:
        raise InputError(None, "--pseudonymize needs a salt: --pseudonym-salt-file or the environment variable "
                               f"{SALT_ENV}")
    return salt


def run(args) -> int:
    import logging
    from pathlib import Path

    import pandas as pd

    from lungtrack.errors import InputError
    from lungtrack.ingest import headers, inventory, samplesheet
    from lungtrack.io.atomic import write_text

    out = Path(args.out)
    files_out = Path(args.files or out.with_name("files.tsv"))
    cases_out = Path(args.cases or out.with_name("cases.tsv"))
    source = Path(args.source)
    salt = pseudonym_salt(args)
    if args.series_description_pattern:
        try:
            re.compile(args.series_description_pattern)
        except re.error as exc:
            raise InputError(None, f"--series-description-pattern {args.series_description_pattern!r}: "
                                   f"not a regular expression ({exc})") from None
    if source.is_file():
        cases = samplesheet.read_sheet(source, salt)
        table = cases.assign(status="chosen", path=cases["path"])
        files = pd.DataFrame(columns=["series_uid", "path"])
        line = f"inventory: sample sheet with {len(cases)} volumes, {cases['patient_id'].nunique()} patients"
    elif source.is_dir():
        found, skipped = headers.scan(source)
        rules = inventory.Rules(min_slices=args.min_slices, description_pattern=args.series_description_pattern,
                                series_uids=tuple(args.series_uids), tilt=args.tilt, nonuniform=args.nonuniform)
        table, cases, files = inventory.build(found, skipped, rules, salt)
        line = inventory.summary(table, len(found) + len(skipped))
    else:
        raise InputError(source, "does not exist")
    write_text(files_out, files.to_csv(sep="\t", index=False))
    write_text(cases_out, cases.to_csv(sep="\t", index=False))
    write_text(out, table.to_csv(sep="\t", index=False))
    logging.getLogger("lungtrack.inventory").info(line)
    return 0
