"""Per case and label: overlap, surface and volume metrics of the pipeline's masks against references.

A case is one metrics JSON of ``lungtrack measure`` with its CT and masks (:mod:`lungtrack.io.scan_files`).
References are found by :func:`lungtrack.measure.reference_files.reference_paths` and resampled
onto the image grid with nearest neighbour (:mod:`lungtrack.measure.reference`). Labels, lesions
within the lung, and volume and POI errors as in :mod:`lungtrack.measure.comparison`; this module
adds IoU and the surface distances (:mod:`lungtrack.evaluate.surface`).
"""

import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk
from tqdm import tqdm

from lungtrack.errors import InputError
from lungtrack.evaluate.surface import surface_distances
from lungtrack.io.images import read_grid, spacing_volume_ml, voxel_volume_ml
from lungtrack.io.scan_files import ScanFiles, read_measured_masks
from lungtrack.measure.comparison import compare_labels, label_masks
from lungtrack.measure.overlap import iou
from lungtrack.measure.reference import load_reference
from lungtrack.measure.reference_files import reference_paths
from lungtrack.records import CASE_KEYS

log = logging.getLogger(__name__)


def nsd_column(tolerance_mm: float) -> str:
    """Name of the normalized surface Dice column at a tolerance, e.g. ``nsd_1mm``."""
    return f"nsd_{tolerance_mm:g}mm"


def compare_masks(pred: dict, ref: dict, spacing, tolerances_mm=(1.0, 2.0)) -> list[dict]:
    """One row of metrics per label present in both ``pred`` and ``ref`` (dicts of (z, y, x) masks,
    :func:`lungtrack.measure.comparison.label_masks`).

    ``spacing`` is (x, y, z) mm. Columns: dice, iou, nsd_<τ>mm, hd95_mm (NaN when undefined) and
    those of :func:`lungtrack.measure.comparison.compare_labels`: pred_ml, ref_ml, volume_error_ml,
    volume_error_pct and, for lesion labels, pred_poi, ref_poi (%) and poi_error_pp.
    """
    rows = []
    for row in compare_labels(pred, ref, spacing_volume_ml(spacing)):
        label = row["label"]
        distances = surface_distances(pred[label], ref[label], spacing)
        surface = {"iou": iou(pred[label], ref[label]), **{nsd_column(t): distances.nsd(t) for t in tolerances_mm},
                   "hd95_mm": distances.hd95()}
        rows.append({"label": label, "dice": row["dice"], **surface, **row})
    return rows


def read_metrics(path) -> dict:
    """A metrics JSON of ``lungtrack measure``, checked for the keys the evaluation uses (a failed one: its case)."""
    try:
        record = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(path, "file does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a metrics JSON ({exc})") from None
    needed = (*CASE_KEYS, "lung_ml", "poi", "lesion_ml") if record.get("status") != "failed" else CASE_KEYS
    missing = [k for k in needed if k not in record]
    if missing:
        raise InputError(path, f"metrics JSON lacks {', '.join(missing)}")
    return record


def evaluate_case(metrics_path, files: ScanFiles, reference_dir, tolerances_mm=(1.0, 2.0)) -> tuple[dict, list[dict]]:
    """(scan row, metric rows per label) of one case, its masks read from ``files``; no metric rows when it has
    no reference.

    The scan row holds the case keys, the pipeline's ``poi`` (%) and ``lesion_ml`` and the
    reference's ``ref_lesion_ml`` (NaN without a reference lesion mask).
    """
    record = read_metrics(metrics_path)
    case = {key: record[key] for key in CASE_KEYS}
    scan = {**case, "poi": record["poi"], "lesion_ml": record["lesion_ml"], "ref_lesion_ml": math.nan}
    refs = reference_paths(reference_dir, record["patient_id"], record["study_date"]) if reference_dir else {}
    if not refs:
        return scan, []
    grid = read_grid(files.image)
    pred = label_masks(*map(sitk.GetArrayFromImage, read_measured_masks(record, metrics_path, grid, files.image,
                                                                        files.lungs, files.lesions)))
    ref_arrays = {name: sitk.GetArrayFromImage(load_reference(path, grid)) for name, path in refs.items()}
    ref = label_masks(ref_arrays.get("lungs"), ref_arrays.get("lesions"))
    if "lesion" in ref:
        scan["ref_lesion_ml"] = np.count_nonzero(ref["lesion"]) * voxel_volume_ml(grid)
    rows = [{**case, **row} for row in compare_masks(pred, ref, grid.GetSpacing(), tolerances_mm)]
    return scan, rows


def evaluate_cases(metrics_paths, scan_files: list[ScanFiles], reference_dir,
                   tolerances_mm=(1.0, 2.0)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cases, scans) tables over all metrics JSONs and their files (same order), with a progress bar on stderr."""
    scans, rows = [], []
    cases = list(zip(metrics_paths, scan_files, strict=True))
    for path, files in tqdm(cases, desc="evaluate", unit="case", leave=False):
        scan, case_rows = evaluate_case(path, files, reference_dir, tolerances_mm)
        scans.append(scan)
        rows.extend(case_rows)
        if reference_dir and not case_rows:
            log.warning("%s %s: no reference masks", scan["patient_id"], scan["study_date"])
    columns = [*CASE_KEYS, "label", "dice", "iou", *map(nsd_column, tolerances_mm), "hd95_mm", "pred_ml", "ref_ml",
               "volume_error_ml", "volume_error_pct", "pred_poi", "ref_poi", "poi_error_pp"]
    scan_columns = [*CASE_KEYS, "poi", "lesion_ml", "ref_lesion_ml"]
    return pd.DataFrame(rows, columns=columns), pd.DataFrame(scans, columns=scan_columns)
