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
from lungtrack.io.images import voxel_volume_ml
from lungtrack.io.names import lobe_map_path
from lungtrack.io.scan_files import ScanFiles
from lungtrack.measure.overlap import dice
from lungtrack.measure.patient import patient_table, read_patient
from lungtrack.measure.regions import ZONES, lobe_measures, zone_measures
from lungtrack.settings import default
from lungtrack.track.ct_registration import register_scans
from lungtrack.track.lesions import describe_components, find_components, interval_events, lesion_ids, match
from lungtrack.track.label_warp import warp_labels_and_lungs
from lungtrack.track.registration import identity, lung_dice, write_transform
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


@dataclass(frozen=True)
class _Tracked:
    """What one scan adds to the patient's tracking.

    ``transform_file``: relative to ``out_dir``, None at baseline; ``lesion_profile``: lesion voxels per
    baseline slice (z) after registration; ``registration``: its row of ``registration`` (None at baseline).
    """

    study_date: str
    timepoint: str
    transform_file: str | None
    lesion_profile: np.ndarray
    registration: dict | None
    regions: list[dict]
    warnings: list[str]


def _register(baseline: Scan, scan: Scan, components: sitk.Image, method: str,
              out_dir: Path) -> tuple[np.ndarray, str, dict, list[str]]:
    """Fit ``scan`` to ``baseline``, write the transform and move ``scan``'s lesion ``components`` onto the
    baseline: (the moved components as a (z, y, x) array on the baseline CT's grid, the transform's file
    relative to ``out_dir``, the fit's row of ``registration`` with lung Dice (0–1) before and after,
    warnings about the fit)."""
    fit = register_scans((baseline.ct, baseline.lungs, baseline.lesions), (scan.ct, scan.lungs, scan.lesions), method)
    transform_file = f"transforms/{scan.timepoint}_to_baseline.h5"
    write_transform(fit.transform, out_dir / transform_file)
    warped, warped_lungs = warp_labels_and_lungs(components, scan.lungs, baseline.ct, baseline.lungs, fit.transform)
    after = dice(sitk.GetArrayViewFromImage(baseline.lungs) > 0, warped_lungs)
    del warped_lungs
    before = lung_dice(baseline.lungs, scan.lungs, identity())
    row = {"study_date": scan.study_date, "timepoint": scan.timepoint, "method": fit.method, "used": fit.used,
           "dice_lungs_before": before, "dice_lungs_after": after, **fit.quality}
    return warped, transform_file, row, _fit_warnings(scan.study_date, after, fit.quality)


class _LesionFollower:
    """Gives the lesions of each scan, in date order, their ids and events against the previous scan.

    ``rows`` collects the rows of ``lesions.csv``: one per lesion and scan, plus one ``resolved`` row
    for each lesion of the previous scan without a match (:func:`lungtrack.track.lesions.interval_events`).
    """

    def __init__(self, options: TrackingOptions):
        self.options, self.new_id, self.previous, self.rows = options, lesion_ids(), None, []

    def follow(self, scan: Scan, warped: np.ndarray, lesions: list[dict]) -> None:
        """Add ``scan``'s lesions (:func:`describe_components`), their components ``warped`` onto the baseline."""
        volumes = {c["label"]: c["volume_ml"] for c in lesions}
        where = {"study_date": scan.study_date, "timepoint": scan.timepoint}
        if self.previous is None:
            ids = {c["label"]: self.new_id() for c in lesions}
            events = {c["label"]: ("baseline", []) for c in lesions}
        else:
            links = match(self.previous["warped"], warped, self.options.min_overlap)
            ids, events, resolved = interval_events(self.previous["ids"], self.previous["volumes"], volumes, links,
                                                    self.new_id, self.options.growth_pct)
            for label in resolved:
                gone = self.previous["lesions"][label]
                self.rows.append({"lesion_id": self.previous["ids"][label], **where, "event": "resolved",
                                  "volume_ml": 0.0, "mean_hu": None, "lung": gone["lung"], "zone": gone["zone"],
                                  "related": ""})
        for c in lesions:
            event, related = events[c["label"]]
            self.rows.append({"lesion_id": ids[c["label"]], **where, "event": event, "volume_ml": c["volume_ml"],
                              "mean_hu": c["mean_hu"], "lung": c["lung"], "zone": c["zone"],
                              "related": ", ".join(related)})
        self.previous = {"warped": warped, "ids": ids, "volumes": volumes, "lesions": {c["label"]: c for c in lesions}}


