"""Convert one DICOM CT series (or a NIfTI volume) to an int16 HU NIfTI with a JSON sidecar."""

from lungtrack.errors import InputError

VOLUME_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".mha", ".mhd")


def add_arguments(parser):
    parser.add_argument("paths", nargs="*", metavar="[SOURCE] OUT",
                        help="SOURCE: a folder holding one series (any layout) or a NIfTI volume; "
                             "OUT: the .nii.gz to write. With --files give only OUT")
    parser.add_argument("--files", help="files TSV of `lungtrack inventory` (series_uid, path)")
    parser.add_argument("--root", help="DICOM folder that the paths of --files are relative to")
    parser.add_argument("--series", help="SeriesInstanceUID to convert (needed with --files, or when "
                                         "SOURCE holds several series)")
    parser.add_argument("--sidecar", help="JSON sidecar to write")
    parser.add_argument("--cases", help="cases TSV of `lungtrack inventory`: patient_id and timepoint "
                                        "of the series (or of the NIfTI volume, by path)")
    parser.add_argument("--tilt", choices=["resample", "refuse"], default="resample",
                        help="gantry tilt: resample onto an orthogonal grid (default) or refuse")
    parser.add_argument("--nonuniform", choices=["resample", "refuse"], default="resample",
                        help="missing slice or varying spacing: resample to uniform spacing (default) or refuse")
    parser.add_argument("--check", metavar="STATUS",
                        help="instead of writing OUT, convert in memory and write the case status JSON: ok, or "
                             "failed with the reason; exits 0 either way (the workflow analyses the ok cases)")
    parser.add_argument("--pseudonymize", action="store_true",
                        help="without --cases: replace PatientID by its salted-hash pseudonym "
                             "(salt from $LUNGTRACK_PSEUDONYM_SALT)")


def _series_paths(args, source):
    """(paths, where) of the files of the series to convert."""
    from lungtrack.ingest import headers, inventory

    if args.files:
        if not (args.root and args.series):
            raise InputError(args.files, "--files needs --root and --series")
        paths = inventory.series_files(args.files, args.root, args.series)
        return paths, paths[0].parent
    found, _ = headers.scan(source, progress=False)
    series = sorted({h.series_uid for h in found})
    if args.series:
        series = [s for s in series if s == args.series]
    if not series:
        raise InputError(source, "no DICOM images" + (f" of series {args.series}" if args.series else ""))
    if len(series) > 1:
        raise InputError(source, f"{len(series)} series in this folder; choose one with --series "
                                 f"({', '.join(series[:3])}{', ...' if len(series) > 3 else ''})")
    base = source if source.is_dir() else source.parent
    return [base / h.path for h in found if h.series_uid == series[0]], source


def _case(args, **match):
    """The row of --cases matching ``match`` (column=value), or None."""
    import pandas as pd

    if not args.cases:
        return None
    cases = pd.read_csv(args.cases, sep="\t", dtype=str, keep_default_na=False)
    for column, value in match.items():
        if column not in cases.columns:
            return None
        cases = cases[cases[column] == value]
    return cases.iloc[0] if len(cases) else None


def _convert(args, source):
    """(image, sidecar dict) of the series or volume; raises InputError for bad input."""
    import logging

    from lungtrack.cli.inventory import pseudonym_salt
    from lungtrack.ingest import convert, samplesheet
    from lungtrack.ingest.privacy import patient_key

    if source is not None and not source.exists():
        raise InputError(source, "does not exist")
    if source is not None and source.is_file() and source.name.lower().endswith(VOLUME_SUFFIXES):
        image = samplesheet.validate_volume(source)
        case = _case(args, path=str(source.resolve()))
        info = {"patient_id": case["patient_id"] if case is not None else "",
                "study_date": case["study_date"] if case is not None else "",
                "timepoint": case["timepoint"] if case is not None else "",
                "series_description": "", "slice_thickness_mm": None, "kernel": "", "manufacturer": "",
                "spacing_mm": [round(v, 6) for v in image.GetSpacing()], "size": list(image.GetSize()),
                "tilt_deg": 0.0, "resampled": False, "warnings": []}
        return image, info
    paths, where = _series_paths(args, source)
    result = convert.convert(paths, convert.Policy(tilt=args.tilt, nonuniform=args.nonuniform), where)
    # --series also names series whose SeriesInstanceUID the inventory had to substitute
    uid = args.series or result.first.series_uid
    case = _case(args, series_uid=uid)
    if case is not None:
        info = convert.sidecar(result, case["patient_id"], case["timepoint"])
    else:
        info = convert.sidecar(result, patient_key(result.first.patient_id, pseudonym_salt(args)))
    info["series_uid"] = uid
    for warning in result.warnings:
        logging.getLogger("lungtrack.convert").warning(warning)
    return result.image, info


def _check(args, source, status) -> int:
    """Write the case status of the series or volume (the case from --cases by --series or path)."""
    import logging

    from lungtrack.ingest.status import reason_text, write_status

    case = _case(args, series_uid=args.series) if args.series else (
        _case(args, path=str(source.resolve())) if source is not None else None)
    if case is None:
        raise InputError(args.cases or source, "--check needs --cases listing the series (or volume)")
    try:
        _convert(args, source)
    except InputError as exc:
        reason = reason_text(exc, args.root)
    except Exception as exc:  # noqa: BLE001 - a broken file may fail anywhere in a reader
        message = (str(exc).strip().splitlines() or [""])[0].replace(str(args.root or source), "")
        reason = reason_text(InputError(None, f"cannot convert ({type(exc).__name__}: {message})"))
    else:
        reason = None
    write_status(status, dict(case), "convert", reason)
    logging.getLogger("lungtrack.convert").log(logging.ERROR if reason else logging.INFO, "%s/%s: %s",
                                               case["patient_id"], case["timepoint"],
                                               f"not analysed: {reason}" if reason else "ok")
    return 0


def run(args) -> int:
    import json
    import logging
    from pathlib import Path

    from lungtrack.io.atomic import write_text
    from lungtrack.io.images import write_image

    expected = (0 if args.check else 1) if args.files else (1 if args.check else 2)
    if len(args.paths) != expected:
        raise InputError(None, "give SOURCE OUT, or OUT with --files/--root/--series (no OUT with --check)")
    source = None if args.files else Path(args.paths[0])
    if args.check:
        return _check(args, source, args.check)
    image, info = _convert(args, source)
    out = Path(args.paths[-1])
    write_image(image, out)
    if args.sidecar:
        write_text(args.sidecar, json.dumps(info, indent=2) + "\n")
    logging.getLogger("lungtrack.convert").info(
        "convert: %s voxels, spacing %s mm%s", "x".join(map(str, info["size"])),
        "x".join(f"{v:.3g}" for v in info["spacing_mm"]), ", resampled" if info["resampled"] else "")
    return 0
