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
    parser.add_argument("--out", required=True, help="metrics JSON to write")


def run(args) -> int:
    import logging

    from lungtrack.io.atomic import write_text
    from lungtrack.measure.metrics import measure_case

    record = measure_case(args.image, args.lungs, args.lesions, args.sidecar, args.ref_lungs, args.ref_lesions,
                          args.lobes)
    write_text(args.out, json.dumps(record, indent=2, allow_nan=True) + "\n")
    logging.getLogger("lungtrack.measure").info(
        "%s %s: lung %.0f mL, lesion %.1f mL, POI %.2f %%",
        record["patient_id"], record["study_date"], record["lung_ml"], record["lesion_ml"], record["poi"],
    )
    return 0
