"""Measure one timepoint: lung and lesion volumes (mL), POI (%), and agreement with reference masks."""

import json


def add_arguments(parser):
    parser.add_argument("image", help="CT image in HU (NIfTI)")
    parser.add_argument("lungs", help="lung labels on the image grid (1 right, 2 left)")
    parser.add_argument("lesions", help="lesion labels on the image grid (1 GGO, 2 consolidation)")
    parser.add_argument("--sidecar", help="conversion sidecar JSON (patient, date, acquisition facts)")
    parser.add_argument("--ref-lungs", help="reference lung mask (non-zero = lung), any grid")
    parser.add_argument("--ref-lesions", help="reference lesion mask (1 GGO, 2 consolidation), any grid")
    parser.add_argument("--lobes", help="lobe labels on the image grid (1 right upper, 2 right middle, 3 right lower,"
                                        " 4 left upper, 5 left lower): adds POI and CT severity score per lobe")
    parser.add_argument("--steps", nargs="*", default=[], metavar="STATUS",
                        help="status files of the segmentation steps (their --status); when one failed, the "
                             "scan is not measured and the record says status failed, with that step and reason")
    parser.add_argument("--record-failure", action="store_true",
                        help="when measuring fails, write a record with status failed (step measure) and exit 0 "
                             "instead of stopping with an error (the workflow's mode)")
    parser.add_argument("--out", required=True, help="metrics JSON to write")


def _measure(args) -> dict:
    """The metrics record, or a failed record when a step before failed (or measuring failed, with --record-failure)."""
    from pathlib import Path

    from lungtrack.ingest.status import failure_reason, read_status
    from lungtrack.measure.metrics import measure_case
    from lungtrack.measure.outcome import failed_record

    acquisition = json.loads(Path(args.sidecar).read_text()) if args.sidecar else {}
    for status in map(read_status, args.steps):
        if status["status"] == "failed":
            return failed_record(acquisition, status["failed_step"], status["reason"])
    try:
        return measure_case(args.image, args.lungs, args.lesions, args.sidecar, args.ref_lungs, args.ref_lesions,
                            args.lobes)
    except Exception as exc:
        if not args.record_failure:
            raise
        return failed_record(acquisition, "measure", failure_reason(exc))


def run(args) -> int:
    import logging

    from lungtrack.io.atomic import write_text

    record = _measure(args)
    write_text(args.out, json.dumps(record, indent=2, allow_nan=True) + "\n")
    log = logging.getLogger("lungtrack.measure")
    if record["status"] == "failed":
        log.error("%s %s: not analysed, %s failed: %s", record["patient_id"], record["study_date"],
                  record["failed_step"], record["reason"])
    else:
        log.info("%s %s: lung %.0f mL, lesion %.1f mL, POI %.2f %%", record["patient_id"], record["study_date"],
                 record["lung_ml"], record["lesion_ml"], record["poi"])
    return 0
