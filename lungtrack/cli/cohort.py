"""Collect per-timepoint metrics JSONs into the cohort table (CSV, one row per patient × timepoint)."""


def add_arguments(parser):
    parser.add_argument("metrics", nargs="+", help="metrics JSON files written by `lungtrack measure`")
    parser.add_argument("--min-poi-change", type=float, default=None,
                        help="POI change (percentage points) a progression/regression call needs")
    parser.add_argument("--min-volume-change", type=float, default=None,
                        help="lesion volume change (%%) a progression/regression call needs")
    parser.add_argument("--out", required=True, help="cohort CSV to write")


def run(args) -> int:
    import logging

    from lungtrack.io.atomic import atomic_path
    from lungtrack.measure.cohort import cohort_table, load_metrics

    thresholds = {k: v for k, v in [("min_poi_pp", args.min_poi_change), ("min_volume_pct", args.min_volume_change)]
                  if v is not None}
    table = cohort_table([load_metrics(p) for p in args.metrics], **thresholds)
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    logging.getLogger("lungtrack.cohort").info(
        "cohort table: %d patients, %d timepoints -> %s", table["patient_id"].nunique(), len(table), args.out
    )
    return 0
