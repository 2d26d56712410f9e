"""Which step of the threshold lesion backend lost each true lesion voxel (``bench/realct_lesions.py --losses``).

``segment_lesions_threshold(..., stages=d)`` leaves its intermediate masks in ``d``; a true lesion
voxel that the final labels miss is put to the first step, in the backend's own order, whose
criterion it fails. Arrays are (z, y, x) bool on the backend's canonical grid.
"""

import numpy as np

#: loss causes in the order the backend applies them
CAUSES = ("below threshold", "mediastinal prior", "boundary layer", "tube step", "thin dense (vessel)",
          "vessel rim", "GGO ball", "min volume", "edge regrowth")


def lost_by_cause(stages: dict, truth: np.ndarray, found: np.ndarray) -> dict:
    """Voxel counts of ``truth`` & ~``found`` per cause in :data:`CAUSES` (plus ``found`` and ``true``)."""
    missed = truth & ~found
    counts = {"true": int(truth.sum()), "found": int((truth & found).sum())}
    in_range, core = stages["in_range"], stages["core"]
    steps = [
        ~in_range & ~stages["mediastinum"],
        stages["mediastinum"],
        ~core,
        stages["tubes"],
        stages["vessels"],
        stages["rim"],
        ~stages["ggo"] & ~stages["consolidation"],
        ~stages["lesion"],
        np.ones_like(truth),
    ]
    for cause, fails in zip(CAUSES, steps):
        hit = missed & fails
        counts[cause] = int(hit.sum())
        missed = missed & ~hit
    return counts
