"""Evaluate masks, POI and lesion volumes against reference masks and scan labels (CSV + HTML)."""


def add_arguments(parser):
    parser.add_argument("metrics", nargs="+", help="metrics JSON of each case (lungtrack measure)")
    parser.add_argument("--out-dir", required=True,
                        help="folder for cases.csv, scans.csv, summary.csv and evaluation.html")
    parser.add_argument("--reference-dir",
                        help="reference masks <patient_id>/<YYYYMMDD>/lungs.nii.gz and lesions.nii.gz, any grid")
    parser.add_argument("--labels", help="CSV patient_id, study_date, label (1 pneumonia present, 0 absent)")
    parser.add_argument("--score", choices=["poi", "lesion_ml"], default="poi",
                        help="detection score: POI (%%) or lesion volume (mL) (default: poi)")
    parser.add_argument("--threshold", type=float, default=1.0,
                        help="scan called positive when score >= threshold, in the score's unit (default: 1.0)")
    parser.add_argument("--tolerance-mm", type=float, nargs="+", default=[1.0, 2.0],
                        help="normalized surface Dice tolerances in mm (default: 1 2)")
    parser.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples for the AUC interval")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap")


def run(args) -> int:
    from lungtrack.evaluate.cohort import evaluate_cohort

    evaluate_cohort(
        args.metrics, args.out_dir, reference_dir=args.reference_dir, labels_path=args.labels, score=args.score,
        threshold=args.threshold, tolerances_mm=tuple(args.tolerance_mm), n_boot=args.bootstrap, seed=args.seed,
    )
    return 0
