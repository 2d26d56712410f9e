"""Write one patient's self-contained HTML report (POI trend, lesion volumes, zones, slices, events)."""

from lungtrack.track import settings


def add_arguments(parser):
    parser.add_argument("metrics", nargs="+", help="metrics JSON files of the patient's scans (`lungtrack measure`)")
    parser.add_argument("--patient-id", required=True, help="patient identifier shown in the report")
    parser.add_argument("--tracking", help="tracking.json of `lungtrack track` (adds zones, slices, lesion events)")
    parser.add_argument("--status", nargs="*", default=[], metavar="STATUS",
                        help="case status files of the patient's scans (`lungtrack convert --check`); "
                             "the failed ones are listed with their reason")
    parser.add_argument("--out", required=True, help="HTML file to write")
    parser.add_argument("--min-poi-change", type=float, default=settings.MIN_POI_CHANGE_PP,
                        help="smallest POI change called progression/regression, percentage points "
                             "(default %(default)s)")
    parser.add_argument("--min-volume-change", type=float, default=settings.MIN_LESION_VOLUME_CHANGE_PCT,
                        help="smallest lesion volume change called progression/regression, %% (default %(default)s)")
    parser.add_argument("--lung-volume-warning", type=float, default=settings.LUNG_VOLUME_WARNING_PCT,
                        help="warn when lung volume changes by more than this %% between scans "
                             "(default %(default)s)")


def run(args) -> int:
    import logging

    from lungtrack.ingest.status import failures_table, read_status
    from lungtrack.io.atomic import write_text
    from lungtrack.report.patient import patient_report

    failures = failures_table([read_status(p) for p in args.status]).to_dict("records")
    html = patient_report(args.metrics, args.patient_id, args.tracking, args.min_poi_change,
                          args.min_volume_change, args.lung_volume_warning, failures)
    write_text(args.out, html)
    logging.getLogger("lungtrack.report").info(
        "report of %s: %d scans -> %s (%.1f MB)", args.patient_id, len(args.metrics), args.out,
        len(html.encode()) / 1e6)
    return 0
