"""Sensitivity of the threshold backend to real COVID-19 lesion shapes inserted into real chest CT.

The false-positive floor on real lungs (``bench/realct.py``) can be cut by rules that would also
cut real lesions. This bench checks that they do not: each of the 50 MosMedData expert masks
(``../shared/data/masks/mosmeddata-covid-lesion-masks/``, GGO + consolidation as one label, used
unmodified as shapes) is placed into the lungs of ``pyradiomics-lung2`` and ``pyradiomics-lung1``
and given COVID-19 HU (``lungtrack.evaluate.insertion``: ground glass -750..-400 HU blended over
the vessels; every second mask also a consolidation core -100..+40 HU with air bronchograms
kept). The lesions are then segmented and per insertion it prints the true lesion mL, lesion
Dice, sensitivity (true lesion voxels found), POI error (pp; includes the CT's own
false-positive floor) and the false-positive POI outside the inserted lesion (+2 mm).

The lungs are segmented once per CT, on the CT without lesions, and cached in ``--cache``: the
inserted lesions are measured inside that lung mask. For ground glass that is what the lung
segmenter gives anyway; for consolidation against the chest wall the lung mask of the changed CT
could lose the lesion (the wall fill's job, not measured here). The tumour (+2 mm) is left out of
truth and prediction.

    python bench/realct_lesions.py                    # 50 masks x 2 CTs
    python bench/realct_lesions.py --masks 5 --only pyradiomics-lung2
"""

import argparse
import hashlib
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk
import yaml

from lungtrack.evaluate.insertion import insert_lesion, place_shape, random_look
from lungtrack.evaluate.losses import CAUSES, lost_by_cause
from lungtrack.io.images import array_like, read_image, write_image
from lungtrack.measure.overlap import dice
from lungtrack.measure.reference import load_reference
from lungtrack.segment import segment_lesions, segment_lungs
from lungtrack.segment.morphology import dilate
from lungtrack.segment.orientation import to_canonical

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MASKS = SHARED / "masks" / "mosmeddata-covid-lesion-masks"
#: (name, CT and tumour mask below realct/)
CTS = [
    ("pyradiomics-lung2", "pyradiomics-lung2/ct.nii.gz", "pyradiomics-lung2/tumor.nii.gz"),
    ("pyradiomics-lung1", "pyradiomics-lung1/ct.nii.gz", "pyradiomics-lung1/tumor.nii.gz"),
]
TARGETS = {"dice": 0.7, "sensitivity": 0.8}
#: ground-glass bands (HU) the sensitivity is also reported for: faint ground glass near the GGO
#: threshold (aerated lung + 150 HU) is found partly or not at all
BANDS = {"faint (< -650 HU)": (-1e9, -650.0), "moderate (-650..-550 HU)": (-650.0, -550.0),
         "dense (>= -550 HU)": (-550.0, 1e9)}


def cached_lungs(ct_path: Path, image: sitk.Image, cache: Path) -> sitk.Image:
    """The threshold backend's lungs of ``image``, from ``cache`` when segmented before (keyed by the
    CT file's bytes; delete the cache after changing the lung segmenter)."""
    key = hashlib.sha1(ct_path.read_bytes()).hexdigest()[:16]
    path = cache / f"{key}_lungs.nii.gz"
    if path.exists():
        return read_image(path)
    lungs = segment_lungs(image, backend="threshold")
    cache.mkdir(parents=True, exist_ok=True)
    write_image(lungs, path)
    return lungs


