"""Track one patient: register every scan to the baseline, follow the lesions, measure the zones.

Writes into ``out_dir``: ``tracking.json`` (everything the report shows, written last),
``lesions.csv`` (one row per lesion and scan), ``regions.csv`` (long format: patient_id,
study_date, timepoint, region, metric, value), ``transforms/<timepoint>_to_baseline.h5`` and
``slices/<timepoint>_<level>.png`` (axial slices at corresponding positions).
"""

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk
from tqdm import tqdm

from lungtrack.errors import InputError
from lungtrack.io.atomic import atomic_path, write_text
from lungtrack.io.images import read_image, same_grid, voxel_volume_ml
from lungtrack.report.data import load_patient
from lungtrack.report.slices import crop_box, slice_png
from lungtrack.segment.orientation import to_canonical
from lungtrack.settings import default
from lungtrack.track.ct_registration import register_scans
from lungtrack.track.lesions import describe_components, find_components, interval_events, lesion_ids, match
from lungtrack.track.regions import ZONES, lobe_measures, zone_measures
from lungtrack.track.registration import identity, lung_dice, warp_image, warp_labels, write_transform

log = logging.getLogger("lungtrack.track")

#: Below this lung Dice (0–1) after registration the report warns that positions may not correspond.
MIN_REGISTRATION_DICE = 0.85
LEVELS = ("upper", "middle", "lower")


@dataclass(frozen=True)
class TrackingOptions:
    """Settings of the ``tracking:`` config section (defaults from the config schema)."""

    registration: str = default("tracking", "registration")
    min_overlap: float = default("tracking", "min_lesion_overlap")
    growth_pct: float = default("tracking", "lesion_growth_pct")
    min_lesion_ml: float = default("tracking", "min_lesion_ml")


@dataclass
class _Scan:
    """One scan in canonical orientation (CT in HU, lung and lesion labels on its grid)."""

    timepoint: str
    study_date: str
    ct: sitk.Image
    lungs: sitk.Image
    lesions: sitk.Image


def _load_scan(record: dict, metrics_path) -> _Scan:
    paths = record.get("paths") or {}
    images = {}
    for key in ("image", "lungs", "lesions"):
        if not paths.get(key):
            raise InputError(metrics_path, f"metrics file lacks paths.{key}")
        images[key] = read_image(paths[key])
    for key in ("lungs", "lesions"):
        if not same_grid(images[key], images["image"]):
            raise InputError(paths[key], "mask is not on the grid of its CT image")
    return _Scan(record["timepoint"], record["study_date"], *(to_canonical(images[k]) for k in ("image", "lungs",
                                                                                                  "lesions")))


def _lobes(lobes_dir, patient_id: str, scan: _Scan) -> np.ndarray | None:
    """Canonical lobe labels of a scan from ``lobes_dir/<patient>/<timepoint>_lobes.nii.gz``, or None if absent."""
    path = Path(lobes_dir) / patient_id / f"{scan.timepoint}_lobes.nii.gz"
    if not path.is_file():
        return None
    lobes = to_canonical(read_image(path))
    if not same_grid(lobes, scan.ct):
        raise InputError(path, "lobe labels are not on the grid of their CT image")
    return sitk.GetArrayFromImage(lobes)


def _slice_levels(baseline: _Scan, lesion_profile: np.ndarray) -> dict[str, int]:
    """Baseline slice index (z) of each lung third: the slice with most lesion area over all scans, or the middle."""
    lungs = sitk.GetArrayViewFromImage(baseline.lungs) > 0
    z = np.nonzero(lungs.any(axis=(1, 2)))[0]
    if z.size == 0:
        raise InputError(None, f"baseline {baseline.timepoint} has no lung voxels")
    bounds = np.linspace(z[0], z[-1] + 1, 4).round().astype(int)
    levels = {}
    for i, level in enumerate(reversed(LEVELS)):  # thirds in increasing z: lower, middle, upper
        lo, hi = int(bounds[i]), int(max(bounds[i] + 1, bounds[i + 1]))
        part = lesion_profile[lo:hi]
        levels[level] = int(lo + part.argmax()) if part.max(initial=0) > 0 else (lo + hi - 1) // 2
    return levels


