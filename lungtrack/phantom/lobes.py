"""Lobes of the phantom's lungs, drawn geometrically: the fissures are oblique planes.

Not anatomy from an atlas: enough for a lobe model to learn and for lobe measures to be checked.
Arrays (z, y, x) with z = 0 the most inferior slice, y = 0 anterior; lungs 1 right, 2 left.
Lobes 1 right upper, 2 right middle, 3 right lower, 4 left upper, 5 left lower.
"""

import numpy as np

from lungtrack.labels import LEFT, LEFT_LOWER, LEFT_UPPER, RIGHT, RIGHT_LOWER, RIGHT_MIDDLE, RIGHT_UPPER

# Oblique fissures: a voxel's height within its lung, as a fraction of the lung's craniocaudal
# extent, minus this share of its depth (dorsal = 1): the lower lobes reach higher at the back.
FISSURE_TILT = 0.4
# Heights (after the tilt) of the right lung's horizontal and oblique fissures, and the left's oblique one.
RIGHT_UPPER_FROM, RIGHT_MIDDLE_FROM, LEFT_UPPER_FROM = 0.4, 0.25, 0.3


def phantom_lobes(lungs: np.ndarray) -> np.ndarray:
    """Lobe labels (uint8, 1..5) covering exactly ``lungs`` (1 right, 2 left)."""
    out = np.zeros(lungs.shape, np.uint8)
    z, y = np.indices(lungs.shape[:2])
    for side in (RIGHT, LEFT):
        inside = lungs == side
        if not inside.any():
            continue
        zs, ys = np.nonzero(inside.any(axis=(1, 2)))[0], np.nonzero(inside.any(axis=(0, 2)))[0]
        height = (z - zs[0]) / max(1, zs[-1] - zs[0]) - FISSURE_TILT * (y - ys[0]) / max(1, ys[-1] - ys[0])
        if side == RIGHT:
            lobe = np.select([height >= RIGHT_UPPER_FROM, height >= RIGHT_MIDDLE_FROM], [RIGHT_UPPER, RIGHT_MIDDLE],
                             RIGHT_LOWER)
        else:
            lobe = np.where(height >= LEFT_UPPER_FROM, LEFT_UPPER, LEFT_LOWER)
        out[inside] = np.broadcast_to(lobe[:, :, None], lungs.shape)[inside]
    return out
