"""Collect per-timepoint metrics JSONs into the cohort table (CSV, one row per patient × timepoint)."""

from lungtrack.settings import add_options

#: config keys given as flags: the change call's thresholds, the same as the reports'
OPTIONS = {"tracking": ["min_poi_change_pp", "min_lesion_volume_change_pct"]}


def add_arguments(parser):
    parser.add_argument("metrics", nargs="*", help="metrics JSON files written by `lungtrack measure`")
    parser.add_argument("--status", nargs="*", metavar="STATUS",
                        help="case status files of `lungtrack convert --status`: the failed cases keep a row "
                             "(status failed, failed_step, reason) and are listed in --failures")
    parser.add_argument("--failures", help="failures table to write (TSV; needs --status): the failed cases of "
                                           "--status and the metrics files whose status is failed")
    add_options(parser, "tracking", OPTIONS["tracking"])
    parser.add_argument("--out", required=True, help="cohort CSV to write")


def run(args) -> int:
    import logging

    from lungtrack.errors import InputError
    from lungtrack.ingest.status import failures_table, read_status
    from lungtrack.io.atomic import atomic_path
    from lungtrack.measure.cohort import cohort_table, load_metrics
    from lungtrack.measure.outcome import case_outcome

    if args.failures and args.status is None:
        raise InputError(args.failures, "--failures needs --status")
    if not args.metrics and args.status is None:
        raise InputError(None, "give metrics files (or --status)")
    statuses = None if args.status is None else [read_status(p) for p in args.status]
    records = [load_metrics(p) for p in args.metrics]
    table = cohort_table(records, failures=None if statuses is None else failures_table(statuses).to_dict("records"),
                         min_poi_pp=args.min_poi_change_pp, min_volume_pct=args.min_lesion_volume_change_pct)
    failed = failures_table((statuses or []) + [case_outcome(r) for r in records])
    if args.failures:
        with atomic_path(args.failures) as tmp:
            failed.to_csv(tmp, sep="\t", index=False)
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    logging.getLogger("lungtrack.cohort").info(
        "cohort table: %d patients, %d timepoints (%d not analysed) -> %s", table["patient_id"].nunique(),
        len(table), len(failed), args.out)
    return 0
