"""Write the cohort overview page (POI trajectories, links to patient reports) and cohort_regions.csv."""

from lungtrack.track import settings


def add_arguments(parser):
    parser.add_argument("cohort", help="cohort table written by `lungtrack cohort`")
    parser.add_argument("--out", required=True, help="overview HTML to write, in the folder of the patient reports")
    parser.add_argument("--tracking", nargs="*", default=[], help="tracking.json files of `lungtrack track`")
    parser.add_argument("--regions-csv", help="write the regional measures of all patients here (long format)")
    parser.add_argument("--min-poi-change", type=float, default=settings.MIN_POI_CHANGE_PP,
                        help="smallest POI change called progression/regression, percentage points "
                             "(default %(default)s)")
    parser.add_argument("--min-volume-change", type=float, default=settings.MIN_LESION_VOLUME_CHANGE_PCT,
                        help="smallest lesion volume change called progression/regression, %% (default %(default)s)")


def run(args) -> int:
    import logging

    from lungtrack.io.atomic import atomic_path, write_text
    from lungtrack.report.data import cohort_regions, latest_severity, load_tracking
    from lungtrack.report.overview import overview_report

    trackings = [load_tracking(p) for p in args.tracking]
    if args.regions_csv:
        with atomic_path(args.regions_csv) as tmp:
            cohort_regions(trackings).to_csv(tmp, index=False, float_format="%.4f")
    write_text(args.out, overview_report(args.cohort, latest_severity(trackings), args.min_poi_change,
                                         args.min_volume_change))
    logging.getLogger("lungtrack.overview").info("cohort overview -> %s", args.out)
    return 0
