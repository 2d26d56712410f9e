"""The cohort table: one row per patient × timepoint, from the per-timepoint metrics JSONs."""

import json
from pathlib import Path

import pandas as pd

from lungtrack.errors import InputError
from lungtrack.measure.change import change_calls
from lungtrack.measure.outcome import case_outcome
from lungtrack.records import FAILURE_COLUMNS
from lungtrack.settings import default

#: Columns every cohort.csv starts with, in this order (volumes mL, POI %).
BASE_COLUMNS = [
    "patient_id", "study_date", "days_since_baseline",
    "lung_ml", "lung_right_ml", "lung_left_ml",
    "lesion_ml", "ggo_ml", "consolidation_ml",
    "poi", "poi_right", "poi_left",
]
#: Columns present when reference masks were configured (Dice 0–1, errors mL and percentage points).
REFERENCE_COLUMNS = ["dice_lung", "dice_lesion", "lesion_ml_error", "poi_error", "lung_ml_error", "ref_lung_ml",
                     "ref_lesion_ml", "ref_poi"]
#: Quality control of the scan (pass, warn, fail; reasons "; "-joined), before the status columns.
QC_COLUMNS = ["qc", "qc_reasons"]
#: Columns saying whether a scan was analysed (ok/failed) and, if not, at which step and why (last).
STATUS_COLUMNS = ["status", "failed_step", "reason"]
#: Acquisition facts copied from the conversion sidecar.
ACQUISITION_COLUMNS = {"slice_thickness_mm": "slice_thickness_mm", "kernel": "kernel",
                       "patient_id_source": "patient_id_source"}


def load_metrics(path) -> dict:
    """Read one metrics JSON, with a clear error naming the file."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not a readable metrics file ({exc})") from None


def _qc(record: dict) -> dict:
    """``qc`` and ``qc_reasons`` ("; "-joined) of a metrics record, when it has them."""
    if "qc" not in record:
        return {}
    return {"qc": record["qc"], "qc_reasons": "; ".join(record.get("qc_reasons") or [])}


def cohort_table(records: list[dict], min_poi_pp: float = default("tracking", "min_poi_change_pp"),
                 min_volume_pct: float = default("tracking", "min_lesion_volume_change_pct"),
                 failures: list[dict] | None = None) -> pd.DataFrame:
    """Rows ordered by patient and date; ``days_since_baseline`` counts from each patient's first scan.

    ``change_vs_previous`` calls each scan against the patient's previous analysed one (progression,
    regression, stable; empty at baseline) from the POI change (``min_poi_pp``, percentage points)
    and the lesion volume change (``min_volume_pct``, %), see :mod:`lungtrack.measure.change`.
    ``failures``: status records of cases that could not be analysed (:mod:`lungtrack.ingest.status`).
    A metrics record whose status is failed (:mod:`lungtrack.measure.outcome`: segmentation or
    measurement failed, or QC said fail) is such a case too. When there is any (or ``failures`` is
    given, even empty), every row gets ``status`` (ok/failed), ``failed_step`` and ``reason``, and
    each failed case keeps its row with empty measurements (``qc`` and ``qc_reasons`` kept).
    """
    rows, failed = [], list(failures or [])
    for rec in records:
        outcome = case_outcome(rec)
        if outcome["status"] != "ok":
            failed.append({**outcome, **_qc(rec)})
            continue
        row = {key: rec.get(key) for key in BASE_COLUMNS + ["timepoint"] + REFERENCE_COLUMNS if key in rec}
        acquisition = rec.get("acquisition") or {}
        row.update({col: acquisition.get(key) for col, key in ACQUISITION_COLUMNS.items()})
        rows.append({**row, **_qc(rec)})
    with_status = failures is not None or bool(failed)
    if with_status:
        rows = [{**row, "status": "ok"} for row in rows]
        rows += [{key: rec.get(key) for key in FAILURE_COLUMNS + QC_COLUMNS if key in rec} | {"status": "failed"}
                 for rec in failed]
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=BASE_COLUMNS + (STATUS_COLUMNS if with_status else []))
    dates = pd.to_datetime(table["study_date"], format="%Y-%m-%d")
    table = table.assign(_date=dates).sort_values(["patient_id", "_date", "timepoint"], kind="stable")
    baseline = table.groupby("patient_id")["_date"].transform("min")
    table["days_since_baseline"] = (table["_date"] - baseline).dt.days
    table = table.drop(columns="_date").reset_index(drop=True)
    table = table.reindex(columns=list(dict.fromkeys([*BASE_COLUMNS, *table.columns])))
    analysed = table["poi"].notna() & ((table["status"] == "ok") if with_status else True)
    analysed = table[analysed]
    table["change_vs_previous"] = change_calls(analysed, min_poi_pp, min_volume_pct)["change_vs_previous"]
    table["change_vs_previous"] = table["change_vs_previous"].fillna("")
    last = [c for c in QC_COLUMNS if c in table.columns] + (STATUS_COLUMNS if with_status else [])
    extra = [c for c in table.columns if c not in BASE_COLUMNS + QC_COLUMNS + STATUS_COLUMNS]
    return table.reindex(columns=BASE_COLUMNS + extra + last)
