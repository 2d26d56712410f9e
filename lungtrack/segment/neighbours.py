"""Face-neighbour (6-connected) dilation and erosion of (z, y, x) boolean masks by array shifts.

One voxel along each axis, whatever the spacing: the same masks as ``scipy.ndimage``'s
``binary_dilation`` and ``binary_erosion`` with the 6-connected structure
(``morphology.FACES``), several times faster (each step is six in-place ORs or ANDs of shifted views).
"""

import numpy as np


def _pairs(axis: int):
    """(index of the voxels, index of their neighbours) on one side along ``axis``, for both sides."""
    ahead, behind = [slice(None)] * 3, [slice(None)] * 3
    ahead[axis], behind[axis] = slice(1, None), slice(None, -1)
    return (tuple(ahead), tuple(behind)), (tuple(behind), tuple(ahead))


def dilate_faces(mask: np.ndarray, iterations: int = 1, within: np.ndarray | None = None) -> np.ndarray:
    """``binary_dilation(mask, FACES, iterations, mask=within)``: each step adds the face neighbours of the
    mask (only those in ``within`` when given; voxels outside the volume are not in the mask)."""
    out = mask.astype(bool, copy=True)
    for _ in range(iterations):
        grown = out.copy()
        for axis in range(3):
            for target, source in _pairs(axis):
                grown[target] |= out[source]
        if within is not None:
            grown &= within
            grown |= out
        out = grown
    return out


def erode_faces(mask: np.ndarray) -> np.ndarray:
    """``binary_erosion(mask, FACES, border_value=1)``: the voxels of ``mask`` whose face neighbours are all
    in it (outside the volume counts as in it)."""
    mask = mask.astype(bool, copy=False)
    out = mask.copy()
    for axis in range(3):
        for target, source in _pairs(axis):
            out[target] &= mask[source]
    return out
