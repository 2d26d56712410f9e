"""Convert one DICOM CT series (or a NIfTI volume) to an int16 HU NIfTI with a JSON sidecar."""

from lungtrack.errors import InputError
from lungtrack.settings import add_options

#: config keys given as flags
OPTIONS = {"ingest": ["tilt", "nonuniform"]}

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
    add_options(parser, "ingest", OPTIONS["ingest"])
    parser.add_argument("--status", metavar="STATUS",
                        help="write the case status JSON too, last: ok once OUT and the sidecar are written, or "
                             "failed with the reason and no OUT (a stale one is removed); exits 0 either way "
                             "(the workflow's mode: one decode checks and converts, the ok cases are analysed)")
    parser.add_argument("--pseudonymize", action="store_true",
                        help="without --cases: replace PatientID by its salted-hash pseudonym "
                             "(salt from $LUNGTRACK_PSEUDONYM_SALT)")


def _series_paths(args, source):
    """(paths, folder) of the files of the series to convert; refuses a series with an unreadable file."""
    import os
    import posixpath
    from pathlib import Path

    from lungtrack.ingest import headers, inventory

    if args.files:
        if not (args.root and args.series):
            raise InputError(args.files, "--files needs --root and --series")
        paths = inventory.series_files(args.files, args.root, args.series)
        return paths, Path(os.path.commonpath([p.parent for p in paths]))
    found, skipped = headers.scan(source, progress=False)
    series = sorted({h.series_uid for h in found})
    if args.series:
        series = [s for s in series if s == args.series]
    if not series:
        raise InputError(source, "no DICOM images" + (f" of series {args.series}" if args.series else ""))
    if len(series) > 1:
        raise InputError(source, f"{len(series)} series in this folder; choose one with --series "
                                 f"({', '.join(series[:3])}{', ...' if len(series) > 3 else ''})")
    base = source if source.is_dir() else source.parent
    bad = [(path, reason) for uid, path, reason in inventory.broken_slices(found, skipped) if uid == series[0]]
    if bad:
        raise inventory.unreadable_error(posixpath.commonpath([posixpath.dirname(p) for p, _ in bad]) or ".", bad)
    return [base / h.path for h in found if h.series_uid == series[0]], source


def _case(args, **match):
    """The row of --cases matching ``match`` (column=value), or None."""
    from lungtrack.ingest.inventory import read_table

    if not args.cases:
        return None
    cases = read_table(args.cases, ["patient_id", "timepoint"])
    for column, value in match.items():
        if column not in cases.columns:
            return None
        cases = cases[cases[column] == value]
    return cases.iloc[0] if len(cases) else None


def _is_volume(source) -> bool:
    return source is not None and source.is_file() and source.name.lower().endswith(VOLUME_SUFFIXES)


def _convert_volume(args, source):
    """(image, sidecar dict) of a NIfTI volume, checked and as int16 HU."""
    from lungtrack.ingest import samplesheet

    image = samplesheet.validate_volume(source)
    case = _case(args, path=str(source.resolve()))
    info = {"patient_id": case["patient_id"] if case is not None else "",
            "study_date": case["study_date"] if case is not None else "",
            "timepoint": case["timepoint"] if case is not None else "",
            "series_description": "", "slice_thickness_mm": None, "kernel": "", "manufacturer": "",
            "spacing_mm": [round(v, 6) for v in image.GetSpacing()], "size": list(image.GetSize()),
            "tilt_deg": 0.0, "resampled": False, "warnings": []}
    return image, info


