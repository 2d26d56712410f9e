"""Ball dilation of a sparse (z, y, x) mask by scattering the ball's voxel offsets from its surface.

``morphology.dilate`` thresholds a distance map of the mask's bounding box: its cost follows the box's
volume. For a mask of a few thin structures spread through the lung (vessels) and a small radius it is
cheaper to mark, from each surface voxel, every offset of the ball. Both give the same mask where
``distance.fast_is_exact`` holds: the ``edt`` map thresholded at the radius r is then, voxel for voxel,
"some mask voxel at a lattice offset k with exact length |k| <= r" (``distance``'s module doc: ties at r
are computed exactly, every other offset is farther than a relative 1e-4 from r), which is what the
offsets below are, computed in float64 from the same float32 spacing and radius. The nearest mask voxel
of any voxel outside the mask is a surface voxel (one with a face neighbour outside the mask: a step
from an inner voxel towards the outside voxel would be nearer), so the surface suffices. Elsewhere,
and where scattering would cost more than the map, :func:`dilate_sparse` is ``morphology.dilate``.
Spacing (z, y, x) mm, radius mm.
"""

import numpy as np

from lungtrack.segment.distance import fast_is_exact
from lungtrack.segment.morphology import bounding_box, dilate, reach
from lungtrack.segment.neighbours import erode_faces

#: scattered voxels (surface voxels x ball offsets) per voxel of the box above which the distance map is used
_MAX_WORK_PER_VOXEL = 0.5


def ball_offsets(radius_mm: float, spacing) -> np.ndarray:
    """(n, 3) int offsets (z, y, x voxels) of length at most ``radius_mm`` (mm), as ``distance`` compares
    them: float32 spacing and radius, lengths in float64."""
    steps = [float(np.float32(s)) for s in spacing]
    r = float(np.float32(radius_mm))
    axes = [np.arange(-int(r // s), int(r // s) + 1) for s in steps]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    lengths = np.sqrt(sum((grid[:, d] * steps[d]) ** 2 for d in range(3)))
    return grid[lengths <= r]


def dilate_sparse(mask: np.ndarray, radius_mm: float, spacing) -> np.ndarray:
    """``morphology.dilate(mask, radius_mm, spacing)``, by scattering ball offsets when the mask is sparse."""
    if not mask.any() or radius_mm <= 0:
        return dilate(mask, radius_mm, spacing)
    box = bounding_box(mask, reach(radius_mm, spacing))
    crop = mask[box].astype(bool, copy=False)
    if not fast_is_exact(radius_mm, spacing, crop.shape):
        return dilate(mask, radius_mm, spacing)
    offsets = ball_offsets(radius_mm, spacing)
    surface = crop & ~erode_faces(crop)
    if np.count_nonzero(surface) * len(offsets) > _MAX_WORK_PER_VOXEL * crop.size:
        return dilate(mask, radius_mm, spacing)
    pad = offsets.max(axis=0)
    padded = np.pad(crop, [(p, p) for p in pad])
    flat = padded.reshape(-1)  # a view: marks below land in ``padded``
    sources = np.flatnonzero(np.pad(surface, [(p, p) for p in pad]))
    strides = np.array([padded.shape[1] * padded.shape[2], padded.shape[2], 1])
    for shift in offsets @ strides:
        flat[sources + shift] = True
    out = np.zeros(mask.shape, dtype=bool)
    out[box] = padded[tuple(slice(p, p + n) for p, n in zip(pad, crop.shape))]
    return out
