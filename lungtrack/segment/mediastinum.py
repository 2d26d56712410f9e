"""The mediastinum between the lungs, where a lung mask's dense voxels are soft tissue, not lesion.

Lung is aerated on both sides of a lesion or wraps around it; the heart, the great vessels, the
thymus and the fat in front of the trachea lie between the two lungs, outside the outline of
either. On each axial slice the mediastinum here is the part of the convex hull of both lungs'
aerated voxels that lies in neither lung's own convex hull, in front of the lungs' centre (in
front of the spine: the anterior and middle mediastinum; behind it the hull's chord from one
lung's posterior recess to the other also spans dorsal lesions beside the spine, the most
common site of COVID-19 consolidation, so the posterior mediastinum is not taken). A lung mask that took in a piece of
it (a filled notch at the apex, a bridge across the midline) gets dense "lesions" there: they
are left out. Lung lesions against the chest wall lie outside the hull of both lungs, and
lesions enclosed by aerated lung inside their own lung's hull, so neither is touched.

Hulls are taken on a grid of about ``grid_mm`` (the outline, not its voxels, matters; thick
slices stay single slices).
Arrays are (z, y, x) in canonical LPS orientation, spacing (z, y, x) in mm.
"""

import warnings

import numpy as np
from skimage.morphology import convex_hull_image

from lungtrack.segment.coarse import block_mean, block_steps, to_fine
from lungtrack.segment.morphology import bounding_box


def _hull(mask2d: np.ndarray) -> np.ndarray:
    """Convex hull through the pixel centres (corners would widen each lung by a pixel of the coarse
    grid and narrow the mediastinum between them); a lung slice on one line is its own hull."""
    if not mask2d.any():
        return mask2d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # qhull refuses points on one line
        hull = convex_hull_image(mask2d, offset_coordinates=False)
    return hull | mask2d


def mediastinum(right: np.ndarray, left: np.ndarray, spacing, grid_mm: float = 4.0) -> np.ndarray:
    """Mediastinum mask (bool, (z, y, x)) between the aerated ``right`` and ``left`` lung (bool
    masks of aerated voxels), slice by slice (see module doc); empty where one lung is missing."""
    out = np.zeros(right.shape, dtype=bool)
    both = right | left
    if not (right.any() and left.any()):
        return out
    box = bounding_box(both, [0, 1, 1])
    steps = block_steps(spacing, grid_mm)
    coarse = [block_mean(m[box], steps) > 0 for m in (right, left)]
    between = np.zeros(coarse[0].shape, dtype=bool)
    for z in range(between.shape[0]):
        r, l = coarse[0][z], coarse[1][z]
        if r.any() and l.any():
            between[z] = _hull(r | l) & ~_hull(r) & ~_hull(l)
            between[z, int(np.nonzero(r | l)[0].mean()) :] = False  # behind the lungs' centre: spine, dorsal lung
    out[box] = to_fine(between, steps, out[box].shape)
    return out
