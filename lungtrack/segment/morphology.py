"""Spacing-aware binary morphology on (z, y, x) numpy masks.

Every radius is in mm and every ``spacing`` is the voxel size as a (z, y, x) tuple in mm, so the
same call means the same physical operation at 0.6 mm or at 5 mm voxels. Dilation and erosion are
exact Euclidean (ball) operations computed from a distance map (the ``edt`` package where it gives
the same masks as SimpleITK's Maurer transform, the Maurer map elsewhere: see ``segment.distance``;
both multi-threaded), which costs the same for any radius; work is cropped to the mask's bounding
box, and the float32 distance map is thresholded in place (through a view), never copied.
"""

import numpy as np
import SimpleITK as sitk
from scipy import ndimage as ndi

from lungtrack.segment.distance import distance_outside, distance_to, fast_is_exact, signed_maurer
from lungtrack.segment.parallel import slabs, thread_map

#: 6-connectivity (face neighbours) of a (z, y, x) mask: one voxel, whatever the spacing.
FACES = ndi.generate_binary_structure(3, 1)


def bounding_box(mask: np.ndarray, margin):
    """(z, y, x) slices of the bounding box of ``mask`` grown by ``margin`` voxels per axis (z, y, x)."""
    idx = [np.flatnonzero(mask.any(axis=tuple(a for a in range(3) if a != ax))) for ax in range(3)]
    return tuple(
        slice(max(int(i[0]) - m, 0), min(int(i[-1]) + m + 1, n)) for i, m, n in zip(idx, margin, mask.shape)
    )


def reach(radius_mm: float, spacing) -> list[int]:
    """Margin (voxels per axis (z, y, x)) around a mask's bounding box that :func:`dilate` works in.

    The distance map's values depend (at the last bit, where a distance equals the radius) on
    where its image starts, so code that crops before calling these functions keeps at least this
    margin around the masks it crops to, and so gets the same masks as on the whole volume.
    """
    return [int(np.ceil(radius_mm / s)) + 1 for s in spacing]


def dilate(mask: np.ndarray, radius_mm: float, spacing) -> np.ndarray:
    """Dilation by a ball of ``radius_mm`` (mm)."""
    out = np.zeros_like(mask, dtype=bool)
    if not mask.any() or radius_mm <= 0:
        return mask.astype(bool) | out
    box = bounding_box(mask, reach(radius_mm, spacing))
    crop = mask[box]
    if fast_is_exact(radius_mm, spacing, crop.shape):
        np.less_equal(distance_to(crop, spacing), radius_mm, out=out[box])
        return out
    distance = signed_maurer(crop, spacing)
    np.greater_equal(sitk.GetArrayViewFromImage(distance), -radius_mm, out=out[box])  # within radius_mm of it
    return out


def erode(mask: np.ndarray, radius_mm: float, spacing) -> np.ndarray:
    """Erosion by a ball of ``radius_mm`` (mm); the image border does not erode."""
    out = np.zeros_like(mask, dtype=bool)
    if not mask.any() or radius_mm <= 0:
        return mask.astype(bool) | out
    box = bounding_box(mask, [1, 1, 1])
    inner = mask[box].astype(bool, copy=False)
    if fast_is_exact(radius_mm, spacing, inner.shape):
        np.greater(distance_outside(inner, spacing), radius_mm, out=out[box])  # farther than radius_mm from ~inner
        return out
    distance = signed_maurer(~inner, spacing)
    np.less(sitk.GetArrayViewFromImage(distance), -radius_mm, out=out[box])  # farther than radius_mm from ~inner
    out[box] &= inner
    return out


def opening(mask: np.ndarray, radius_mm: float, spacing) -> np.ndarray:
    """Opening by a ball of ``radius_mm``: removes parts thinner than about 2 * radius_mm."""
    return dilate(erode(mask, radius_mm, spacing), radius_mm, spacing) & mask


def sorted_labels(mask: np.ndarray, full_connectivity: bool) -> tuple[sitk.Image, np.ndarray, tuple]:
    """SimpleITK's connected components (multi-threaded) of a non-empty ``mask`` on its bounding box, largest
    first: (uint32 label image of the box, voxel counts of labels 1, 2, ..., the box's (z, y, x) slices)."""
    box = bounding_box(mask, [0, 0, 0])
    crop = np.ascontiguousarray(mask[box])
    image = sitk.ConnectedComponent(sitk.GetImageFromArray(crop.view(np.uint8) if crop.dtype == bool else
                                                           crop.astype(np.uint8)), full_connectivity)
    del crop
    relabel = sitk.RelabelComponentImageFilter()
    relabel.SetSortByObjectSize(True)
    relabelled = relabel.Execute(image)
    return relabelled, np.array(relabel.GetSizeOfObjectsInPixels(), dtype=np.int64), box


