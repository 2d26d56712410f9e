"""Accuracy of the threshold backend on real chest CT that nobody on this project made.

Reads ``../shared/data/realct/`` (see its README: chests without pneumonia, two with a tumour
mask, a right-lung crop pair with lung masks, a heart-centred crop), segments each CT with the
``threshold`` backend and prints per CT:

- lung volume (mL), right / left, and the scan's QC verdict (``lungtrack.measure.qc``);
- lesion volume (mL) and the false-positive POI: lesion volume outside the tumour mask (dilated
  by ``--tumour-margin-mm``, the tumour's own partial-volume edge) as a percentage of the lung;
  every lesion is a false positive in a CT without pneumonia and without a tumour mask;
- the fraction of the tumour covered by lesion, for the CTs with a tumour mask;
- lung Dice and volume error against the lung mask, where one exists (the crop pair);
- the lung voxels outside the pleura: lung voxels above ``--wall-hu`` HU that do not touch
  aerated lung within ``--wall-mm`` mm and are not lesion (soft tissue taken in as lung);
- the wall time per CT and its ratio to reading the CT once in the same process.

Targets (issue: numbers that hold on real chest CT): false-positive POI <= 0.5 % on every whole
chest, tumour coverage >= 80 %, QC fail on both crops. ``PASS``/``FAIL`` per CT and in total.

    python bench/realct.py                 # every CT in ../shared/data/realct
    python bench/realct.py --only pyradiomics-lung2
"""

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from lungtrack.io.images import read_image, voxel_volume_ml
from lungtrack.measure.metrics import case_qc
from lungtrack.measure.overlap import dice
from lungtrack.measure.reference import load_reference
from lungtrack.segment import segment_lesions, segment_lungs
from lungtrack.segment.morphology import dilate

REALCT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "realct"
#: (name, CT path below realct/, tumour mask or None, lung mask or None, whole chest?)
CASES = [
    ("pyradiomics-lung2", "pyradiomics-lung2/ct.nii.gz", "pyradiomics-lung2/tumor.nii.gz", None, True),
    ("pyradiomics-lung1", "pyradiomics-lung1/ct.nii.gz", "pyradiomics-lung1/tumor.nii.gz", None, True),
    ("cip-chest-lowres", "cip-chest-lowres/ct.nii.gz", None, None, True),
    ("elastix-baseline", "elastix-right-lung-pair/baseline/ct.nii.gz", None,
     "elastix-right-lung-pair/baseline/lungs.nii.gz", False),
    ("elastix-followup", "elastix-right-lung-pair/followup/ct.nii.gz", None,
     "elastix-right-lung-pair/followup/lungs.nii.gz", False),
    ("totalseg-heart-crop", "totalseg-heart-crop/ct.nii.gz", None, None, False),
]
TARGETS = {"fp_poi_pct": 0.5, "tumour_covered": 0.80}


def _array(image: sitk.Image) -> np.ndarray:
    return sitk.GetArrayFromImage(image)


def evaluate_ct(ct_path: Path, tumour_path=None, lungs_path=None, tumour_margin_mm: float = 2.0,
                wall_hu: float = -300.0, wall_mm: float = 5.0) -> dict:
    """Segment one real CT and measure it (see module doc); arrays (z, y, x), volumes mL."""
    start = time.perf_counter()
    image = read_image(ct_path)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    lungs_img = segment_lungs(image, backend="threshold")
    lesions_img = segment_lesions(image, lungs_img, backend="threshold")
    seconds = time.perf_counter() - start
    lungs, lesions = _array(lungs_img), _array(lesions_img)
    ml = voxel_volume_ml(image)
    spacing = image.GetSpacing()[::-1]
    lung, lesion = lungs > 0, (lesions > 0) & (lungs > 0)
    lung_ml = float(lung.sum()) * ml
    out = {
        "lung_ml": lung_ml, "right_ml": float((lungs == 1).sum()) * ml, "left_ml": float((lungs == 2).sum()) * ml,
        "lesion_ml": float(lesion.sum()) * ml, "seconds": seconds, "read_ratio": seconds / max(read_s, 1e-6),
        **case_qc(image, lungs, lesions),
    }
    outside = lesion
    if tumour_path:
        tumour = _array(load_reference(tumour_path, image)) > 0
        out["tumour_covered"] = float((lesion & tumour).sum() / max(tumour.sum(), 1))
        outside = lesion & ~dilate(tumour, tumour_margin_mm, spacing)
    out["fp_ml"] = float(outside.sum()) * ml
    out["fp_poi"] = 100.0 * out["fp_ml"] / lung_ml if lung_ml else float("nan")
    hu = _array(image)
    aerated = lung & (hu < -600)
    dense = lung & ~lesion & (hu > wall_hu) & ~dilate(aerated, wall_mm, spacing)
    out["outside_pleura_ml"] = float(dense.sum()) * ml
    if lungs_path:
        ref = _array(load_reference(lungs_path, image)) > 0
        out["lung_dice"] = dice(lung, ref)
        out["lung_error_pct"] = 100.0 * (lung.sum() - ref.sum()) / max(ref.sum(), 1)
    return out


def verdict(whole_chest: bool, row: dict) -> bool:
    """Whether a CT meets the targets: whole chests a low false-positive POI and a covered
    tumour, crops a QC fail."""
    if not whole_chest:
        return row["qc"] == "fail"
    ok = row["qc"] != "fail" and row["fp_poi"] <= TARGETS["fp_poi_pct"]
    return ok and row.get("tumour_covered", 1.0) >= TARGETS["tumour_covered"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realct", type=Path, default=REALCT, help="folder of the real CTs (default ../shared)")
    parser.add_argument("--only", nargs="*", help="names of the CTs to run (default all)")
    parser.add_argument("--tumour-margin-mm", type=float, default=2.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.realct.is_dir():
        print(f"skipped: {args.realct} is absent")
        return 0
    header = (f"{'CT':22} {'lung mL':>8} {'R':>6} {'L':>6} {'lesion':>7} {'FP POI%':>8} {'tumour':>7} "
              f"{'outside':>8} {'Dice':>6} {'s':>6} {'xread':>6}  qc / result")
    print(header)
    passed = 0
    selected = [c for c in CASES if not args.only or c[0] in args.only]
    for name, ct, tumour, lungs_ref, whole in selected:
        row = evaluate_ct(args.realct / ct, tumour and args.realct / tumour, lungs_ref and args.realct / lungs_ref,
                          args.tumour_margin_mm)
        ok = verdict(whole, row)
        passed += ok
        cover = f"{row['tumour_covered']:.2f}" if "tumour_covered" in row else "-"
        dice_text = f"{row['lung_dice']:.3f}" if "lung_dice" in row else "-"
        print(f"{name:22} {row['lung_ml']:8.0f} {row['right_ml']:6.0f} {row['left_ml']:6.0f} {row['lesion_ml']:7.1f} "
              f"{row['fp_poi']:8.2f} {cover:>7} {row['outside_pleura_ml']:8.1f} {dice_text:>6} {row['seconds']:6.1f} "
              f"{row['read_ratio']:6.1f}  {row['qc']} / {'PASS' if ok else 'FAIL'}")
        for reason in row["qc_reasons"]:
            print(f"{'':24}- {reason}")
    print(f"{passed}/{len(selected)} CTs meet the targets "
          f"(whole chest: FP POI <= {TARGETS['fp_poi_pct']} %, tumour >= {TARGETS['tumour_covered']:.0%}; crops: qc fail)")
    return 0 if passed == len(selected) else 1


if __name__ == "__main__":
    sys.exit(main())
