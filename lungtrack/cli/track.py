"""Track one patient: register scans to the baseline, match lesions and their events, measure zones."""

from lungtrack.cli.heap import keep_freed_memory
from lungtrack.cli.scan_arguments import add_scan_arguments, scan_files
from lungtrack.settings import add_options, section_values

#: config keys given as flags (the workflow computes --lobes-dir itself: tracking.lobes_dir or the model's lobes)
OPTIONS = {"tracking": ["registration", "min_lesion_overlap", "lesion_growth_pct", "min_lesion_ml"]}


def add_arguments(parser):
    parser.add_argument("metrics", nargs="+", help="metrics JSON files of the patient's scans (`lungtrack measure`)")
    add_scan_arguments(parser, use=" (those of failed scans are not read)")
    parser.add_argument("--patient-id", required=True, help="patient identifier")
    parser.add_argument("--out-dir", required=True, help="folder for tracking.json (with the slice positions), lesions.csv, "
                                                         "regions.csv and transforms/")
    add_options(parser, "tracking", [*OPTIONS["tracking"], "lobes_dir"])


def run(args) -> int:
    keep_freed_memory()  # before any volume is allocated (see lungtrack.cli.heap)
    from lungtrack.track.pipeline import TrackingOptions, track_patient

    values = section_values(args, "tracking", OPTIONS["tracking"])
    options = TrackingOptions(registration=values["registration"], min_overlap=values["min_lesion_overlap"],
                              growth_pct=values["lesion_growth_pct"], min_lesion_ml=values["min_lesion_ml"])
    track_patient(args.metrics, scan_files(args), args.patient_id, args.out_dir, options, args.lobes_dir)
    return 0
