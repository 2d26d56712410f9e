"""Surface distances between two boolean masks, in mm, with anisotropic voxel spacing.

The surface of a mask is its set of boundary voxels: voxels of the mask with at least one
face neighbour (6-connectivity) outside it or outside the array. Distances are Euclidean
distances in mm between voxel centres (index × spacing; a rotation of the grid does not change
them), from each surface voxel of one mask to the nearest surface voxel of the other,
found with a k-d tree (scipy.spatial.cKDTree) on the boundary voxels of the pair's bounding box.

- HD95: the larger of the two directed 95th percentiles (linear interpolation), in mm.
- Normalized surface Dice at tolerance τ mm (Nikolov et al. 2021, counted per boundary voxel):
  (#{a ∈ ∂A : d(a, ∂B) ≤ τ} + #{b ∈ ∂B : d(b, ∂A) ≤ τ}) / (|∂A| + |∂B|).

Empty masks: both empty -> NSD 1.0 and HD95 undefined (NaN); one empty -> NSD 0.0 and HD95
undefined (NaN). Arrays are (z, y, x) as from ``sitk.GetArrayFromImage``; ``spacing`` is
(x, y, z) mm as from ``image.GetSpacing()``.
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

# distances within this many mm of a tolerance count as within it (index × spacing rounding)
_ROUNDING_MM = 1e-6


@dataclass(frozen=True)
class SurfaceDistances:
    """Directed surface distances in mm: one per boundary voxel of ``a`` and of ``b``."""

    a_to_b: np.ndarray
    b_to_a: np.ndarray

    def hd95(self) -> float:
        """Symmetric 95th-percentile Hausdorff distance (mm); NaN when either surface is empty."""
        if self.a_to_b.size == 0 or self.b_to_a.size == 0:
            return float("nan")
        return float(max(np.percentile(self.a_to_b, 95), np.percentile(self.b_to_a, 95)))

    def nsd(self, tolerance_mm: float) -> float:
        """Normalized surface Dice at ``tolerance_mm``; 1.0 when both surfaces are empty."""
        total = self.a_to_b.size + self.b_to_a.size
        if total == 0:
            return 1.0
        limit = tolerance_mm + _ROUNDING_MM
        within = np.count_nonzero(self.a_to_b <= limit) + np.count_nonzero(self.b_to_a <= limit)
        return within / total


def boundary(mask: np.ndarray) -> np.ndarray:
    """Boundary voxels of a boolean mask (6-connected erosion; the array edge counts as outside)."""
    mask = np.asarray(mask, dtype=bool)
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def surface_distances(a: np.ndarray, b: np.ndarray, spacing) -> SurfaceDistances:
    """Directed distances (mm) between the boundaries of boolean (z, y, x) masks ``a`` and ``b``.

    ``spacing`` is (x, y, z) in mm. Only the bounding box of ``a | b`` (plus one voxel) is
    processed, so the cost follows the size of the structures, not of the image.
    """
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"masks differ in shape: {a.shape} vs {b.shape}")
    if a.ndim != 3 or len(spacing) != 3:
        raise ValueError("surface distances need 3-D (z, y, x) masks and an (x, y, z) spacing")
    box = _bounding_box(a | b)
    if box is None:
        empty = np.zeros(0)
        return SurfaceDistances(empty, empty)
    scale = np.asarray(spacing, dtype=float)[::-1]  # (z, y, x) mm
    points_a = np.argwhere(boundary(a[box])) * scale
    points_b = np.argwhere(boundary(b[box])) * scale
    return SurfaceDistances(_nearest(points_a, points_b), _nearest(points_b, points_a))


def hd95(a: np.ndarray, b: np.ndarray, spacing) -> float:
    """95th-percentile Hausdorff distance (mm) between boolean (z, y, x) masks; NaN if one is empty."""
    return surface_distances(a, b, spacing).hd95()


def normalized_surface_dice(a: np.ndarray, b: np.ndarray, spacing, tolerance_mm: float) -> float:
    """Normalized surface Dice of boolean (z, y, x) masks at ``tolerance_mm``."""
    return surface_distances(a, b, spacing).nsd(tolerance_mm)


def _nearest(points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Distance from each point to its nearest target (mm); +inf for all when there are no targets."""
    if points.size == 0:
        return np.zeros(0)
    if targets.size == 0:
        return np.full(len(points), np.inf)
    distances, _ = cKDTree(targets).query(points, workers=-1)
    return distances


def _bounding_box(mask: np.ndarray):
    """Slices of the smallest box holding ``mask``, grown by one voxel within the array; None if empty."""
    box = []
    for axis in range(mask.ndim):
        hit = np.flatnonzero(mask.any(axis=tuple(i for i in range(mask.ndim) if i != axis)))
        if hit.size == 0:
            return None
        box.append(slice(max(hit[0] - 1, 0), min(hit[-1] + 2, mask.shape[axis])))
    return tuple(box)
