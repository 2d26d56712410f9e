"""The evaluation page: one self-contained HTML file (plotly.js inlined, no network access)."""

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from lungtrack import __version__
from lungtrack.evaluate.agreement import bland_altman
from lungtrack.evaluate.detection import Detection
from lungtrack.evaluate.summary import AGREEMENT, SCORES

_CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
        "img-src data:; font-src data:")
_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}
th{background:#f3f3f3}.note{color:#555;font-size:.9em;max-width:60em}.wrap{overflow-x:auto}
.grid{display:flex;flex-wrap:wrap;gap:1em}.grid>div{flex:1 1 30em}
"""
_UNITS = {"poi_pct": ("POI", "%"), "lesion_ml": ("lesion volume", "mL")}


def _figure(fig: go.Figure, div_id: str) -> str:
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


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


def _table(frame: pd.DataFrame) -> str:
    return '<div class="wrap">' + frame.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}") + "</div>"


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
    parts = [f"<h1>Evaluation against reference masks</h1><p class='note'>lungtrack {__version__}. "
             + " ".join(html.escape(n) for n in notes) + "</p>"]
    if (summary["section"] == "segmentation").any():
        parts.append("<h2>Segmentation (mean ± SD over cases)</h2>" + _table(segmentation_table(summary)))
    lesion = cases[cases["label"] == "lesion"]
    agree = summary[summary["section"] == "agreement"]
    if not agree.empty:
        table = agree.pivot_table(index="subject", columns="metric", values="value", sort=False)
        table = table.rename_axis(columns=None).rename_axis("quantity").reset_index()
        figures = "".join(f"<div>{_figure(bland_altman_figure(lesion, s), f'ba-{s}')}</div>" for s in AGREEMENT)
        parts.append("<h2>Agreement with the reference</h2>" + _table(table)
                     + f"<div class='grid'>{figures}</div>")
    if detection is not None:
        parts.append("<h2>Scan-level detection</h2>" + _table(detection_table(detection, score))
                     + _figure(roc_figure(detection, score), "roc"))
    parts.append("<h2>Per case</h2>" + (_table(cases) if not cases.empty else "<p>No case has reference masks.</p>"))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        f"<title>lungtrack evaluation</title><style>{_STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>" + "".join(parts) + "</body></html>\n"
    )
