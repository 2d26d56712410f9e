"""Accuracy of the threshold segmentation backend on the synthetic demo cohort (or a variant).

Generates the cohort (default: 3 patients x 3 timepoints, seed 7, as the demo) with
``lungtrack.phantom.make_case`` into a temporary folder, segments every CT from its NIfTI with
the ``threshold`` backend and prints per timepoint: POI error (percentage points), lung volume
error (%), lesion / GGO / consolidation Dice, and PASS/FAIL against the targets
|POI error| <= 1.0 pp, |lung volume error| <= 3 %, lesion Dice >= 0.85.

    python bench/accuracy.py                      # the demo cohort
    python bench/accuracy.py --variant thick      # named variant (see VARIANTS)
    python bench/accuracy.py --option body_scale=1.2 --option fov_padding=-3024
"""

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from lungtrack.io.images import read_image, write_image
from lungtrack.phantom import make_case
from lungtrack.phantom.cohort import patient_seed
from lungtrack.segment import segment_lesions, segment_lungs

TARGETS = {"poi_pp": 1.0, "lung_volume_pct": 3.0, "lesion_dice": 0.85, "healthy_poi_pct": 0.5}
VARIANTS = {
    "demo": {},
    "thick": {"slice_mm": 5.0, "pixel_mm": 0.9, "matrix": 384},
    "thin": {"slice_mm": 1.0, "pixel_mm": 1.4, "matrix": 248},
    "large": {"body_scale": 1.2, "fat_mm": 30.0, "pixel_mm": 2.0, "fov_padding": -3024},
    "small": {"body_scale": 0.8, "lung_scale": 0.9, "pixel_mm": 1.4, "fov_padding": -2000},
    "traps": {"anterior_junction": True, "bowel_gas": True, "fov_padding": -2000, "severity": 1.4},
    "domed": {"basal_retraction_mm": 25.0},
    "healthy": {"basal_retraction_mm": 25.0, "lesions": False},
    "mass": {"paravertebral_mass_mm": 40.0, "lesions": False},
}


def dice(a: np.ndarray, b: np.ndarray) -> float:
    total = a.sum() + b.sum()
    return float(2 * (a & b).sum() / total) if total else 1.0


def evaluate(ct_path: Path, lungs_true: np.ndarray, lesions_true: np.ndarray) -> dict:
    """Segment the CT at ``ct_path`` and compare with the truth arrays (z, y, x)."""
    image = read_image(ct_path)
    start = time.perf_counter()
    lungs_img = segment_lungs(image, backend="threshold")
    lesions_img = segment_lesions(image, lungs_img, backend="threshold")
    seconds = time.perf_counter() - start
    lungs, lesions = sitk.GetArrayFromImage(lungs_img), sitk.GetArrayFromImage(lesions_img)
    lung, lung_true = lungs > 0, lungs_true > 0
    poi = 100.0 * (lesions > 0).sum() / max(lung.sum(), 1)
    poi_true = 100.0 * ((lesions_true > 0) & lung_true).sum() / lung_true.sum()
    return {
        "poi_true": poi_true,
        "poi_error": poi - poi_true,
        "lung_error_pct": 100.0 * (lung.sum() - lung_true.sum()) / lung_true.sum(),
        "lung_dice": dice(lung, lung_true),
        "lesion_dice": dice(lesions > 0, lesions_true > 0),
        "ggo_dice": dice(lesions == 1, lesions_true == 1),
        "consolidation_dice": dice(lesions == 2, lesions_true == 2),
        "seconds": seconds,
    }


def passed(row: dict) -> bool:
    """Within the targets; a lesion-free truth has no Dice to meet but must stay at POI <= 0.5 %."""
    lesions_ok = row["lesion_dice"] >= TARGETS["lesion_dice"] if row["poi_true"] > 0 else (
        row["poi_error"] <= TARGETS["healthy_poi_pct"])
    return (
        abs(row["poi_error"]) <= TARGETS["poi_pp"]
        and abs(row["lung_error_pct"]) <= TARGETS["lung_volume_pct"]
        and lesions_ok
    )


def _option(text: str):
    key, _, value = text.partition("=")
    for cast in (int, float):
        try:
            return key, cast(value)
        except ValueError:
            pass
    return key, {"true": True, "false": False, "none": None}.get(value.lower(), value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=3)
    parser.add_argument("--timepoints", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="demo")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="extra phantom option (PhantomOptions field), repeatable")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    options = {**VARIANTS[args.variant], **dict(_option(o) for o in args.option)}
    print(f"variant {args.variant} options {options}")
    header = f"{'patient':>7} {'tp':>2} {'size (x,y,z)':>15} {'POI %':>6} {'POI err pp':>10} {'lung err %':>10} " \
             f"{'lung Dice':>9} {'lesion Dice':>11} {'GGO Dice':>8} {'cons Dice':>9} {'s':>5}  result"
    print(header)
    rows = []
    with tempfile.TemporaryDirectory(prefix="lungtrack-accuracy-") as tmp:
        for p in range(args.patients):
            for t in range(args.timepoints):
                case = make_case(patient_seed(args.seed, p), timepoint=t, n_timepoints=args.timepoints, **options)
                ct_path = Path(tmp) / f"p{p}_t{t}.nii.gz"
                write_image(case.image(), ct_path)
                row = evaluate(ct_path, case.lungs, case.lesions)
                rows.append(row)
                size = "x".join(str(n) for n in case.ct.shape[::-1])
                print(f"{p + 1:>7} {t + 1:>2} {size:>15} {row['poi_true']:6.2f} {row['poi_error']:+10.2f} "
                      f"{row['lung_error_pct']:+10.2f} {row['lung_dice']:9.3f} {row['lesion_dice']:11.3f} "
                      f"{row['ggo_dice']:8.3f} {row['consolidation_dice']:9.3f} {row['seconds']:5.1f}  "
                      f"{'PASS' if passed(row) else 'FAIL'}", flush=True)
    worst = {
        "max |POI err| pp": max(abs(r["poi_error"]) for r in rows),
        "max |lung err| %": max(abs(r["lung_error_pct"]) for r in rows),
        "min lesion Dice": min(r["lesion_dice"] for r in rows),
        "mean s per case": float(np.mean([r["seconds"] for r in rows])),
    }
    n_pass = sum(passed(r) for r in rows)
    verdict = "PASS" if n_pass == len(rows) else "FAIL"
    print(", ".join(f"{k} {v:.3f}" for k, v in worst.items()))
    print(f"{verdict}: {n_pass}/{len(rows)} timepoints within targets (|POI err| <= {TARGETS['poi_pp']} pp, "
          f"|lung volume err| <= {TARGETS['lung_volume_pct']} %, lesion Dice >= {TARGETS['lesion_dice']})")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
