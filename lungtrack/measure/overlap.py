"""Voxel overlap of two boolean masks of the same shape (any axis order).

Empty-mask convention: both masks empty -> 1.0 (perfect agreement on "nothing there");
exactly one empty -> 0.0.
"""

import numpy as np


def _counts(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int]:
    """(|a ∩ b|, |a|, |b|) in voxels."""
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"masks differ in shape: {a.shape} vs {b.shape}")
    return int(np.count_nonzero(a & b)), int(np.count_nonzero(a)), int(np.count_nonzero(b))


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice coefficient 2|a∩b| / (|a| + |b|); 1.0 when both are empty."""
    both, na, nb = _counts(a, b)
    return 1.0 if na + nb == 0 else 2.0 * both / (na + nb)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union (Jaccard) |a∩b| / |a∪b|; 1.0 when both are empty."""
    both, na, nb = _counts(a, b)
    union = na + nb - both
    return 1.0 if union == 0 else both / union
