"""A coarser grid for steps whose result depends on outlines and shapes, not on single voxels.

Arrays are (z, y, x); voxels are grouped into blocks of ``steps`` (z, y, x) voxels, so that a
block is about ``grid_mm`` wide along each axis (thick slices stay single slices).
"""

import numpy as np


def block_steps(spacing, grid_mm: float) -> tuple:
    """Voxels per block along (z, y, x) so that a block is about ``grid_mm`` (mm); spacing (z, y, x) mm."""
    return tuple(max(round(grid_mm / s), 1) for s in spacing)


def block_mean(array: np.ndarray, steps) -> np.ndarray:
    """Mean (float32) of each block of ``steps`` (z, y, x) voxels; a last partial block repeats edge values."""
    pad = [(0, -n % k) for n, k in zip(array.shape, steps)]
    padded = np.pad(array, pad, mode="edge") if any(p for _, p in pad) else array
    out = np.zeros([n // k for n, k in zip(padded.shape, steps)], dtype=np.float32)
    for offset in np.ndindex(*steps):  # a sum of strided views: faster than a mean over reshaped axes
        out += padded[tuple(slice(o, None, k) for o, k in zip(offset, steps))]
    return out / float(np.prod(steps))


def to_fine(coarse: np.ndarray, steps, shape) -> np.ndarray:
    """Each coarse voxel repeated over its block, cut to the fine ``shape`` (z, y, x)."""
    fine = coarse
    for axis, k in enumerate(steps):
        fine = np.repeat(fine, k, axis=axis)
    return fine[: shape[0], : shape[1], : shape[2]]
