"""Ground glass connected to confirmed lesion: the second threshold of a hysteresis.

Arrays are (z, y, x) bool masks, spacing (z, y, x) in mm.

The threshold backend confirms ground glass only where a ball of a few mm fits into it (thinner
ground-glass-range structures are blurred vessels and bronchial walls). A real lesion's margins,
thin extensions and subpleural bands hold no such ball, yet they are connected to its thick part.
:func:`grow_ground_glass` takes them back: candidate voxels connected to confirmed lesion and
within a reach of it, as long as they pass the backend's other criteria (no vessel, tube or rim).
"""

import numpy as np
from scipy import ndimage as ndi

from lungtrack.segment.morphology import FACES, dilate


def grow_ground_glass(seeds: np.ndarray, allowed: np.ndarray, reach_mm: float, spacing) -> np.ndarray:
    """``seeds`` plus the voxels of ``allowed`` that are 6-connected to them through ``allowed`` and
    within ``reach_mm`` (mm, Euclidean) of them; ``reach_mm`` <= 0 gives ``seeds``."""
    if reach_mm <= 0 or not seeds.any():
        return seeds.astype(bool)
    near = dilate(seeds, reach_mm, spacing) & (allowed | seeds)
    labels, _ = ndi.label(near, structure=FACES)
    return np.isin(labels, np.unique(labels[seeds])) & near
