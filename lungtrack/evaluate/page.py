"""The evaluation page: one self-contained HTML file, template ``evaluation.html`` of the report stack.

Figures and tables are built here; :mod:`lungtrack.report.render` fills them into the template with
plotly.js and the stylesheet inlined (no network access).
"""

import datetime as dt
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lungtrack import __version__
from lungtrack.evaluate.agreement import bland_altman
from lungtrack.evaluate.detection import Detection
from lungtrack.evaluate.summary import AGREEMENT, SCORES
from lungtrack.report import render

_UNITS = {"poi_pct": ("POI", "%"), "lesion_ml": ("lesion volume", "mL")}


def bland_altman_figure(lesion_rows: pd.DataFrame, subject: str) -> go.Figure:
    """Difference (pipeline − reference) against the pair mean, with the bias and 95 % limits."""
    name, unit = _UNITS[subject]
    pred_col, ref_col = AGREEMENT[subject]
    pred, ref = lesion_rows[pred_col].to_numpy(float), lesion_rows[ref_col].to_numpy(float)
    keep = np.isfinite(pred) & np.isfinite(ref)
    ba = bland_altman(pred, ref)
    text = (lesion_rows["patient_id"].astype(str) + " " + lesion_rows["study_date"].astype(str))[keep]
    fig = go.Figure(go.Scatter(x=(pred[keep] + ref[keep]) / 2, y=pred[keep] - ref[keep], mode="markers",
                               text=text, name="scan", hovertemplate="%{text}<br>mean %{x:.2f}<br>diff %{y:.2f}"))
    lines = ((ba.bias, "bias", "solid"), (ba.loa_low, "−1.96 SD", "dash"), (ba.loa_high, "+1.96 SD", "dash"))
    for value, label, dash in lines:
        if np.isfinite(value):
            fig.add_hline(y=value, line_dash=dash, line_color="#c0392b",
                          annotation_text=f"{label} {value:.2f} {unit}", annotation_position="top left")
    fig.update_layout(title=f"Bland-Altman: {name} (n = {ba.n})", height=420, showlegend=False,
                      xaxis_title=f"mean of pipeline and reference ({unit})",
                      yaxis_title=f"pipeline − reference ({unit})")
    return fig


def roc_figure(result: Detection, score: str) -> go.Figure:
    """ROC curve with the chance line and the two operating points."""
    name, unit = _UNITS[SCORES[score]]
    fig = go.Figure(go.Scatter(x=result.fpr, y=result.tpr, mode="lines+markers", name="ROC",
                               text=[f"≥ {t:.3g} {unit}" for t in result.thresholds],
                               hovertemplate="%{text}<br>1 − specificity %{x:.2f}<br>sensitivity %{y:.2f}"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line_dash="dot", line_color="#999", name="chance"))
    for label, point in (("threshold", result.at_threshold), ("Youden", result.youden)):
        fig.add_trace(go.Scatter(x=[1 - point.specificity], y=[point.sensitivity], mode="markers",
                                 marker_size=12, name=f"{label}: {name} ≥ {point.threshold:.3g} {unit}"))
    low, high = result.auc_ci
    fig.update_layout(title=f"ROC, {name} as score: AUC {result.auc:.3f} (95 % CI {low:.3f}–{high:.3f})",
                      height=450, xaxis_title="1 − specificity", yaxis_title="sensitivity",
                      xaxis_range=[-0.02, 1.02], yaxis_range=[-0.02, 1.02])
    return fig


def detection_table(result: Detection, score: str) -> pd.DataFrame:
    """One line as in published tables: n, AUC (95 % CI), sensitivity and specificity at both thresholds."""
    def pct(value, ci):
        return f"{100 * value:.1f} ({100 * ci[0]:.1f}–{100 * ci[1]:.1f})"

    name, unit = _UNITS[SCORES[score]]
    line = {"score": f"{name} ({unit})", "positive / negative": f"{result.n_positive} / {result.n_negative}",
            "AUC (95 % CI)": f"{result.auc:.3f} ({result.auc_ci[0]:.3f}–{result.auc_ci[1]:.3f})"}
    for label, point in (("threshold", result.at_threshold), ("Youden", result.youden)):
        line[f"{label} ({unit})"] = f"{point.threshold:.3g}"
        line[f"sensitivity % at {label}"] = pct(point.sensitivity, point.sensitivity_ci)
        line[f"specificity % at {label}"] = pct(point.specificity, point.specificity_ci)
    return pd.DataFrame([line])


def _cell(value) -> str:
    """A table cell as the CSV files hold it: numbers to 4 significant digits, NaN empty."""
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _table(frame: pd.DataFrame) -> dict:
    return render.table(frame.map(_cell))


def segmentation_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Label × metric table of "mean ± SD" over the cases."""
    seg = summary[summary["section"] == "segmentation"]
    wide = seg.pivot_table(index="subject", columns=["metric", "statistic"], values="value", sort=False)
    table = pd.DataFrame(index=wide.index)
    for metric in dict.fromkeys(seg["metric"]):
        mean, sd = wide[(metric, "mean")], wide.get((metric, "sd"), pd.Series(np.nan, index=wide.index))
        table[metric] = [f"{m:.4g} ± {d:.2g}" if np.isfinite(d) else f"{m:.4g}" if np.isfinite(m) else ""
                         for m, d in zip(mean, sd, strict=True)]
    return table.rename_axis("label").reset_index()


def render_page(cases: pd.DataFrame, summary: pd.DataFrame, detection: Detection | None, score: str,
                notes: list[str]) -> str:
    """The whole page as a string."""
    context = {"segmentation": None, "agreement": None, "agreement_figures": [], "detection": None, "roc": None}
    if (summary["section"] == "segmentation").any():
        context["segmentation"] = _table(segmentation_table(summary))
    agree = summary[summary["section"] == "agreement"]
    if not agree.empty:
        lesion = cases[cases["label"] == "lesion"]
        table = agree.pivot_table(index="subject", columns="metric", values="value", sort=False)
        context["agreement"] = _table(table.rename_axis(columns=None).rename_axis("quantity").reset_index())
        context["agreement_figures"] = [render.figure_html(bland_altman_figure(lesion, s), f"ba-{s}") for s in AGREEMENT]
    if detection is not None:
        context["detection"] = _table(detection_table(detection, score))
        context["roc"] = render.figure_html(roc_figure(detection, score), "roc")
    return render.render("evaluation.html", notes=notes, cases=_table(cases) if not cases.empty else None,
                         version=__version__, generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"), **context)
