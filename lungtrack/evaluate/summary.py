"""Cohort tables: segmentation metrics per label, agreement of POI and lesion volume, detection.

``summary.csv`` is long: one row per (section, subject, metric, statistic) with ``value``, an
optional 95 % interval (``ci_low``, ``ci_high``) and ``n``, the number of cases or scans used.
"""

import logging

import numpy as np
import pandas as pd

from lungtrack.evaluate.agreement import agreement
from lungtrack.evaluate.detection import Detection, detect

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = ["section", "subject", "metric", "statistic", "value", "ci_low", "ci_high", "n"]
# metrics of cases.csv summarised per label (columns absent for a label, e.g. POI of the lung, are skipped)
CASE_METRIC_PREFIXES = ("dice", "iou", "nsd_", "hd95_mm", "volume_error_ml", "volume_error_pct", "poi_error_pp")
# paired quantities compared between pipeline and reference: subject -> (pred column, ref column) of lesion rows
AGREEMENT = {"poi_pct": ("pred_poi", "ref_poi"), "lesion_ml": ("pred_ml", "ref_ml")}
SCORES = {"poi": "poi_pct", "lesion_ml": "lesion_ml"}


def _row(section, subject, metric, statistic, value, ci=(np.nan, np.nan), n=np.nan) -> dict:
    return dict(zip(SUMMARY_COLUMNS, (section, subject, metric, statistic, value, ci[0], ci[1], n), strict=True))


def segmentation_rows(cases: pd.DataFrame) -> list[dict]:
    """Mean, SD, median and quartiles of each metric per label over the cases where it is defined."""
    metrics = [c for c in cases.columns if c.startswith(CASE_METRIC_PREFIXES)]
    rows = []
    for label, group in cases.groupby("label", sort=False):
        for metric in metrics:
            values = group[metric].astype(float).dropna()
            if values.empty:
                continue
            stats = {
                "mean": values.mean(), "sd": values.std(ddof=1) if len(values) > 1 else np.nan,
                "median": values.median(), "q1": values.quantile(0.25), "q3": values.quantile(0.75),
            }
            rows += [_row("segmentation", label, metric, s, v, n=len(values)) for s, v in stats.items()]
    return rows


def agreement_rows(cases: pd.DataFrame) -> list[dict]:
    """Bland-Altman, ICC(2,1), Pearson and Spearman of POI and lesion volume (lesion rows)."""
    lesion = cases[cases["label"] == "lesion"]
    rows = []
    for subject, (pred, ref) in AGREEMENT.items():
        result = agreement(lesion[pred].to_numpy(float), lesion[ref].to_numpy(float))
        n = result.pop("n")
        if n == 0:
            continue
        rows += [_row("agreement", subject, metric, "value", value, n=n) for metric, value in result.items()]
    return rows


def detection_rows(result: Detection, score: str) -> list[dict]:
    """AUC with its interval and sensitivity / specificity at the configured and the Youden threshold."""
    subject = SCORES[score]
    n = result.n_positive + result.n_negative
    rows = [
        _row("detection", subject, "auc", "value", result.auc, result.auc_ci, n),
        _row("detection", subject, "n_positive", "value", result.n_positive, n=n),
        _row("detection", subject, "n_negative", "value", result.n_negative, n=n),
    ]
    for name, point in (("threshold", result.at_threshold), ("youden", result.youden)):
        rows += [
            _row("detection", subject, name, "threshold", point.threshold, n=n),
            _row("detection", subject, name, "sensitivity", point.sensitivity, point.sensitivity_ci, result.n_positive),
            _row("detection", subject, name, "specificity", point.specificity, point.specificity_ci, result.n_negative),
        ]
    return rows


def scan_detection(scans: pd.DataFrame, labels: pd.Series, score: str, threshold: float,
                   n_boot: int = 2000, seed: int = 0) -> Detection | None:
    """ROC analysis of ``scans[score]`` against ``labels``; None (logged) without both classes."""
    usable = labels.notna() & np.isfinite(scans[score].astype(float))
    if (~usable).any():
        log.warning("detection: %d of %d scans without a label or score left out", (~usable).sum(), len(scans))
    y, s = labels[usable].astype(int).to_numpy(), scans.loc[usable, score].astype(float).to_numpy()
    if y.size == 0 or y.all() or not y.any():
        log.info("detection: not computed, needs scans with and without pneumonia (%d positive of %d)", y.sum(), y.size)
        return None
    return detect(y, s, threshold, n_boot, seed)


def summarise(cases: pd.DataFrame, detection: Detection | None, score: str) -> pd.DataFrame:
    """The whole summary table."""
    rows = segmentation_rows(cases) + agreement_rows(cases)
    if detection is not None:
        rows += detection_rows(detection, score)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