def insertion_row(image: sitk.Image, hu: np.ndarray, lungs: sitk.Image, keep: np.ndarray, shape_path: Path,
                  seed: int, consolidation: bool, margin_mm: float = 2.0, losses: bool = False, **opts) -> dict:
    """Insert one lesion shape into ``image`` (HU array ``hu`` (z, y, x)), segment (``opts`` go to the
    threshold backend) and compare inside ``keep`` (lung minus tumour); volumes mL, POI in %.
    ``losses``: also the missed true voxels per cause (``evaluate.losses``, voxel counts) and the
    smoothed HU the backend saw in the inserted ground glass (median, and the fraction at or above
    its GGO threshold)."""
    rng = np.random.default_rng(seed)
    spacing = image.GetSpacing()[::-1]
    lesion = place_shape(read_image(shape_path), lungs) & keep
    look = random_look(rng, consolidation)
    new_hu, truth = insert_lesion(hu, lesion, spacing, look, rng)
    changed = array_like(np.clip(np.round(new_hu), -32768, 32767), image, np.int16)
    stages = {} if losses else None
    start = time.perf_counter()
    found = sitk.GetArrayFromImage(segment_lesions(changed, lungs, backend="threshold", stages=stages, **opts)) > 0
    seconds = time.perf_counter() - start
    found &= keep
    true = truth > 0
    extra = {}
    if losses:
        def canonical(mask):
            full = sitk.GetArrayFromImage(to_canonical(array_like(mask.astype(np.uint8), image, np.uint8))) > 0
            return full[stages["box"]]
        extra = lost_by_cause(stages, canonical(true), canonical(found))
        seen = stages["hu"][canonical(truth == 1)]
        extra.update(ggo_threshold=stages["ggo_hu"], seen_hu=float(np.median(seen)) if seen.size else np.nan,
                     above=float((seen >= stages["ggo_hu"]).mean()) if seen.size else np.nan)
    ml = float(np.prod(spacing)) / 1000.0
    lung_voxels = float(keep.sum())
    outside = found & ~dilate(true, margin_mm, spacing)
    return {
        "mask": shape_path.name.split("_mask")[0], "kind": "mixed" if consolidation else "ggo",
        "ggo_hu": look.ggo_hu, "true_ml": float(true.sum()) * ml, "found_ml": float(found.sum()) * ml,
        "dice": dice(found, true), "sensitivity": float((found & true).sum() / max(true.sum(), 1)),
        "poi_error": 100.0 * (float(found.sum()) - float(true.sum())) / lung_voxels,
        "fp_poi": 100.0 * float(outside.sum()) / lung_voxels, "seconds": seconds, **extra,
    }


def floor_poi(image: sitk.Image, lungs: sitk.Image, keep: np.ndarray, **opts) -> float:
    """False-positive POI (%) of the CT itself, without an inserted lesion: lesion in ``keep`` (lung
    minus tumour + margin) over the lung, as ``bench/realct.py`` measures it on the same lungs."""
    found = sitk.GetArrayFromImage(segment_lesions(image, lungs, backend="threshold", **opts)) > 0
    return 100.0 * float((found & keep).sum()) / float((sitk.GetArrayFromImage(lungs) > 0).sum())


def run_ct(realct: Path, name: str, ct: str, tumour: str, shapes: list, cache: Path, margin_mm: float = 2.0,
           losses: bool = False, **opts):
    """(false-positive POI (%) of the CT without insertion, every insertion row of one CT (see
    :func:`insertion_row`)); ``opts`` go to the lesion segmenter."""
    image = read_image(realct / ct)
    lungs = cached_lungs(realct / ct, image, cache)
    spacing = image.GetSpacing()[::-1]
    tumour_mask = sitk.GetArrayFromImage(load_reference(realct / tumour, image)) > 0
    keep = (sitk.GetArrayFromImage(lungs) > 0) & ~dilate(tumour_mask, margin_mm, spacing)
    hu = sitk.GetArrayFromImage(image)
    return floor_poi(image, lungs, keep, **opts), [dict(ct=name, **insertion_row(image, hu, lungs, keep, path, seed=i, consolidation=i % 2 == 1,
                                            margin_mm=margin_mm, losses=losses, **opts))
            for i, path in enumerate(shapes)]


def summary(rows: list) -> dict:
    """Mean / minimum Dice and sensitivity, maximum |POI error| (pp), over the rows with a lesion."""
    rows = [r for r in rows if r["true_ml"] > 0]
    dices = np.array([r["dice"] for r in rows])
    sens = np.array([r["sensitivity"] for r in rows])
    return {"n": len(rows), "dice_mean": float(dices.mean()), "dice_min": float(dices.min()),
            "sensitivity_mean": float(sens.mean()), "sensitivity_min": float(sens.min()),
            "poi_error_max": float(max(abs(r["poi_error"]) for r in rows)),
            "fp_poi_mean": float(np.mean([r["fp_poi"] for r in rows])),
            "bands": {band: float(np.mean([r["sensitivity"] for r in rows if lo <= r["ggo_hu"] < hi] or [np.nan]))
                      for band, (lo, hi) in BANDS.items()}}


