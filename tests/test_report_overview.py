"""Cohort overview page and cohort_regions.csv."""

import json

import pandas as pd
from test_report import plotly_figures

from lungtrack.cli import main
from lungtrack.report.overview import overview_report

COHORT = pd.DataFrame({
    "patient_id": ["P 1", "P 1", "P2"],
    "study_date": ["2020-01-01", "2020-01-08", "2020-02-01"],
    "days_since_baseline": [0, 7, 0],
    "poi": [5.0, 12.0, 1.0],
    "lesion_ml": [200.0, 430.0, 40.0],
})


def test_overview_links_every_patient(tmp_path):
    csv = tmp_path / "cohort.csv"
    COHORT.to_csv(csv, index=False)
    html = overview_report(csv, {"P 1": 9.0})
    assert 'href="P_1.html"' in html and 'href="P2.html"' in html  # path-safe report names
    figures = plotly_figures(html)
    assert list(figures) == ["cohort-trajectories"]
    assert '"P 1"' in figures["cohort-trajectories"] and '"P2"' in figures["cohort-trajectories"]
    assert "progression" in html and "9.0" in html


def test_cli_writes_overview_and_regions(tmp_path):
    csv = tmp_path / "cohort.csv"
    COHORT.to_csv(csv, index=False)
    tracking = tmp_path / "tracking.json"
    regions = [{"patient_id": "P2", "study_date": "2020-02-01", "timepoint": "20200201", "region": "all",
                "metric": "severity_total", "value": 4}]
    tracking.write_text(json.dumps({"regions": regions}))
    out, regions_csv = tmp_path / "reports" / "index.html", tmp_path / "cohort_regions.csv"
    assert main(["overview", str(csv), "--tracking", str(tracking), "--regions-csv", str(regions_csv),
                 "--out", str(out)]) == 0
    assert out.is_file()
    table = pd.read_csv(regions_csv)
    assert list(table.columns) == ["patient_id", "study_date", "timepoint", "region", "metric", "value"]
    assert table["value"].tolist() == [4]
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    assert main(["overview", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "x.html")]) == 2
