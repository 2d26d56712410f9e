"""Lung and lesion volumes (mL) and the percentage of infection (POI, %) of one CT.

Label conventions: lungs 1 = right, 2 = left; lesions 1 = GGO, 2 = consolidation. Arrays have
axes (z, y, x); the voxel volume comes from the image spacing in mm (1 mL = 1000 mm³).
"""

import numpy as np

from lungtrack.labels import CONSOLIDATION, GGO, LEFT, RIGHT


def poi(lesion_ml: float, lung_ml: float) -> float:
    """Percentage of infection = lesion volume / lung volume × 100 (%); NaN when the lung is empty."""
    return float(100.0 * lesion_ml / lung_ml) if lung_ml > 0 else float("nan")


def lung_lesion_volumes(lungs: np.ndarray, lesions: np.ndarray, voxel_ml: float) -> dict:
    """Volumes (mL) and POI (%) overall and per lung.

    ``lungs`` and ``lesions`` are label arrays on the same grid, axes (z, y, x). Lesion voxels
    outside the lungs are not counted: POI is defined within the lung.
    """
    if lungs.shape != lesions.shape:
        raise ValueError(f"lung mask {lungs.shape} and lesion mask {lesions.shape} differ in shape")
    in_lung = lungs > 0
    lesion = (lesions > 0) & in_lung
    right, left = lungs == RIGHT, lungs == LEFT
    count = np.count_nonzero  # the same integers as a boolean sum, several times faster
    counts = {
        "lung_ml": count(in_lung),
        "lung_right_ml": count(right),
        "lung_left_ml": count(left),
        "lesion_ml": count(lesion),
        "ggo_ml": count((lesions == GGO) & in_lung),
        "consolidation_ml": count((lesions == CONSOLIDATION) & in_lung),
        "lesion_right_ml": count(lesion & right),
        "lesion_left_ml": count(lesion & left),
    }
    out = {key: float(n) * voxel_ml for key, n in counts.items()}
    out["poi"] = poi(out["lesion_ml"], out["lung_ml"])
    out["poi_right"] = poi(out["lesion_right_ml"], out["lung_right_ml"])
    out["poi_left"] = poi(out["lesion_left_ml"], out["lung_left_ml"])
    return out
