"""Per case and label: overlap, surface and volume metrics of the pipeline's masks against references.

A case is one metrics JSON of ``lungtrack measure`` (its ``paths`` name the image and masks).
References are found as ``<reference_dir>/<patient_id>/<YYYYMMDD>/lungs.nii.gz`` (non-zero =
lung) and ``lesions.nii.gz`` (1 GGO, 2 consolidation), on any grid, and resampled onto the
image grid with nearest neighbour.

Labels: ``lung`` (lungs > 0), ``lesion`` (lesions > 0), ``ggo`` (lesions == 1) and
``consolidation`` (lesions == 2). As in ``lungtrack measure``, lesions count only inside the
lung of the same mask set (the reference lesions inside the reference lung when there is one),
so POI is defined within the lung.
"""

import json
import logging
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk
from tqdm import tqdm

from lungtrack.errors import InputError
from lungtrack.evaluate.surface import surface_distances
from lungtrack.evaluate.volumes import poi_error, volume_error
from lungtrack.io.images import read_grid, read_mask, voxel_volume_ml
from lungtrack.io.names import path_safe
from lungtrack.labels import CONSOLIDATION, GGO
from lungtrack.measure.overlap import dice, iou
from lungtrack.measure.reference import load_reference

log = logging.getLogger(__name__)

LABELS = ("lung", "lesion", "ggo", "consolidation")
CASE_KEYS = ("patient_id", "study_date", "timepoint")


def label_masks(lungs: np.ndarray | None, lesions: np.ndarray | None) -> dict[str, np.ndarray]:
    """Boolean (z, y, x) mask per evaluated label from label arrays (either may be None)."""
    masks = {}
    if lungs is not None:
        masks["lung"] = lungs > 0
    if lesions is not None:
        inside = lesions if lungs is None else np.where(masks["lung"], lesions, 0)
        masks.update(lesion=inside > 0, ggo=inside == GGO, consolidation=inside == CONSOLIDATION)
    return masks


def nsd_column(tolerance_mm: float) -> str:
    """Name of the normalized surface Dice column at a tolerance, e.g. ``nsd_1mm``."""
    return f"nsd_{tolerance_mm:g}mm"


def compare_masks(pred: dict, ref: dict, spacing, tolerances_mm=(1.0, 2.0)) -> list[dict]:
    """One row of metrics per label present in both ``pred`` and ``ref`` (dicts of (z, y, x) masks).

    ``spacing`` is (x, y, z) mm. Columns: dice, iou, nsd_<τ>mm, hd95_mm (NaN when undefined),
    pred_ml, ref_ml, volume_error_ml, volume_error_pct and, for lesion labels, pred_poi,
    ref_poi (%) and poi_error_pp.
    """
    voxel_ml = float(np.prod(spacing)) / 1000.0
    volume = {}
    for name, masks in (("pred", pred), ("ref", ref)):
        volume[name] = {label: np.count_nonzero(mask) * voxel_ml for label, mask in masks.items()}
    rows = []
    for label in LABELS:
        if label not in pred or label not in ref:
            continue
        distances = surface_distances(pred[label], ref[label], spacing)
        pred_ml, ref_ml = volume["pred"][label], volume["ref"][label]
        error_ml, error_pct = volume_error(pred_ml, ref_ml)
        row = {
            "label": label,
            "dice": dice(pred[label], ref[label]),
            "iou": iou(pred[label], ref[label]),
            **{nsd_column(t): distances.nsd(t) for t in tolerances_mm},
            "hd95_mm": distances.hd95(),
            "pred_ml": pred_ml,
            "ref_ml": ref_ml,
            "volume_error_ml": error_ml,
            "volume_error_pct": error_pct,
        }
        if label != "lung":
            pred_poi, ref_poi, error_pp = poi_error(
                pred_ml, volume["pred"].get("lung", math.nan), ref_ml, volume["ref"].get("lung", math.nan)
            )
            row.update(pred_poi=pred_poi, ref_poi=ref_poi, poi_error_pp=error_pp)
        rows.append(row)
    return rows


