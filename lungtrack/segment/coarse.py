"""A coarser grid for steps whose result depends on outlines and shapes, not on single voxels.

Arrays are (z, y, x); voxels are grouped into blocks of ``steps`` (z, y, x) voxels, so that a
block is about ``grid_mm`` wide along each axis (thick slices stay single slices).
"""

import itertools

import numpy as np


def block_steps(spacing, grid_mm: float) -> tuple:
    """Voxels per block along (z, y, x) so that a block is about ``grid_mm`` (mm); spacing (z, y, x) mm."""
    return tuple(max(round(grid_mm / s), 1) for s in spacing)


def _pieces(n: int, k: int, offset: int) -> list[tuple[slice, slice]]:
    """(blocks, voxels) along one axis of ``n`` voxels in blocks of ``k``: the voxel at ``offset`` in each
    block; the last block, when partial and too short for it, takes the edge voxel (as an edge pad would)."""
    blocks, found = -(-n // k), len(range(offset, n, k))
    pieces = [(slice(0, found), slice(offset, None, k))]
    if found < blocks:
        pieces.append((slice(found, blocks), slice(n - 1, n)))
    return pieces


def block_mean(array: np.ndarray, steps) -> np.ndarray:
    """Mean (float32) of each block of ``steps`` (z, y, x) voxels; a last partial block repeats edge values."""
    out = np.zeros([-(-n // k) for n, k in zip(array.shape, steps)], dtype=np.float32)
    for offset in np.ndindex(*steps):  # a sum of strided views: faster than a mean over reshaped axes
        # the edge values are added where they fall, without an edge-padded copy: the same sums in the same order
        for parts in itertools.product(*(_pieces(n, k, o) for n, k, o in zip(array.shape, steps, offset))):
            blocks, voxels = zip(*parts)
            out[blocks] += array[voxels]
    return out / float(np.prod(steps))


def to_fine(coarse: np.ndarray, steps, shape) -> np.ndarray:
    """Each coarse voxel repeated over its block, cut to the fine ``shape`` (z, y, x)."""
    fine = coarse
    for axis, k in enumerate(steps):
        fine = np.repeat(fine, k, axis=axis)
    return fine[: shape[0], : shape[1], : shape[2]]