def _write_slices(scans_and_transforms, baseline: _Scan, levels: dict[str, int], out_dir: Path) -> list[dict]:
    """Resample every scan at the baseline levels, draw the slices, write the PNGs; return their records."""
    planes = {}
    for scan, transform in scans_and_transforms:
        for level, z in levels.items():
            reference = baseline.ct[:, :, z:z + 1]
            planes[level, scan.study_date, scan.timepoint] = (
                sitk.GetArrayFromImage(warp_image(scan.ct, reference, transform))[0],
                sitk.GetArrayFromImage(warp_labels(scan.lungs, reference, transform))[0],
                sitk.GetArrayFromImage(warp_labels(scan.lesions, reference, transform))[0],
            )
    spacing_yx = baseline.ct.GetSpacing()[1::-1]
    records = []
    for level, z in levels.items():
        keys = [k for k in planes if k[0] == level]
        box = crop_box([planes[k][1] for k in keys])
        for key in keys:
            png = Path("slices") / f"{key[2]}_{level}.png"
            with atomic_path(out_dir / png) as tmp:
                tmp.write_bytes(slice_png(*planes[key], spacing_yx, box))
            z_mm = baseline.ct.TransformIndexToPhysicalPoint((0, 0, z))[2]
            records.append({"level": level, "study_date": key[1], "timepoint": key[2], "z_mm": z_mm,
                            "png": png.as_posix()})
    return records


def _fit_warnings(date: str, dice_after: float, quality: dict) -> list[str]:
    """Warnings about a poor registration: low lung Dice (0–1), a refused refinement, folding."""
    warnings = []
    if quality["refused"]:
        warnings.append(f"{date}: the intensity refinement of the registration was refused ({quality['refused']}); "
                        "the affine lung-outline fit is used")
    if quality["jacobian_min"] <= 0:
        warnings.append(f"{date}: the registration folds (Jacobian determinant {quality['jacobian_min']:.2f}); "
                        "lesion matches and slice positions may not correspond")
    if dice_after < MIN_REGISTRATION_DICE:
        warnings.append(f"{date}: registration to the baseline is poor (lung Dice {dice_after:.2f}); "
                        "lesion matches and slice positions may not correspond")
    return warnings