def components(mask: np.ndarray, full_connectivity: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Label connected components (6- or 26-connected in 3D), largest first.

    Returns (labels as int32 (z, y, x), voxel counts per label with counts[0] = background).
    Labelled on the mask's bounding box: scan order there is that of the whole volume, so equal
    sizes are ordered as they would be on it.
    """
    if not mask.any():
        return np.zeros(mask.shape, dtype=np.int32), np.array([mask.size], dtype=np.int64)
    relabelled, sizes, box = sorted_labels(mask, full_connectivity)  # sizes: no bincount, no int64 copy of labels
    labels = np.zeros(mask.shape, dtype=np.int32)
    # uint32 labels (fewer than 2**31 of them) reinterpreted as int32; the view lives while ``relabelled`` does
    labels[box] = sitk.GetArrayViewFromImage(relabelled).view(np.int32)
    return labels, np.r_[mask.size - sizes.sum(), sizes]


def _labels(mask: np.ndarray, full_connectivity: bool) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Connected components in scan order (SciPy; no sorting) on the bounding box of ``mask``:
    (int32 labels of the box, voxel counts with [0] = background, the box's (z, y, x) slices).
    Scan order inside the box is that of the whole volume, so labels and counts are the same."""
    if not mask.any():
        return np.zeros((0, 0, 0), dtype=np.int32), np.zeros(1, dtype=np.int64), (slice(0, 0),) * 3
    box = bounding_box(mask, [0, 0, 0])
    structure = ndi.generate_binary_structure(3, 3) if full_connectivity else FACES
    labels, _ = ndi.label(mask[box], structure=structure)
    return labels, np.bincount(labels.ravel()), box


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 6-connected component of ``mask`` (empty mask stays empty; of equally large ones the first
    in scan order). SimpleITK labels it (multi-threaded), SciPy where the two largest tie in size."""
    out = np.zeros(mask.shape, dtype=bool)
    if not mask.any():
        return out
    labels, sizes, box = sorted_labels(mask, full_connectivity=False)
    if len(sizes) < 2 or sizes[0] > sizes[1]:  # unique: whatever order the labels were found in
        np.equal(sitk.GetArrayViewFromImage(labels), 1, out=out[box])
        return out
    del labels  # a tie: the first of them in scan order, that of SciPy's labels
    labels, counts, box = _labels(mask, full_connectivity=False)
    counts[0] = 0
    np.equal(labels, int(np.argmax(counts)), out=out[box])
    return out


def remove_small(mask: np.ndarray, min_volume_mm3: float, spacing, touching: np.ndarray | None = None) -> np.ndarray:
    """Drop 26-connected components smaller than ``min_volume_mm3`` (mm³) and, with ``touching``
    (a (z, y, x) mask inside ``mask``), those without a voxel of it."""
    out = np.zeros(mask.shape, dtype=bool)
    labels, counts, box = _labels(mask, full_connectivity=True)
    keep = counts * float(np.prod(spacing)) >= min_volume_mm3
    if touching is not None:
        touched = np.zeros_like(keep)
        touched[labels[touching[box]]] = True
        keep &= touched
    keep[0] = False
    out[box] = keep[labels]
    return out


_PLANE = np.zeros((3, 3, 3), dtype=bool)  # in-plane 4-connectivity
_PLANE[1] = [[0, 1, 0], [1, 1, 1], [0, 1, 0]]


def fill_holes_2d(mask: np.ndarray) -> np.ndarray:
    """Fill holes slice by slice (axial planes): background not connected to the slice border.

    Works on the mask's bounding box grown by one pixel in-plane (clipped to the slice): the
    background around the box reaches the slice border, and so does every background pixel of the
    box's edge, so the holes found there are those of the whole slices.
    """
    out = mask.astype(bool, copy=True)
    if not mask.any():
        return out
    box = bounding_box(mask, [0, 1, 1])
    thread_map(lambda z: _fill_slab(out[box][z]), slabs(out[box].shape[0]))  # slices are apart: slabs on threads
    return out


def _fill_slab(slab: np.ndarray) -> None:
    """Fill, in place, the holes of each (y, x) slice of a boolean (z, y, x) ``slab`` (a view)."""
    background, n = ndi.label(~slab, structure=_PLANE)
    outside = np.zeros(n + 1, dtype=bool)
    for edge in (background[:, 0, :], background[:, -1, :], background[:, :, 0], background[:, :, -1]):
        outside[edge] = True
    outside[0] = True  # label 0 is the mask itself
    slab |= np.logical_not(outside)[background]  # the holes (the small table inverted, not the slab's map)