def reference_paths(reference_dir, patient_id: str, study_date: str) -> dict[str, Path]:
    """Existing reference masks of a scan: ``{"lungs": path, "lesions": path}``, either may be missing.

    The patient folder is the PatientID, or the PatientID made path-safe as in the results tree;
    the date folder is the study date as YYYYMMDD.
    """
    date = re.sub(r"\D", "", study_date)
    for patient in dict.fromkeys((patient_id, path_safe(patient_id))):
        folder = Path(reference_dir) / patient / date
        found = {name: folder / f"{name}.nii.gz" for name in ("lungs", "lesions")}
        found = {name: path for name, path in found.items() if path.is_file()}
        if found:
            return found
    return {}


def read_metrics(path) -> dict:
    """A metrics JSON of ``lungtrack measure``, checked for the keys the evaluation uses (a failed one: its case)."""
    try:
        record = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(path, "file does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a metrics JSON ({exc})") from None
    needed = (*CASE_KEYS, "poi", "lesion_ml", "paths") if record.get("status") != "failed" else CASE_KEYS
    missing = [k for k in needed if k not in record]
    if missing:
        raise InputError(path, f"metrics JSON lacks {', '.join(missing)}")
    return record


def evaluate_case(metrics_path, reference_dir, tolerances_mm=(1.0, 2.0)) -> tuple[dict, list[dict]]:
    """(scan row, metric rows per label) of one case; no metric rows when it has no reference.

    The scan row holds the case keys, the pipeline's ``poi`` (%) and ``lesion_ml`` and the
    reference's ``ref_lesion_ml`` (NaN without a reference lesion mask).
    """
    record = read_metrics(metrics_path)
    case = {key: record[key] for key in CASE_KEYS}
    scan = {**case, "poi": record["poi"], "lesion_ml": record["lesion_ml"], "ref_lesion_ml": math.nan}
    refs = reference_paths(reference_dir, record["patient_id"], record["study_date"]) if reference_dir else {}
    if not refs:
        return scan, []
    grid = read_grid(record["paths"]["image"])
    pred = label_masks(*(sitk.GetArrayFromImage(read_mask(record["paths"][name], grid)) for name in ("lungs", "lesions")))
    ref_arrays = {name: sitk.GetArrayFromImage(load_reference(path, grid)) for name, path in refs.items()}
    ref = label_masks(ref_arrays.get("lungs"), ref_arrays.get("lesions"))
    if "lesion" in ref:
        scan["ref_lesion_ml"] = np.count_nonzero(ref["lesion"]) * voxel_volume_ml(grid)
    rows = [{**case, **row} for row in compare_masks(pred, ref, grid.GetSpacing(), tolerances_mm)]
    return scan, rows


def evaluate_cases(metrics_paths, reference_dir, tolerances_mm=(1.0, 2.0)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cases, scans) tables over all metrics JSONs, with a progress bar on stderr."""
    scans, rows = [], []
    for path in tqdm(metrics_paths, desc="evaluate", unit="case", leave=False):
        scan, case_rows = evaluate_case(path, reference_dir, tolerances_mm)
        scans.append(scan)
        rows.extend(case_rows)
        if reference_dir and not case_rows:
            log.warning("%s %s: no reference masks", scan["patient_id"], scan["study_date"])
    columns = [*CASE_KEYS, "label", "dice", "iou", *map(nsd_column, tolerances_mm), "hd95_mm", "pred_ml", "ref_ml",
               "volume_error_ml", "volume_error_pct", "pred_poi", "ref_poi", "poi_error_pp"]
    scan_columns = [*CASE_KEYS, "poi", "lesion_ml", "ref_lesion_ml"]
    return pd.DataFrame(rows, columns=columns), pd.DataFrame(scans, columns=scan_columns)
