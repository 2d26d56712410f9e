"""The cohort table built from per-timepoint metrics."""

import json
import subprocess
import sys

import pandas as pd

from lungtrack.measure.cohort import BASE_COLUMNS, cohort_table


def _rec(pid, date, tp, poi):
    return {"patient_id": pid, "study_date": date, "timepoint": tp, "lung_ml": 4000.0, "lung_right_ml": 2100.0,
            "lung_left_ml": 1900.0, "lesion_ml": 40.0 * poi, "ggo_ml": 30.0 * poi, "consolidation_ml": 10.0 * poi,
            "poi": poi, "poi_right": poi, "poi_left": poi, "acquisition": {"slice_thickness_mm": 1.25, "kernel": "LUNG"}}


def test_rows_ordered_and_days_since_baseline():
    table = cohort_table([
        _rec("B", "2020-04-10", "20200410", 2.0),
        _rec("A", "2020-03-09", "20200309", 5.0),
        _rec("A", "2020-03-01", "20200301", 1.0),
        _rec("B", "2020-04-01", "20200401", 3.0),
    ])
    assert list(table.columns[: len(BASE_COLUMNS)]) == BASE_COLUMNS
    assert list(table["patient_id"]) == ["A", "A", "B", "B"]
    assert list(table["days_since_baseline"]) == [0, 8, 0, 9]
    assert list(table["poi"]) == [1.0, 5.0, 3.0, 2.0]
    assert list(table["slice_thickness_mm"]) == [1.25] * 4


def test_cli_writes_csv_and_names_a_bad_file(tmp_path):
    good = tmp_path / "a.json"
    good.write_text(json.dumps(_rec("A", "2020-03-01", "20200301", 1.0)))
    out = tmp_path / "cohort.csv"
    subprocess.run([sys.executable, "-m", "lungtrack", "cohort", str(good), "--out", str(out)], check=True)
    assert pd.read_csv(out)["poi"].tolist() == [1.0]
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    res = subprocess.run([sys.executable, "-m", "lungtrack", "cohort", str(good), str(bad), "--out",
                          str(tmp_path / "c2.csv")], capture_output=True, text=True)
    assert res.returncode == 2
    assert "broken.json: not a readable metrics file" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "c2.csv").exists()


def test_change_vs_previous():
    table = cohort_table([
        _rec("A", "2020-03-01", "20200301", 1.0),
        _rec("A", "2020-03-08", "20200308", 6.0),   # +5 pp, lesion ×6: progression
        _rec("A", "2020-03-15", "20200315", 6.5),   # +0.5 pp: stable
        _rec("A", "2020-03-22", "20200322", 2.0),   # −4.5 pp, lesion −69 %: regression
    ])
    assert table["change_vs_previous"].fillna("").tolist() == ["", "progression", "stable", "regression"]
    strict = cohort_table([_rec("A", "2020-03-01", "20200301", 1.0), _rec("A", "2020-03-08", "20200308", 6.0)],
                          min_poi_pp=10.0)
    assert strict["change_vs_previous"].tolist()[1] == "stable"
