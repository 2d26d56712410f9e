"""Write one patient's self-contained HTML report (POI trend, lesion volumes, zones, slices, events)."""

from lungtrack.cli.scan_arguments import add_scan_arguments, scan_files
from lungtrack.settings import add_options

#: config keys given as flags
OPTIONS = {"tracking": ["min_poi_change_pp", "min_lesion_volume_change_pct"], "report": ["lung_volume_warning_pct"]}


def add_arguments(parser):
    parser.add_argument("metrics", nargs="+", help="metrics JSON files of the patient's scans (`lungtrack measure`)")
    parser.add_argument("--patient-id", required=True, help="patient identifier shown in the report")
    parser.add_argument("--tracking", help="tracking.json of `lungtrack track` (adds zones, slices, lesion events; "
                                                   "its transforms are read beside it)")
    add_scan_arguments(parser, required=False, use="; the slices are drawn from them (needed with --tracking)")
    parser.add_argument("--status", nargs="*", default=[], metavar="STATUS",
                        help="case status files of the patient's scans (`lungtrack convert --status`); "
                             "the failed ones are listed with their reason")
    parser.add_argument("--out", required=True, help="HTML file to write")
    for section, keys in OPTIONS.items():
        add_options(parser, section, keys)


def run(args) -> int:
    import logging

    from lungtrack.ingest.status import failures_table, read_status
    from lungtrack.io.atomic import write_text
    from lungtrack.report.patient import patient_report

    failures = failures_table([read_status(p) for p in args.status]).to_dict("records")
    html = patient_report(args.metrics, args.patient_id, args.tracking, scan_files(args),
                          min_poi_pp=args.min_poi_change_pp, min_volume_pct=args.min_lesion_volume_change_pct,
                          lung_volume_warning_pct=args.lung_volume_warning_pct, failures=failures)
    write_text(args.out, html)
    logging.getLogger("lungtrack.report").info(
        "report of %s: %d scans -> %s (%.1f MB)", args.patient_id, len(args.metrics), args.out,
        len(html.encode()) / 1e6)
    return 0
