"""Gather what a report shows: per-timepoint metrics and tracking results, as tables.

The patient's records and timepoint table come from :mod:`lungtrack.measure.patient`.

Volumes are in mL, POI (percentage of lung opacified) in percent, dates ``YYYY-MM-DD``.
Only the keys listed here reach a report, so no identifying header can leak into it.
"""

import json
from pathlib import Path

import pandas as pd

from lungtrack.errors import InputError
from lungtrack.measure.qc import WARN

#: Acquisition facts shown per timepoint (sidecar key -> column title). Nothing else is shown.
ACQUISITION_FACTS = {
    "series_description": "series",
    "manufacturer": "manufacturer",
    "kernel": "kernel",
    "slice_thickness_mm": "slice thickness (mm)",
    "spacing_mm": "voxel spacing x, y, z (mm)",
    "tilt_deg": "gantry tilt (°)",
    "resampled": "resampled",
}

#: Columns of the timepoint table (metrics key -> column title), in display order.
TIMEPOINT_COLUMNS = {
    "study_date": "study date",
    "days_since_baseline": "day",
    "lung_ml": "lungs (mL)",
    "lung_right_ml": "right lung (mL)",
    "lung_left_ml": "left lung (mL)",
    "lesion_ml": "lesions (mL)",
    "ggo_ml": "GGO (mL)",
    "consolidation_ml": "consolidation (mL)",
    "poi": "POI (%)",
    "poi_right": "POI right (%)",
    "poi_left": "POI left (%)",
    "dice_lung": "Dice lungs vs reference",
    "dice_lesion": "Dice lesions vs reference",
    "qc": "quality control",
}


def qc_warnings(records: list[dict]) -> list[str]:
    """Quality-control warnings (qc = warn) of each analysed scan, prefixed with the study date."""
    return [f"{record['study_date']}: quality control: {reason}" for record in records
            if record.get("qc") == WARN for reason in record.get("qc_reasons") or []]


def timepoint_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table of timepoints as shown: known columns only, with titles."""
    columns = [c for c in TIMEPOINT_COLUMNS if c in table.columns and table[c].notna().any()]
    return table[columns].rename(columns=TIMEPOINT_COLUMNS)


def acquisition_table(records: list[dict]) -> pd.DataFrame:
    """One row per timepoint with the whitelisted acquisition facts (:data:`ACQUISITION_FACTS`)."""
    rows = []
    for record in records:
        acquisition = record.get("acquisition") or {}
        row = {"study date": record["study_date"]}
        for key, title in ACQUISITION_FACTS.items():
            value = acquisition.get(key)
            if isinstance(value, list):
                value = ", ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in value)
            row[title] = value
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.dropna(axis=1, how="all")


def acquisition_warnings(records: list[dict]) -> list[str]:
    """Conversion warnings of each timepoint (from the sidecar), prefixed with the study date."""
    return [
        f"{record['study_date']}: {text}"
        for record in records
        for text in (record.get("acquisition") or {}).get("warnings") or []
    ]


def breath_hold_warnings(table: pd.DataFrame, max_change_pct: float) -> list[str]:
    """Warn where total lung volume changes by more than ``max_change_pct`` % between consecutive scans.

    A different inspiration level changes the lung volume (POI's denominator) and the density of
    lung tissue, so POI moves without any change of disease.
    """
    warnings = []
    lung = table["lung_ml"].astype(float).tolist()
    dates = table["study_date"].tolist()
    for i in range(1, len(lung)):
        if lung[i - 1] > 0:
            change = (lung[i] - lung[i - 1]) / lung[i - 1] * 100.0
            if abs(change) > max_change_pct:
                warnings.append(
                    f"{dates[i - 1]} → {dates[i]}: lung volume changed by {change:+.0f} % "
                    f"({lung[i - 1]:.0f} → {lung[i]:.0f} mL); a different breath-hold moves POI "
                    "without any change of disease"
                )
    return warnings


def load_tracking(path) -> dict:
    """Read the tracking results JSON written by ``lungtrack track``."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not a readable tracking file ({exc})") from None


#: Columns of ``cohort_regions.csv`` (long format; value units by metric: mL, %, score).
REGION_COLUMNS = ["patient_id", "study_date", "timepoint", "region", "metric", "value"]


def cohort_regions(trackings: list[dict]) -> pd.DataFrame:
    """Regional measures of every patient in long format (:data:`REGION_COLUMNS`)."""
    rows = [row for tracking in trackings for row in tracking["regions"]]
    return pd.DataFrame(rows, columns=REGION_COLUMNS)


def latest_severity(trackings: list[dict]) -> dict[str, float]:
    """Six-zone CT severity score (0–30) of each patient's latest scan."""
    scores = cohort_regions(trackings)
    scores = scores[scores["metric"] == "severity_total"].sort_values(["patient_id", "study_date", "timepoint"])
    return scores.groupby("patient_id")["value"].last().to_dict()
