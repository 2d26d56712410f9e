"""Plotly figures of a report, built from the tables of :mod:`lungtrack.report.data`.

Every function returns a ``plotly.graph_objects.Figure``; x axes are study dates, volumes are
in mL and POI in percent.
"""

import pandas as pd
import plotly.graph_objects as go

#: Colours shared by every figure (lesion classes follow the label colours of the CT slices).
COLORS = {
    "total": "#1f2937",
    "right": "#2563eb",
    "left": "#d97706",
    "ggo": "#f2c14e",
    "consolidation": "#d1495b",
    "progression": "#b91c1c",
    "regression": "#15803d",
    "stable": "#6b7280",
}
_CALL_SYMBOL = {"progression": "▲", "regression": "▼", "stable": "="}


def _date_ticks(fig: go.Figure, dates) -> go.Figure:
    """One x tick per study date, labelled YYYY-MM-DD (the date axis keeps real intervals)."""
    dates = list(dict.fromkeys(dates))
    return fig.update_xaxes(tickmode="array", tickvals=dates, ticktext=dates)


def _layout(fig: go.Figure, title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        height=360,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.18},
        yaxis_title=y_title,
        hovermode="x unified",
    )
    return fig


def poi_trend(table: pd.DataFrame, calls: list[dict] | None = None) -> go.Figure:
    """POI (%) of both lungs, right and left lung over time, with the change call of each interval.

    ``calls`` holds one dict per interval with ``study_date`` (end of the interval) and ``call``
    (``progression``, ``regression`` or ``stable``).
    """
    fig = go.Figure()
    for column, name, key in (("poi", "both lungs", "total"), ("poi_right", "right lung", "right"),
                              ("poi_left", "left lung", "left")):
        if column in table and table[column].notna().any():
            fig.add_trace(go.Scatter(
                x=table["study_date"], y=table[column].astype(float), name=name, mode="lines+markers",
                line={"color": COLORS[key], "width": 3 if key == "total" else 2,
                      "dash": "solid" if key == "total" else "dot"},
            ))
    poi_by_date = dict(zip(table["study_date"], table["poi"].astype(float), strict=True))
    for item in calls or []:
        call = item["call"]
        fig.add_annotation(
            x=item["study_date"], y=poi_by_date.get(item["study_date"], 0.0), text=f"{_CALL_SYMBOL[call]} {call}",
            showarrow=True, arrowhead=0, ay=-32, font={"color": COLORS[call], "size": 12},
            bgcolor="rgba(255,255,255,0.85)",
        )
    _date_ticks(fig, table["study_date"])
    return _layout(fig, "Percentage of lung opacified (POI)", "POI (%)").update_yaxes(rangemode="tozero")


def lesion_volumes(table: pd.DataFrame) -> go.Figure:
    """Ground-glass opacity and consolidation volumes (mL) over time, stacked to the total lesion volume."""
    fig = go.Figure()
    for column, name, key in (("ggo_ml", "ground-glass opacity", "ggo"),
                              ("consolidation_ml", "consolidation", "consolidation")):
        fig.add_trace(go.Bar(x=table["study_date"], y=table[column].astype(float), name=name,
                             marker_color=COLORS[key]))
    fig.update_layout(barmode="stack")
    _date_ticks(fig, table["study_date"])
    return _layout(fig, "Lesion volumes: GGO vs consolidation", "volume (mL)")


def poi_text(value: float) -> str:
    """POI (%) to one decimal, with ``< 0.1 %`` for a POI above 0 that would round to 0.0 (it scores 1)."""
    return "< 0.1 %" if 0 < value < 0.05 else f"{value:.1f} %"


def zone_heatmap(regions: pd.DataFrame, zones: list[str]) -> go.Figure:
    """POI (%) per zone (rows, in the order of ``zones``) and study date (columns).

    ``regions`` is long format with columns ``study_date, region, metric, value``; rows with
    metric ``poi`` are shown, and the cell text adds the zone's CT severity score (0–5) where known.
    """
    poi = regions[regions["metric"] == "poi"].pivot_table(index="region", columns="study_date", values="value")
    score = regions[regions["metric"] == "severity"].pivot_table(index="region", columns="study_date",
                                                                 values="value")
    zones = [z for z in zones if z in poi.index]
    poi = poi.reindex(zones)
    text = [[poi_text(poi.loc[z, d]) + (f" · score {score.loc[z, d]:.0f}" if z in score.index else "")
             for d in poi.columns] for z in zones]
    fig = go.Figure(go.Heatmap(
        z=poi.to_numpy(), x=list(poi.columns), y=[z.replace("_", " ") for z in zones], text=text,
        texttemplate="%{text}", colorscale="YlOrRd", zmin=0, zmax=max(25.0, float(poi.max().max())),
        colorbar={"title": {"text": "POI (%)"}}, hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
    ))
    fig.update_xaxes(type="category")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "POI per zone (cell: POI · CT severity score 0–5)", "").update_layout(
        height=120 + 32 * len(zones), hovermode="closest")


def cohort_trajectories(table: pd.DataFrame, links: dict[str, str]) -> go.Figure:
    """Every patient's POI (%) against days since baseline; one line per patient.

    ``table`` has columns ``patient_id, days_since_baseline, poi``; ``links`` maps patient id to
    the report's relative URL (shown in the hover text).
    """
    fig = go.Figure()
    for patient_id, rows in table.groupby("patient_id", sort=True):
        fig.add_trace(go.Scatter(
            x=rows["days_since_baseline"], y=rows["poi"].astype(float), name=str(patient_id),
            mode="lines+markers", customdata=[links.get(patient_id, "")] * len(rows),
            hovertemplate=f"{patient_id}<br>day %{{x}}: POI %{{y:.1f}} %<extra></extra>",
        ))
    fig.update_xaxes(title="days since baseline")
    return _layout(fig, "POI trajectories of the cohort", "POI (%)").update_layout(
        hovermode="closest", showlegend=len(links) <= 30)
