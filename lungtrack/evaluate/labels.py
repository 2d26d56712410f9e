"""Scan-level truth for detection: pneumonia present (1) or absent (0) per patient and study date.

From a label table (CSV with columns ``patient_id, study_date, label``; the date as YYYY-MM-DD
or YYYYMMDD) or, without one, from the reference lesion mask (present when it is non-empty).
"""

import re

import numpy as np
import pandas as pd

from lungtrack.errors import InputError


def _date_key(dates: pd.Series) -> pd.Series:
    return dates.astype(str).map(lambda d: re.sub(r"\D", "", d))


def read_labels(path) -> pd.DataFrame:
    """The label table as (patient_id, date YYYYMMDD, label 0/1), one row per scan."""
    try:
        table = pd.read_csv(path, dtype={"patient_id": str, "study_date": str})
    except FileNotFoundError:
        raise InputError(path, "file does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a CSV table ({exc})") from None
    missing = {"patient_id", "study_date", "label"} - set(table.columns)
    if missing:
        raise InputError(path, f"label table lacks column(s) {', '.join(sorted(missing))}")
    if not table["label"].isin([0, 1]).all():
        raise InputError(path, "label must be 1 (pneumonia present) or 0 (absent) in every row")
    table = table.assign(date=_date_key(table["study_date"]), label=table["label"].astype(int))
    duplicated = table.duplicated(["patient_id", "date"])
    if duplicated.any():
        row = table[duplicated].iloc[0]
        raise InputError(path, f"more than one label for patient {row.patient_id} on {row.study_date}")
    return table[["patient_id", "date", "label"]]


def scan_labels(scans: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.Series:
    """Label per scan row (float 1.0 / 0.0, NaN when unknown), from ``table`` or the reference lesions."""
    if table is None:
        ref = scans["ref_lesion_ml"].astype(float)
        return pd.Series(np.where(ref.isna(), np.nan, (ref > 0).astype(float)), index=scans.index)
    keys = pd.DataFrame({"patient_id": scans["patient_id"].astype(str), "date": _date_key(scans["study_date"])})
    merged = keys.merge(table, on=["patient_id", "date"], how="left")
    return pd.Series(merged["label"].astype(float).to_numpy(), index=scans.index)
