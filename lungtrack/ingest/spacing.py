"""Non-uniform slice spacing: a uniform target grid along the slice normal and linear interpolation onto it.

Distances are mm along the slice normal from the first slice; arrays are (z, y, x).
"""

import numpy as np


def uniform_distances(distances: np.ndarray) -> np.ndarray:
    """Equidistant slice positions from the first to the last slice.

    The step is the smallest gap, adjusted so that the last slice is kept exactly; the number of
    slices is capped at twice the original count (the rule dcm2niix uses for its _Eq volumes).
    """
    gaps = np.diff(distances)
    step = gaps[gaps > 0].min()
    extent = float(distances[-1] - distances[0])
    count = min(round(extent / step) + 1, 2 * len(distances))
    return distances[0] + np.linspace(0.0, extent, count)


def interpolate(volume: np.ndarray, distances: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Linear interpolation of the slices of ``volume`` (at ``distances``) at ``targets`` (float32)."""
    hi = np.clip(np.searchsorted(distances, targets, side="left"), 1, len(distances) - 1)
    lo = hi - 1
    weight = ((targets - distances[lo]) / (distances[hi] - distances[lo])).astype(np.float32)
    out = np.empty((len(targets),) + volume.shape[1:], dtype=np.float32)
    for k, (a, b, w) in enumerate(zip(lo, hi, weight)):
        out[k] = volume[a] * (1 - w) + volume[b] * w
    return out
