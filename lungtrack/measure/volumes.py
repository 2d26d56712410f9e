"""Lung and lesion volumes (mL) and the percentage of infection (POI, %) of one CT.

Label conventions: lungs 1 = right, 2 = left; lesions 1 = GGO, 2 = consolidation. Arrays have
axes (z, y, x); the voxel volume comes from the image spacing in mm (1 mL = 1000 mm³).
"""

import numpy as np

from lungtrack.labels import CONSOLIDATION, GGO, LEFT, RIGHT
from lungtrack.segment.morphology import bounding_box


def poi(lesion_ml: float, lung_ml: float) -> float:
    """Percentage of infection = lesion volume / lung volume × 100 (%); NaN when the lung is empty."""
    return float(100.0 * lesion_ml / lung_ml) if lung_ml > 0 else float("nan")


#: Voxels per ``np.bincount`` call: it counts through an int64 copy of its input (8 bytes a voxel), made
#: per slab of about this many voxels rather than for the whole box at once.
_SLAB_VOXELS = 1 << 22


def _joint_counts(lungs: np.ndarray, lesions: np.ndarray) -> np.ndarray:
    """Voxel counts (4, 4) of (lung class, lesion class) pairs, each class 0 none (label <= 0), 1 and 2
    the labels 1 and 2, 3 any other positive label; counted on the lungs' bounding box (integer labels).

    One ``np.bincount`` of a combined code per slab of z slices instead of a full-volume boolean mask per
    count: the same integers. Lesion voxels outside the box are outside the lungs, which every count needs.
    """
    in_lung = lungs > 0
    if not in_lung.any():
        return np.zeros((4, 4), dtype=np.int64)
    box = bounding_box(in_lung, [0, 0, 0])
    counts = np.zeros(16, dtype=np.int64)
    step = max(_SLAB_VOXELS // max(lungs[box][0].size, 1), 1)
    for z in range(box[0].start, box[0].stop, step):
        slab = (slice(z, min(z + step, box[0].stop)), *box[1:])
        code = np.clip(lungs[slab], 0, 3).astype(np.uint8) * np.uint8(4)
        code += np.clip(lesions[slab], 0, 3).astype(np.uint8)
        counts += np.bincount(code.ravel(), minlength=16)
    return counts.reshape(4, 4)


def lung_lesion_volumes(lungs: np.ndarray, lesions: np.ndarray, voxel_ml: float) -> dict:
    """Volumes (mL) and POI (%) overall and per lung.

    ``lungs`` and ``lesions`` are integer label arrays on the same grid, axes (z, y, x). Lesion
    voxels outside the lungs are not counted: POI is defined within the lung.
    """
    if lungs.shape != lesions.shape:
        raise ValueError(f"lung mask {lungs.shape} and lesion mask {lesions.shape} differ in shape")
    joint = _joint_counts(lungs, lesions)[1:]  # rows: lung classes right, left, other (all in the lung)
    right, left = joint[RIGHT - 1], joint[LEFT - 1]
    counts = {
        "lung_ml": joint.sum(),
        "lung_right_ml": right.sum(),
        "lung_left_ml": left.sum(),
        "lesion_ml": joint[:, 1:].sum(),
        "ggo_ml": joint[:, GGO].sum(),
        "consolidation_ml": joint[:, CONSOLIDATION].sum(),
        "lesion_right_ml": right[1:].sum(),
        "lesion_left_ml": left[1:].sum(),
    }
    out = {key: float(n) * voxel_ml for key, n in counts.items()}
    out["poi"] = poi(out["lesion_ml"], out["lung_ml"])
    out["poi_right"] = poi(out["lesion_right_ml"], out["lung_right_ml"])
    out["poi_left"] = poi(out["lesion_left_ml"], out["lung_left_ml"])
    return out
