"""Write the cohort overview page (POI trajectories, links to patient reports) and cohort_regions.csv."""

from lungtrack.settings import add_options

#: config keys given as flags
OPTIONS = {"tracking": ["min_poi_change_pp", "min_lesion_volume_change_pct"]}


def add_arguments(parser):
    parser.add_argument("cohort", help="cohort table written by `lungtrack cohort`")
    parser.add_argument("--out", required=True, help="overview HTML to write, in the folder of the patient reports")
    parser.add_argument("--tracking", nargs="*", default=[], help="tracking.json files of `lungtrack track`")
    parser.add_argument("--regions-csv", help="write the regional measures of all patients here (long format)")
    add_options(parser, "tracking", OPTIONS["tracking"])


def run(args) -> int:
    import logging

    from lungtrack.io.atomic import atomic_path, write_text
    from lungtrack.report.data import cohort_regions, latest_severity, load_tracking
    from lungtrack.report.overview import overview_report

    trackings = [load_tracking(p) for p in args.tracking]
    if args.regions_csv:
        with atomic_path(args.regions_csv) as tmp:
            cohort_regions(trackings).to_csv(tmp, index=False, float_format="%.4f")
    write_text(args.out, overview_report(args.cohort, latest_severity(trackings), args.min_poi_change_pp,
                                         args.min_lesion_volume_change_pct))
    logging.getLogger("lungtrack.overview").info("cohort overview -> %s", args.out)
    return 0
