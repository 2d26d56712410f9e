"""Change call of each interval between consecutive scans: progression, regression or stable.

An interval is called ``progression`` only when POI rises by at least ``min_poi_pp`` percentage
points *and* the total lesion volume rises by at least ``min_volume_pct`` percent; ``regression``
when both fall by as much; ``stable`` otherwise. Requiring both keeps measurement noise out of the
call: a different breath-hold moves POI (its denominator, the lung volume, changes) while the
lesion volume stays, and a tiny lesion doubling in volume changes POI by a negligible amount.
"""

import math

import numpy as np
import pandas as pd

from lungtrack.settings import default

CALLS = ("progression", "regression", "stable")


def volume_change_pct(before_ml: float, after_ml: float) -> float:
    """Relative change of a volume in percent; ``inf`` when a volume appears from zero, 0 when both are zero."""
    if before_ml > 0:
        return (after_ml - before_ml) / before_ml * 100.0
    return math.inf if after_ml > 0 else 0.0


def call_interval(delta_poi_pp: float, volume_pct: float,
                  min_poi_pp: float = default("tracking", "min_poi_change_pp"),
                  min_volume_pct: float = default("tracking", "min_lesion_volume_change_pct")) -> str:
    """The call of one interval from its POI change (percentage points) and lesion volume change (%)."""
    if delta_poi_pp >= min_poi_pp and volume_pct >= min_volume_pct:
        return "progression"
    if delta_poi_pp <= -min_poi_pp and volume_pct <= -min_volume_pct:
        return "regression"
    return "stable"


def change_calls(table: pd.DataFrame, min_poi_pp: float = default("tracking", "min_poi_change_pp"),
                 min_volume_pct: float = default("tracking", "min_lesion_volume_change_pct")) -> pd.DataFrame:
    """Change of every scan against the previous scan of the same patient.

    ``table`` has columns ``patient_id``, ``poi`` (%) and ``lesion_ml`` (mL), one row per scan,
    ordered by patient and date (as :func:`lungtrack.measure.cohort.cohort_table` returns it).
    Returns a frame with the same index and columns ``delta_poi_pp`` (percentage points),
    ``lesion_volume_change_pct`` (%, ``inf`` when lesions appear from none) and
    ``change_vs_previous`` (one of :data:`CALLS`; empty for each patient's first scan).
    """
    out = pd.DataFrame(index=table.index, columns=["delta_poi_pp", "lesion_volume_change_pct"], dtype=float)
    out["change_vs_previous"] = ""
    for _, rows in table.groupby("patient_id", sort=False):
        poi = rows["poi"].astype(float).to_numpy()
        lesion = rows["lesion_ml"].astype(float).to_numpy()
        for i in range(1, len(rows)):
            index = rows.index[i]
            delta = poi[i] - poi[i - 1]
            pct = volume_change_pct(lesion[i - 1], lesion[i])
            out.loc[index, "delta_poi_pp"] = delta
            out.loc[index, "lesion_volume_change_pct"] = pct
            out.loc[index, "change_vs_previous"] = call_interval(delta, pct, min_poi_pp, min_volume_pct)
    return out


def interval_records(table: pd.DataFrame, calls: pd.DataFrame) -> list[dict]:
    """JSON-ready intervals (``from``, ``to`` study dates, changes, call) of one patient's table."""
    records = []
    previous = table["study_date"].shift(1)
    for index in table.index[1:]:
        pct = calls.loc[index, "lesion_volume_change_pct"]
        records.append({
            "from": previous[index],
            "study_date": table.loc[index, "study_date"],
            "timepoint": table.loc[index, "timepoint"],
            "delta_poi_pp": float(calls.loc[index, "delta_poi_pp"]),
            "lesion_volume_change_pct": None if np.isinf(pct) else float(pct),
            "call": calls.loc[index, "change_vs_previous"],
        })
    return records