def track_patient(metrics_paths, patient_id: str, out_dir, options: TrackingOptions = TrackingOptions(),
                  lobes_dir=None) -> dict:
    """Track one patient's scans (any order; the earliest is the baseline) and write the results.

    Only the analysed scans are tracked: a metrics record whose status is failed (segmentation or
    QC failed, :mod:`lungtrack.measure.outcome`) is left out, and the next scan is compared with the
    last analysed one. With none analysed, the outputs are written empty. Returns the content of
    ``tracking.json``.
    """
    metrics_paths = [Path(p) for p in metrics_paths]
    table, records = load_patient(metrics_paths, patient_id)
    path_of = {json.loads(p.read_text())["timepoint"]: p for p in metrics_paths}
    out_dir = Path(out_dir)
    skipped = len(metrics_paths) - len(records)
    if skipped:
        log.info("%s: %d of %d scans not analysed (status failed), left out", patient_id, skipped, len(metrics_paths))
    if not records:
        return _write_results(out_dir, {"patient_id": patient_id, "baseline": None,
                                        "settings": {**asdict(options), "lobes": bool(lobes_dir)}, "zones": ZONES,
                                        "registration": [], "lesions": [], "regions": [], "slices": [],
                                        "warnings": [], "lobes_used": False})
    new_id = lesion_ids()
    lesion_rows, region_rows, registration, warnings, transforms = [], [], [], [], []
    lesion_profile = None
    previous = None
    baseline = None
    for index, record in enumerate(tqdm(records, desc=f"track {patient_id}", unit="scan", disable=None)):
        scan = _load_scan(record, path_of[record["timepoint"]])
        date = scan.study_date
        if baseline is None:
            baseline, transform = scan, identity()
        else:
            fit = register_scans((baseline.ct, baseline.lungs, baseline.lesions), (scan.ct, scan.lungs, scan.lesions),
                                 options.registration)
            transform = fit.transform
            write_transform(transform, out_dir / "transforms" / f"{scan.timepoint}_to_baseline.h5")
            after = lung_dice(baseline.lungs, scan.lungs, transform)
            before = lung_dice(baseline.lungs, scan.lungs, identity())
            registration.append({"study_date": date, "timepoint": scan.timepoint, "method": fit.method,
                                 "used": fit.used, "dice_lungs_before": before, "dice_lungs_after": after,
                                 **fit.quality})
            warnings += _fit_warnings(date, after, fit.quality)
        transforms.append(transform)
        voxel_ml = voxel_volume_ml(scan.ct)
        ct, lungs, lesions = (sitk.GetArrayFromImage(i) for i in (scan.ct, scan.lungs, scan.lesions))
        components = find_components(scan.lesions, options.min_lesion_ml)
        lesion_info = describe_components(sitk.GetArrayViewFromImage(components), ct, lungs, voxel_ml)
        warped = sitk.GetArrayFromImage(components if index == 0 else warp_labels(components, baseline.ct, transform))
        profile = (warped > 0).sum(axis=(1, 2))
        lesion_profile = profile if lesion_profile is None else lesion_profile + profile
        volumes = {c["label"]: c["volume_ml"] for c in lesion_info}
        if previous is None:
            ids = {c["label"]: new_id() for c in lesion_info}
            events = {c["label"]: ("baseline", []) for c in lesion_info}
        else:
            links = match(previous["warped"], warped, options.min_overlap)
            ids, events, resolved = interval_events(previous["ids"], previous["volumes"], volumes, links, new_id,
                                                    options.growth_pct)
            for label in resolved:
                gone = previous["info"][label]
                lesion_rows.append({"lesion_id": previous["ids"][label], "study_date": date,
                                    "timepoint": scan.timepoint, "event": "resolved", "volume_ml": 0.0,
                                    "mean_hu": None, "lung": gone["lung"], "zone": gone["zone"], "related": ""})
        for c in lesion_info:
            event, related = events[c["label"]]
            lesion_rows.append({"lesion_id": ids[c["label"]], "study_date": date, "timepoint": scan.timepoint,
                                "event": event, "volume_ml": c["volume_ml"], "mean_hu": c["mean_hu"],
                                "lung": c["lung"], "zone": c["zone"], "related": ", ".join(related)})
        previous = {"warped": warped, "ids": ids, "volumes": volumes, "info": {c["label"]: c for c in lesion_info}}
        regions = zone_measures(lungs, lesions, voxel_ml)
        if lobes_dir:
            lobes = _lobes(lobes_dir, patient_id, scan)
            if lobes is None:
                warnings.append(f"{date}: no lobe labels found in {lobes_dir}; lobe scores left out")
            else:
                regions += lobe_measures(lobes, lesions, voxel_ml)
        region_rows += [{"patient_id": patient_id, "study_date": date, "timepoint": scan.timepoint, **row}
                        for row in regions]
    levels = _slice_levels(baseline, lesion_profile)
    scans = ((baseline if i == 0 else _load_scan(r, path_of[r["timepoint"]]), t)
             for i, (r, t) in enumerate(zip(records, transforms, strict=True)))
    slices = _write_slices(scans, baseline, levels, out_dir)

    result = {
        "patient_id": patient_id,
        "baseline": baseline.timepoint,
        "settings": {**asdict(options), "lobes": bool(lobes_dir)},
        "zones": ZONES,
        "registration": registration,
        "lesions": lesion_rows,
        "regions": region_rows,
        "slices": slices,
        "warnings": warnings,
        "lobes_used": any(r["metric"] == "lobe_severity_total" for r in region_rows),
    }
    _write_results(out_dir, result)
    log.info("%s: %d scans, %d lesion rows, %d new, %d resolved -> %s", patient_id, len(records), len(lesion_rows),
             sum(r["event"] == "new" for r in lesion_rows), sum(r["event"] == "resolved" for r in lesion_rows), out_dir)
    return result


def _write_results(out_dir: Path, result: dict) -> dict:
    """Write lesions.csv, regions.csv and, last, tracking.json from the tracking ``result``; return it."""
    lesions_table = pd.DataFrame(result["lesions"], columns=["lesion_id", "study_date", "timepoint", "event",
                                                             "volume_ml", "mean_hu", "lung", "zone", "related"])
    with atomic_path(out_dir / "lesions.csv") as tmp:
        lesions_table.to_csv(tmp, index=False, float_format="%.4f")
    with atomic_path(out_dir / "regions.csv") as tmp:
        pd.DataFrame(result["regions"]).to_csv(tmp, index=False, float_format="%.4f")
    write_text(out_dir / "tracking.json", json.dumps(result, indent=1) + "\n")
    return result