def _regions(scan: Scan, patient_id: str, lobes_dir) -> tuple[list[dict], list[str]]:
    """(rows of regions.csv, warnings) of one scan: zones, and lobes when ``lobes_dir`` gives the scan's lobe map."""
    voxel_ml = voxel_volume_ml(scan.ct)
    lungs, lesions = sitk.GetArrayViewFromImage(scan.lungs), sitk.GetArrayViewFromImage(scan.lesions)
    regions, warnings = zone_measures(lungs, lesions, voxel_ml), []
    if scan.lobes is not None:
        regions += lobe_measures(sitk.GetArrayViewFromImage(scan.lobes), lesions, voxel_ml)
    elif lobes_dir:
        warnings.append(f"{scan.study_date}: no lobe labels found in {lobes_dir}; lobe scores left out")
    rows = [{"patient_id": patient_id, "study_date": scan.study_date, "timepoint": scan.timepoint, **row}
            for row in regions]
    return rows, warnings


def _record(patient_id: str, options: TrackingOptions, lobes_dir, baseline: Scan | None, tracked: list[_Tracked],
            lesion_rows: list[dict]) -> dict:
    """The content of ``tracking.json`` from every scan's :class:`_Tracked`, in date order."""
    regions = [row for t in tracked for row in t.regions]
    slices = []
    if baseline is not None:
        levels = _slice_levels(baseline, sum(t.lesion_profile for t in tracked))
        slices = _slice_positions([(t.study_date, t.timepoint, t.transform_file) for t in tracked], baseline, levels)
    return {
        "patient_id": patient_id,
        "baseline": baseline.timepoint if baseline is not None else None,
        "settings": {**asdict(options), "lobes": bool(lobes_dir)},
        "zones": ZONES,
        "registration": [t.registration for t in tracked if t.registration is not None],
        "lesions": lesion_rows,
        "regions": regions,
        "slices": slices,
        "warnings": [w for t in tracked for w in t.warnings],
        "lobes_used": any(r["metric"] == "lobe_severity_total" for r in regions),
    }


def _analysed_scans(metrics_paths: list[Path], scan_files: list[ScanFiles],
                    patient_id: str) -> list[tuple[dict, Path, ScanFiles]]:
    """(metrics record, its file, the scan's files) of each analysed scan of the patient, in date order."""
    records = read_patient(metrics_paths, patient_id)
    given = {r["timepoint"]: (path, files) for r, path, files in zip(records, metrics_paths, scan_files, strict=True)}
    _, analysed = patient_table(records)
    skipped = len(records) - len(analysed)
    if skipped:
        log.info("%s: %d of %d scans not analysed (status failed), left out", patient_id, skipped, len(records))
    return [(record, *given[record["timepoint"]]) for record in analysed]


def track_patient(metrics_paths, scan_files: list[ScanFiles], patient_id: str, out_dir,
                  options: TrackingOptions = TrackingOptions(), lobes_dir=None) -> dict:
    """Track one patient's scans (any order; the earliest is the baseline) and write the results.

    ``scan_files``: the CT and masks of each metrics file, in the order of ``metrics_paths``
    (:func:`lungtrack.io.scan_files.pair_scan_files`). Only the analysed scans are tracked (and
    their files read): a metrics record whose status is failed (segmentation or QC failed,
    :mod:`lungtrack.measure.outcome`) is left out, and the next scan is compared with the last
    analysed one. With none analysed, the outputs are written empty. Returns the content of
    ``tracking.json``.
    """
    out_dir = Path(out_dir)
    scans = _analysed_scans([Path(p) for p in metrics_paths], list(scan_files), patient_id)
    follower, tracked, baseline = _LesionFollower(options), [], None
    for record, source, files in tqdm(scans, desc=f"track {patient_id}", unit="scan", disable=None):
        lobes = lobe_map_path(lobes_dir, patient_id, record["timepoint"]) if lobes_dir else None
        scan = load_scan(record, source, files, lobes if lobes is not None and lobes.is_file() else None)
        components = find_components(scan.lesions, options.min_lesion_ml)
        lesions = describe_components(sitk.GetArrayViewFromImage(components), sitk.GetArrayViewFromImage(scan.ct),
                                      sitk.GetArrayViewFromImage(scan.lungs), voxel_volume_ml(scan.ct))
        if baseline is None:
            baseline, transform_file, registration, warnings = scan, None, None, []
            warped = sitk.GetArrayFromImage(components)
        else:
            warped, transform_file, registration, warnings = _register(baseline, scan, components,
                                                                       options.registration, out_dir)
        del components
        follower.follow(scan, warped, lesions)
        regions, region_warnings = _regions(scan, patient_id, lobes_dir)
        tracked.append(_Tracked(scan.study_date, scan.timepoint, transform_file, (warped > 0).sum(axis=(1, 2)),
                                registration, regions, warnings + region_warnings))
    result = _write_results(out_dir, _record(patient_id, options, lobes_dir, baseline, tracked, follower.rows))
    rows = follower.rows
    log.info("%s: %d scans, %d lesion rows, %d new, %d resolved -> %s", patient_id, len(scans), len(rows),
             sum(r["event"] == "new" for r in rows), sum(r["event"] == "resolved" for r in rows), out_dir)
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
