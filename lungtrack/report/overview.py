"""Assemble the cohort overview page: every patient's POI trajectory and a table linking to the reports."""

import datetime as dt

import pandas as pd

from lungtrack import __version__
from lungtrack.errors import InputError
from lungtrack.io.names import path_safe
from lungtrack.measure.change import change_calls
from lungtrack.measure.qc import WARN
from lungtrack.report import figures, render
from lungtrack.settings import default

_REQUIRED = ("patient_id", "study_date", "days_since_baseline", "poi", "lesion_ml")
_SUMMARY_COLUMNS = ["patient", "scans", "first scan", "last scan", "POI baseline (%)", "POI latest (%)",
                    "POI max (%)", "last change", "CT severity latest (0–30)"]


def read_cohort(path) -> pd.DataFrame:
    """The cohort table (``lungtrack cohort``), one row per patient × scan, ordered by patient and date."""
    try:
        table = pd.read_csv(path, dtype={"patient_id": str, "timepoint": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"not a readable cohort table ({exc})") from None
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise InputError(path, f"cohort table lacks columns {missing}")
    return table.sort_values(["patient_id", "study_date"], kind="stable").reset_index(drop=True)


def patient_summary(table: pd.DataFrame, severity: dict[str, float], min_poi_pp: float,
                    min_volume_pct: float) -> pd.DataFrame:
    """One row per patient: scans, dates, baseline/latest/maximum POI (%), last change call, latest severity."""
    calls = change_calls(table, min_poi_pp, min_volume_pct)["change_vs_previous"]
    rows = []
    for patient_id, scans in table.groupby("patient_id", sort=True):
        rows.append({
            "patient": patient_id,
            "scans": len(scans),
            "first scan": scans["study_date"].iloc[0],
            "last scan": scans["study_date"].iloc[-1],
            "POI baseline (%)": float(scans["poi"].iloc[0]),
            "POI latest (%)": float(scans["poi"].iloc[-1]),
            "POI max (%)": float(scans["poi"].max()),
            "last change": calls[scans.index[-1]] or "–",
            "CT severity latest (0–30)": severity.get(patient_id),
        })
    return pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)


def overview_report(cohort_csv, severity: dict[str, float] | None = None,
                    min_poi_pp: float = default("tracking", "min_poi_change_pp"),
                    min_volume_pct: float = default("tracking", "min_lesion_volume_change_pct")) -> str:
    """The cohort overview HTML; patient reports are linked as ``<path-safe patient id>.html`` beside it.

    Scans the cohort table marks as not analysed (column ``status``) are listed with their reason,
    and analysed scans with QC warnings (``qc`` = warn) with theirs.

    ``severity``: latest six-zone CT severity score per patient id, when tracking results exist.
    """
    table = read_cohort(cohort_csv)
    status = table["status"] if "status" in table else pd.Series("ok", index=table.index)
    failed = table.loc[status != "ok"].reindex(columns=["patient_id", "study_date", "failed_step", "reason"])
    table = table[status == "ok"].reset_index(drop=True)
    warned = table[table["qc"] == WARN] if "qc" in table else table.iloc[:0]
    warned = warned.reindex(columns=["patient_id", "study_date", "qc", "qc_reasons"])
    links = {p: f"{path_safe(p)}.html" for p in table["patient_id"].unique()}
    summary = patient_summary(table, severity or {}, min_poi_pp, min_volume_pct)
    if summary["CT severity latest (0–30)"].isna().all():
        summary = summary.drop(columns="CT severity latest (0–30)")
    return render.render(
        "overview.html",
        version=__version__,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        n_patients=len(summary),
        n_scans=len(table),
        trajectories=render.figure_html(figures.cohort_trajectories(table, links), "cohort-trajectories"),
        patients=render.table(summary),
        links=[links[p] for p in summary["patient"]],
        calls=summary["last change"].value_counts().to_dict(),
        failures=render.table(failed.rename(columns={"patient_id": "patient", "study_date": "study date",
                                                     "failed_step": "failed step"})),
        n_failed=len(failed),
        qc_warnings=render.table(warned.rename(columns={"patient_id": "patient", "study_date": "study date",
                                                        "qc": "quality control", "qc_reasons": "reasons"})),
        n_warned=len(warned),
    )
