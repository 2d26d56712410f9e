"""Assemble one patient's report: metrics (and tracking results, when given) -> HTML text."""

import base64
import datetime as dt
from pathlib import Path

import pandas as pd

from lungtrack import __version__
from lungtrack.io.scan_files import ScanFiles
from lungtrack.measure.change import change_calls, interval_records
from lungtrack.measure.outcome import case_outcome
from lungtrack.measure.patient import patient_table, read_patient
from lungtrack.labels import LOBES
from lungtrack.report import data, figures, render, slices
from lungtrack.settings import default

#: Lesion table columns (tracking key -> title).
_LESION_COLUMNS = {
    "lesion_id": "lesion", "study_date": "study date", "event": "event", "volume_ml": "volume (mL)",
    "mean_hu": "mean HU", "lung": "lung", "zone": "zone", "related": "related lesions",
}
_CHANGE_COLUMNS = {
    "from": "from", "study_date": "to", "delta_poi_pp": "ΔPOI (percentage points)",
    "lesion_volume_change_pct": "lesion volume change (%)", "call": "call",
}
_REGISTRATION_COLUMNS = {
    "study_date": "study date", "method": "registration", "used": "fit used", "dice_lungs_before": "Dice lungs before",
    "dice_lungs_after": "Dice lungs after", "jacobian_min": "Jacobian min", "jacobian_max": "Jacobian max",
}


def _natural(column: pd.Series) -> pd.Series:
    """Sort key that orders lesion ids L2 before L10."""
    return column.str.extract(r"(\d+)$")[0].astype(float) if column.name == "lesion_id" else column


def _image_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _tracking_context(tracking: dict, tracking_dir: Path, scans: dict[str, tuple[dict, Path, ScanFiles]]) -> dict:
    """Template context of the sections that need tracking results (slices drawn from ``scans``,
    :func:`lungtrack.report.slices.draw_slices`)."""
    regions = pd.DataFrame(tracking["regions"])
    zones = tracking["zones"] + [lobe for lobe in LOBES.values() if lobe in set(regions.get("region", []))]
    heatmap = figures.zone_heatmap(regions, zones) if not regions.empty else None
    scores = regions[regions["metric"].isin(["severity_total", "lobe_severity_total"])]
    score_table = (scores.pivot_table(index="study_date", columns="metric", values="value").reset_index()
                   .rename(columns={"study_date": "study date", "severity_total": "CT severity score, 6 zones (0–30)",
                                    "lobe_severity_total": "CT severity score, 5 lobes (0–25)"}))
    lesions = pd.DataFrame(tracking["lesions"], columns=list(_LESION_COLUMNS))
    lesions = lesions.sort_values(["study_date", "lesion_id"], key=_natural, kind="stable")
    registration = pd.DataFrame(tracking["registration"], columns=list(_REGISTRATION_COLUMNS))
    levels = sorted({s["level"] for s in tracking["slices"]}, key=["upper", "middle", "lower"].index)
    dates = list(dict.fromkeys(s["study_date"] for s in tracking["slices"]))
    by_key = {(s["level"], s["study_date"]): s for s in tracking["slices"]}
    pngs = slices.draw_slices(tracking["slices"], tracking_dir, scans)
    slice_rows = [
        {"level": level, "images": [
            {"study_date": d, "uri": _image_uri(pngs[level, d]),
             "z_mm": by_key[level, d]["z_mm"]} for d in dates if (level, d) in by_key]}
        for level in levels
    ]
    return {
        "heatmap": render.figure_html(heatmap, "zone-heatmap") if heatmap is not None else None,
        "severity": render.table(score_table),
        "lesions": render.table(lesions.rename(columns=_LESION_COLUMNS)),
        "registration": render.table(registration.rename(columns=_REGISTRATION_COLUMNS)),
        "slice_rows": slice_rows,
        "slice_columns": len(dates),
        "lobes": tracking.get("lobes_used", False),
        "settings": tracking.get("settings", {}),
    }


def patient_report(metrics_paths, patient_id: str, tracking_path=None, scan_files: list[ScanFiles] = (),
                   min_poi_pp: float = default("tracking", "min_poi_change_pp"),
                   min_volume_pct: float = default("tracking", "min_lesion_volume_change_pct"),
                   lung_volume_warning_pct: float = default("report", "lung_volume_warning_pct"),
                   failures: list[dict] = ()) -> str:
    """The self-contained HTML report of one patient.

    ``metrics_paths``: metrics JSONs of ``lungtrack measure`` (any order); ``tracking_path``: the
    ``tracking.json`` of ``lungtrack track`` (its transforms are read relative to it), or None for a
    report without the lesion, zone and slice sections; ``scan_files``: the CT and masks of each
    metrics file, in the order of ``metrics_paths`` (:func:`lungtrack.io.scan_files.pair_scan_files`),
    from which the slices are drawn (needed with tracking results that have slices); ``failures``:
    status records of the patient's scans that could not be analysed (:mod:`lungtrack.ingest.status`),
    shown as warnings, as are the metrics records whose status is failed and the QC warnings of the analysed scans.
    Failed scans are left out of every table, figure and change call.
    """
    metrics_paths = [Path(p) for p in metrics_paths]
    every = read_patient(metrics_paths, patient_id)
    table, records = patient_table(every)
    calls = change_calls(table, min_poi_pp, min_volume_pct)
    intervals = interval_records(table, calls)
    failures = list(failures) + [o for o in map(case_outcome, every) if o["status"] == "failed"]
    failures.sort(key=lambda f: (f["study_date"], f["timepoint"]))
    warnings = [f"{f['study_date']}: scan not analysed, {f['failed_step']} failed: {f['reason']}" for f in failures]
    warnings += data.qc_warnings(records)
    warnings += data.breath_hold_warnings(table, lung_volume_warning_pct) + data.acquisition_warnings(records)
    tracking = None
    if tracking_path is not None:
        tracking_data = data.load_tracking(tracking_path)
        if tracking_data.get("slices"):
            given = zip(every, metrics_paths, scan_files, strict=bool(scan_files))
            scans = {record["timepoint"]: (record, path, files) for record, path, files in given}
            tracking = _tracking_context(tracking_data, Path(tracking_path).parent, scans)
        warnings += tracking_data.get("warnings", [])
    generated = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    if table.empty:  # every scan failed: the warnings say why
        return render.render("patient.html", version=__version__, generated=generated, patient_id=patient_id,
                             n_scans=0, n_failed=len(failures), warnings=warnings)
    latest = table.iloc[-1]
    return render.render(
        "patient.html",
        version=__version__,
        generated=generated,
        patient_id=patient_id,
        n_scans=len(table),
        first_date=table["study_date"].iloc[0],
        last_date=latest["study_date"],
        latest_poi=float(latest["poi"]),
        latest_call=intervals[-1]["call"] if intervals else None,
        poi_trend=render.figure_html(figures.poi_trend(table, intervals), "poi-trend"),
        volumes=render.figure_html(figures.lesion_volumes(table), "lesion-volumes"),
        timepoints=render.table(data.timepoint_table(table)),
        changes=render.table(pd.DataFrame(intervals, columns=list(_CHANGE_COLUMNS)).rename(columns=_CHANGE_COLUMNS)),
        thresholds={"min_poi_pp": min_poi_pp, "min_volume_pct": min_volume_pct},
        acquisition=render.table(data.acquisition_table(records)),
        warnings=warnings,
        tracking=tracking,
    )
