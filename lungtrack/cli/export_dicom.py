"""Export one analysed scan as DICOM: a SEG of its masks and an SR (TID 1500) of its measurements."""

from lungtrack.settings import add_options

#: config keys given as flags
OPTIONS = {"export": ["seg_type", "keep_patient_attributes"], "segmentation": ["backend"],
           "tracking": ["min_poi_change_pp", "min_lesion_volume_change_pct", "lobes_dir"]}


def add_arguments(parser):
    parser.add_argument("metrics", help="metrics JSON of the scan (`lungtrack measure`); its acquisition.series_uid "
                                        "names the source series")
    parser.add_argument("--lungs", required=True, help="lung mask of the scan (`lungtrack segment-lungs`)")
    parser.add_argument("--lesions", required=True, help="lesion mask of the scan (`lungtrack segment-lesions`)")
    parser.add_argument("--files", required=True, help="files TSV of `lungtrack inventory` (series_uid, path)")
    parser.add_argument("--root", required=True, help="DICOM folder that the paths of --files are relative to")
    parser.add_argument("--seg", required=True, help="DICOM SEG file to write")
    parser.add_argument("--sr", required=True, help="DICOM SR file to write")
    parser.add_argument("--previous", help="metrics JSON of the patient's previous analysed scan (change call)")
    suffix = {"backend": "; named in the algorithm identification", "lobes_dir": "; adds lobe segments"}
    for section, keys in OPTIONS.items():
        add_options(parser, section, keys, suffix)


def run(args) -> int:
    import json
    import logging
    from pathlib import Path

    from lungtrack.errors import InputError
    from lungtrack.export.case import ExportOptions, export_case
    from lungtrack.ingest.inventory import series_files
    from lungtrack.io.names import lobe_map_path
    from lungtrack.measure.outcome import case_outcome, is_analysed

    metrics = json.loads(Path(args.metrics).read_text())
    outcome = case_outcome(metrics)
    if outcome["status"] != "ok":  # a failed scan has no measurements to export (see failures.tsv)
        raise InputError(args.metrics, f"scan not analysed ({outcome['failed_step']} failed: {outcome['reason']}); "
                                       "no SEG or SR is written")
    if args.previous and not is_analysed(json.loads(Path(args.previous).read_text())):
        args.previous = None  # not analysed: no change call against it
    series_uid = (metrics.get("acquisition") or {}).get("series_uid")
    paths = series_files(args.files, args.root, series_uid) if series_uid else []
    lobes = None
    if args.lobes_dir:
        lobes = lobe_map_path(args.lobes_dir, metrics["patient_id"], metrics["timepoint"])
        if not lobes.is_file():
            logging.getLogger("lungtrack.export").info("no lobe labels %s; lobes left out", lobes)
            lobes = None
    options = ExportOptions(seg_type=args.seg_type, keep_patient_attributes=args.keep_patient_attributes,
                            backend=args.backend, min_poi_change_pp=args.min_poi_change_pp,
                            min_volume_change_pct=args.min_lesion_volume_change_pct)
    export_case(args.metrics, args.lungs, args.lesions, paths, args.seg, args.sr, previous_metrics=args.previous,
                lobes_path=lobes,
                options=options)
    return 0
