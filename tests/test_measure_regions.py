"""Regional measures: zones of each lung, POI per zone and lobe, CT severity score."""

import numpy as np
import pandas as pd
import pytest

from lungtrack.measure.regions import (
    lobe_measures,
    lung_extents,
    severity_score,
    zone_measures,
    zone_of,
)


@pytest.mark.parametrize("poi, score", [(0.0, 0), (0.1, 1), (4.99, 1), (5.0, 2), (25.0, 2), (25.1, 3), (50.0, 3),
                                        (50.5, 4), (75.0, 4), (75.1, 5), (100.0, 5)])
def test_severity_score(poi, score):
    assert severity_score(poi) == score


def box_lungs():
    """Right lung x 0–9, left lung x 10–19, both z 0–29 and y 0–9; arrays (z, y, x)."""
    lungs = np.zeros((30, 10, 20), np.uint8)
    lungs[:, :, :10] = 1
    lungs[:, :, 10:] = 2
    return lungs


def measures(rows):
    return pd.DataFrame(rows).set_index(["region", "metric"])["value"]


def test_zone_poi_and_scores():
    lungs = box_lungs()
    lesions = np.zeros_like(lungs)
    lesions[20:30, :, :10] = 1  # the whole right upper third (z is feet to head)
    lesions[0:10, 0:5, 10:12] = 2  # 2 of 10 columns in the ventral half of the left lower third: 10 %
    m = measures(zone_measures(lungs, lesions, voxel_ml=0.001))
    assert m["right_upper", "poi"] == pytest.approx(100.0) and m["right_upper", "severity"] == 5
    assert m["right_lower", "poi"] == 0 and m["right_lower", "severity"] == 0
    assert m["left_lower", "poi"] == pytest.approx(10.0) and m["left_lower", "severity"] == 2
    assert m["right_upper", "lung_ml"] == pytest.approx(1.0)  # 10 x 10 x 10 voxels of 1 µL
    assert m["left_ventral", "poi"] == pytest.approx(100 * 100 / 1500)
    assert m["left_dorsal", "poi"] == 0
    assert m["all", "severity_total"] == 7
    assert ("right_ventral", "severity") not in m.index  # the six-zone score uses thirds only


def test_zone_of_position():
    extents = lung_extents(box_lungs())
    assert zone_of(1, 29.0, 0.0, extents) == ("upper", "ventral")
    assert zone_of(2, 0.0, 9.0, extents) == ("lower", "dorsal")
    assert zone_of(2, 15.0, 4.0, extents) == ("middle", "ventral")


def test_lobe_scores():
    lungs = box_lungs()
    lobes = np.zeros_like(lungs)
    lobes[20:, :, :10], lobes[10:20, :, :10], lobes[:10, :, :10] = 1, 2, 3
    lobes[15:, :, 10:], lobes[:15, :, 10:] = 4, 5
    lesions = np.zeros_like(lungs)
    lesions[25:30, :, :10] = 1  # half of the right upper lobe
    m = measures(lobe_measures(lobes, lesions, voxel_ml=0.001))
    assert m["right_upper_lobe", "poi"] == pytest.approx(50.0) and m["right_upper_lobe", "severity"] == 3
    assert m["left_lower_lobe", "severity"] == 0
    assert m["all", "lobe_severity_total"] == 3
