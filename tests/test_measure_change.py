"""Change calls between consecutive scans: progression, regression, stable."""

import math

import pandas as pd
import pytest

from lungtrack.measure.change import call_interval, change_calls, volume_change_pct


def cohort(rows):
    return pd.DataFrame(rows, columns=["patient_id", "study_date", "poi", "lesion_ml"])


def test_no_change_is_stable():
    table = cohort([("P1", "2020-01-01", 10.0, 400.0), ("P1", "2020-01-08", 10.0, 400.0)])
    assert change_calls(table)["change_vs_previous"].tolist() == ["", "stable"]


def test_calls_per_patient_and_interval():
    table = cohort([
        ("P1", "2020-01-01", 5.0, 200.0), ("P1", "2020-01-08", 12.0, 430.0), ("P1", "2020-01-20", 4.0, 150.0),
        ("P2", "2020-02-01", 0.0, 0.0), ("P2", "2020-02-05", 3.0, 120.0),
    ])
    calls = change_calls(table)
    assert calls["change_vs_previous"].tolist() == ["", "progression", "regression", "", "progression"]
    assert calls.loc[1, "delta_poi_pp"] == pytest.approx(7.0)
    assert calls.loc[1, "lesion_volume_change_pct"] == pytest.approx(115.0)
    assert math.isinf(calls.loc[4, "lesion_volume_change_pct"])
    assert math.isnan(calls.loc[3, "delta_poi_pp"])  # first scan of P2 is not compared with P1


@pytest.mark.parametrize("delta_poi, volume_pct, expected", [
    (3.3, 0.0, "stable"),       # breath-hold: lung volume fell, lesion volume did not change
    (0.1, 100.0, "stable"),     # a tiny lesion doubled: POI barely moves
    (2.0, 25.0, "progression"),  # both at the thresholds
    (-2.0, -25.0, "regression"),
    (5.0, -30.0, "stable"),     # contradictory measures
])
def test_both_measures_must_agree(delta_poi, volume_pct, expected):
    assert call_interval(delta_poi, volume_pct) == expected


def test_thresholds_are_configurable():
    assert call_interval(1.0, 10.0) == "stable"
    assert call_interval(1.0, 10.0, min_poi_pp=0.5, min_volume_pct=5.0) == "progression"


def test_volume_change_pct():
    assert volume_change_pct(200.0, 300.0) == pytest.approx(50.0)
    assert volume_change_pct(0.0, 0.0) == 0.0
    assert math.isinf(volume_change_pct(0.0, 1.0))
