"""Track one patient: register scans to the baseline, match lesions and their events, measure zones."""

from lungtrack.track import settings


def add_arguments(parser):
    parser.add_argument("metrics", nargs="+", help="metrics JSON files of the patient's scans (`lungtrack measure`); "
                                                   "their paths locate the CT and the masks")
    parser.add_argument("--patient-id", required=True, help="patient identifier")
    parser.add_argument("--out-dir", required=True, help="folder for tracking.json, lesions.csv, regions.csv, "
                                                         "transforms/ and slices/")
    parser.add_argument("--registration", choices=settings.REGISTRATION_METHODS, default=settings.REGISTRATION,
                        help="registration of follow-ups to the baseline (default %(default)s)")
    parser.add_argument("--min-overlap", type=float, default=settings.MIN_LESION_OVERLAP,
                        help="overlap, as a fraction of the smaller lesion, that matches two lesions "
                             "(default %(default)s)")
    parser.add_argument("--growth", type=float, default=settings.LESION_GROWTH_PCT,
                        help="lesion volume change (%%) called grown or shrunk (default %(default)s)")
    parser.add_argument("--min-lesion-ml", type=float, default=settings.MIN_LESION_ML,
                        help="smaller lesion components are ignored, mL (default %(default)s)")
    parser.add_argument("--lobes-dir", help="lobe labels <patient>/<timepoint>_lobes.nii.gz (1 RUL, 2 RML, 3 RLL, "
                                            "4 LUL, 5 LLL) from a lobe segmentation model; adds lobe scores")


def run(args) -> int:
    from lungtrack.track.pipeline import TrackingOptions, track_patient

    options = TrackingOptions(registration=args.registration, min_overlap=args.min_overlap, growth_pct=args.growth,
                              min_lesion_ml=args.min_lesion_ml)
    track_patient(args.metrics, args.patient_id, args.out_dir, options, args.lobes_dir)
    return 0