def _convert_series(args, paths, where):
    """(image, sidecar dict) of the DICOM files ``paths`` of one series (folder ``where``)."""
    import logging

    from lungtrack.cli.inventory import pseudonym_salt
    from lungtrack.ingest import convert
    from lungtrack.ingest.privacy import patient_key

    result = convert.convert(paths, convert.Policy(tilt=args.tilt, nonuniform=args.nonuniform), where)
    # --series also names series whose SeriesInstanceUID the inventory had to substitute
    uid = args.series or result.first.series_uid
    case = _case(args, series_uid=uid)
    if case is not None:
        info = convert.sidecar(result, case["patient_id"], case["timepoint"])
        info["patient_id_source"] = case.get("patient_id_source") or "PatientID"
    else:
        info = convert.sidecar(result, patient_key(result.first.patient_id, pseudonym_salt(args)))
    info["series_uid"] = uid
    for warning in result.warnings:
        logging.getLogger("lungtrack.convert").warning(warning)
    return result.image, info


def _convert(args, source):
    """(image, sidecar dict) of the series or volume; raises InputError for bad input."""
    if source is not None and not source.exists():
        raise InputError(source, "does not exist")
    if _is_volume(source):
        return _convert_volume(args, source)
    return _convert_series(args, *_series_paths(args, source))


def _write(args, image, info) -> None:
    """Write the image to OUT (int16 HU) and the sidecar JSON, each atomically."""
    import json
    import logging

    from lungtrack.io.atomic import write_text
    from lungtrack.io.images import write_image

    write_image(image, args.paths[-1])
    if args.sidecar:
        write_text(args.sidecar, json.dumps(info, indent=2) + "\n")
    logging.getLogger("lungtrack.convert").info(
        "convert: %s voxels, spacing %s mm%s", "x".join(map(str, info["size"])),
        "x".join(f"{v:.3g}" for v in info["spacing_mm"]), ", resampled" if info["resampled"] else "")


def _convert_or_record(args, source, status) -> int:
    """Convert the series or volume (the case from --cases by --series or path) in one decode and write OUT
    and the sidecar, then the case status ok; for bad input write the failed status and no OUT.

    A case the inventory refused fails at step inventory with its reason, without reading a pixel. Reasons
    name files relative to the series' folder (a volume by its file name), never by the folders above it.
    Errors writing the outputs are not the scan's fault: they stop the command as usual.
    """
    import logging
    from pathlib import Path

    from lungtrack.ingest.status import reason_text, write_status

    case = _case(args, series_uid=args.series) if args.series else (
        _case(args, path=str(source.resolve())) if source is not None else None)
    if case is None:
        raise InputError(args.cases or source, "--status needs --cases listing the series (or volume)")
    step, reason, folder, converted = "convert", None, source.parent if _is_volume(source) else source, None
    try:
        if case.get("refused"):
            step, reason = "inventory", case["refused"]
        elif _is_volume(source) or (source is not None and not source.exists()):
            converted = _convert(args, source)
        else:
            paths, folder = _series_paths(args, source)
            converted = _convert_series(args, paths, folder)
    except InputError as exc:
        reason = reason_text(exc, folder)
    except Exception as exc:  # noqa: BLE001 - a broken file may fail anywhere in a reader
        message = (str(exc).strip().splitlines() or [""])[0]
        for known in filter(None, (folder, args.root, source)):
            message = message.replace(str(known), "")
        reason = reason_text(InputError(None, f"cannot convert ({type(exc).__name__}: {message})"))
    if reason is None:
        _write(args, *converted)
    else:  # an earlier run's image of this case is no result of this series
        for path in filter(None, (args.paths[-1], args.sidecar)):
            Path(path).unlink(missing_ok=True)
    write_status(status, dict(case), step, reason)
    logging.getLogger("lungtrack.convert").log(logging.ERROR if reason else logging.INFO, "%s/%s: %s",
                                               case["patient_id"], case["timepoint"],
                                               f"not analysed: {reason}" if reason else "ok")
    return 0


def run(args) -> int:
    from pathlib import Path

    from lungtrack.io.images import check_image_path

    if len(args.paths) != (1 if args.files else 2):
        raise InputError(None, "give SOURCE OUT, or OUT with --files/--root/--series")
    source = None if args.files else Path(args.paths[0])
    check_image_path(args.paths[-1])
    if args.status:
        return _convert_or_record(args, source, args.status)
    _write(args, *_convert(args, source))
    return 0