def print_losses(rows: list):
    """The share of all true lesion voxels found and lost per cause, overall and per ground-glass band,
    and the smoothed HU of the inserted ground glass against the backend's GGO threshold."""
    groups = {"all": rows, **{band: [r for r in rows if lo <= r["ggo_hu"] < hi] for band, (lo, hi) in BANDS.items()}}
    print(f"{'true voxels':28} " + " ".join(f"{g[:12]:>12}" for g in groups))
    for cause in ("found", *CAUSES):
        shares = [sum(r[cause] for r in g) / max(sum(r["true"] for r in g), 1) for g in groups.values()]
        print(f"{cause:28} " + " ".join(f"{v:12.3f}" for v in shares))
    for r in rows:
        print(f"  {r['ct']:18} {r['mask']:11} target {r['ggo_hu']:5.0f} HU, seen median {r['seen_hu']:5.0f} HU, "
              f"{r['above']:.2f} at or above the GGO threshold {r['ggo_threshold']:.0f} HU")


def _option(text: str):
    key, _, value = text.partition("=")
    return key, yaml.safe_load(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="../shared/data (default beside the repository)")
    parser.add_argument("--only", nargs="*", help="names of the CTs to use (default both)")
    parser.add_argument("--masks", type=int, default=50, help="how many lesion masks (first N, default all 50)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "lungtrack-realct-lungs",
                        help="folder for the cached lung masks")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="keyword of the threshold lesion backend (YAML value), e.g. ggo_radius_mm=3")
    parser.add_argument("--losses", action="store_true",
                        help="also where the missed true lesion voxels went, per step of the backend")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    masks_dir, realct = args.shared / "masks" / "mosmeddata-covid-lesion-masks", args.shared / "realct"
    if not masks_dir.is_dir() or not realct.is_dir():
        print(f"skipped: {masks_dir} or {realct} is absent")
        return 0
    opts = dict(_option(text) for text in args.option)
    shapes = sorted(masks_dir.glob("study_*_mask.nii.gz"))[: args.masks]
    print(f"{'CT':18} {'mask':11} {'kind':5} {'GGO HU':>6} {'true mL':>8} {'found':>7} {'Dice':>5} "
          f"{'sens':>5} {'POI err':>8} {'FP POI':>7} {'s':>5}")
    all_rows = []
    for name, ct, tumour in CTS:
        if args.only and name not in args.only:
            continue
        floor, rows = run_ct(realct, name, ct, tumour, shapes, args.cache, losses=args.losses, **opts)
        print(f"{name}: false-positive POI without an inserted lesion {floor:.2f} %")
        for r in rows:
            print(f"{r['ct']:18} {r['mask']:11} {r['kind']:5} {r['ggo_hu']:6.0f} {r['true_ml']:8.1f} "
                  f"{r['found_ml']:7.1f} {r['dice']:5.2f} {r['sensitivity']:5.2f} {r['poi_error']:+8.2f} "
                  f"{r['fp_poi']:7.2f} {r['seconds']:5.1f}")
        s = summary(rows)
        print(f"{name}: {s['n']} insertions, Dice mean {s['dice_mean']:.3f} (min {s['dice_min']:.2f}), "
              f"sensitivity mean {s['sensitivity_mean']:.3f} (min {s['sensitivity_min']:.2f}), "
              f"max |POI error| {s['poi_error_max']:.2f} pp, FP POI mean {s['fp_poi_mean']:.2f} %")
        print("  sensitivity by ground glass: " + ", ".join(f"{b} {v:.2f}" for b, v in s["bands"].items()))
        all_rows += rows
    if args.losses:
        print_losses(all_rows)
    s = summary(all_rows)
    ok = s["dice_mean"] >= TARGETS["dice"] and s["sensitivity_mean"] >= TARGETS["sensitivity"]
    print(f"all: Dice mean {s['dice_mean']:.3f}, sensitivity mean {s['sensitivity_mean']:.3f} "
          f"(targets >= {TARGETS['dice']}, >= {TARGETS['sensitivity']}): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
