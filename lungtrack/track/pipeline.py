"""Track one patient: register every scan to the baseline, follow the lesions, measure the zones.

Writes into ``out_dir``: ``tracking.json`` (everything the report shows, written last, including
the corresponding slice positions from which the report draws the axial slices,
:mod:`lungtrack.report.slices`), ``lesions.csv`` (one row per lesion and scan), ``regions.csv``
(long format: patient_id, study_date, timepoint, region, metric, value) and
``transforms/<timepoint>_to_baseline.h5``.
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
from lungtrack.measure.patient import load_patient
from lungtrack.measure.regions import ZONES, lobe_measures, zone_measures
from lungtrack.segment.orientation import to_canonical
from lungtrack.settings import default
from lungtrack.track.ct_registration import register_scans
from lungtrack.track.lesions import describe_components, find_components, interval_events, lesion_ids, match
from lungtrack.track.registration import identity, lung_dice, warp_labels, write_transform
from lungtrack.track.scans import Scan, load_scan

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


def _lobes(lobes_dir, patient_id: str, scan: Scan) -> np.ndarray | None:
    """Canonical lobe labels of a scan from ``lobes_dir/<patient>/<timepoint>_lobes.nii.gz``, or None if absent."""
    path = Path(lobes_dir) / patient_id / f"{scan.timepoint}_lobes.nii.gz"
    if not path.is_file():
        return None
    lobes = to_canonical(read_image(path))
    if not same_grid(lobes, scan.ct):
        raise InputError(path, "lobe labels are not on the grid of their CT image")
    return sitk.GetArrayFromImage(lobes)


def _slice_levels(baseline: Scan, lesion_profile: np.ndarray) -> dict[str, int]:
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


def _slice_positions(scans: list[tuple[str, str, str | None]], baseline: Scan, levels: dict[str, int]) -> list[dict]:
    """Where the report draws each scan: the baseline slice of each level and the transform that moves the scan there.

    ``scans``: (study_date, timepoint, transform file relative to ``out_dir`` or None for the
    baseline). ``z_index`` is the baseline's canonical slice index, ``z_mm`` its LPS z in mm.
    """
    return [{"level": level, "study_date": date, "timepoint": timepoint, "z_index": z,
             "z_mm": baseline.ct.TransformIndexToPhysicalPoint((0, 0, z))[2], "transform": transform}
            for level, z in levels.items() for date, timepoint, transform in scans]


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
    lesion_rows, region_rows, registration, warnings, scans = [], [], [], [], []
    lesion_profile = None
    previous = None
    baseline = None
    for index, record in enumerate(tqdm(records, desc=f"track {patient_id}", unit="scan", disable=None)):
        scan = load_scan(record, path_of[record["timepoint"]])
        date = scan.study_date
        if baseline is None:
            baseline, transform, transform_file = scan, identity(), None
        else:
            fit = register_scans((baseline.ct, baseline.lungs, baseline.lesions), (scan.ct, scan.lungs, scan.lesions),
                                 options.registration)
            transform, transform_file = fit.transform, f"transforms/{scan.timepoint}_to_baseline.h5"
            write_transform(transform, out_dir / transform_file)
            after = lung_dice(baseline.lungs, scan.lungs, transform)
            before = lung_dice(baseline.lungs, scan.lungs, identity())
            registration.append({"study_date": date, "timepoint": scan.timepoint, "method": fit.method,
                                 "used": fit.used, "dice_lungs_before": before, "dice_lungs_after": after,
                                 **fit.quality})
            warnings += _fit_warnings(date, after, fit.quality)
        scans.append((date, scan.timepoint, transform_file))
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
    slices = _slice_positions(scans, baseline, _slice_levels(baseline, lesion_profile))

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
