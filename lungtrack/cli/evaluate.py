"""Evaluate masks, POI and lesion volumes against reference masks and scan labels (CSV + HTML)."""

from lungtrack.cli.scan_arguments import add_scan_arguments, scan_files
from lungtrack.settings import add_options

#: config keys given as flags (the workflow gives --reference-dir: reference_dir, or the demo's truth)
OPTIONS = {"evaluation": ["labels", "score", "threshold", "tolerances_mm", "bootstrap", "seed"]}


def add_arguments(parser):
    parser.add_argument("metrics", nargs="+", help="metrics JSON of each case (lungtrack measure)")
    add_scan_arguments(parser, use=" (those of failed cases are not read)")
    parser.add_argument("--out-dir", required=True,
                        help="folder for cases.csv, scans.csv, summary.csv and evaluation.html")
    parser.add_argument("--reference-dir",
                        help="reference masks <patient_id>/<YYYYMMDD>/lungs.nii.gz and lesions.nii.gz, any grid")
    add_options(parser, "evaluation", OPTIONS["evaluation"])


def run(args) -> int:
    from lungtrack.evaluate.cohort import evaluate_cohort

    evaluate_cohort(
        args.metrics, scan_files(args), args.out_dir, reference_dir=args.reference_dir, labels_path=args.labels,
        score=args.score,
        threshold=args.threshold, tolerances_mm=tuple(args.tolerances_mm), n_boot=args.bootstrap, seed=args.seed,
    )
    return 0
