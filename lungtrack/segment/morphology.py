"""Spacing-aware binary morphology on (z, y, x) numpy masks.

Every radius is in mm and every ``spacing`` is the voxel size as a (z, y, x) tuple in mm, so the
same call means the same physical operation at 0.6 mm or at 5 mm voxels. Dilation and erosion are
exact Euclidean (ball) operations computed from a distance map (SimpleITK's Maurer transform,
multi-threaded), which costs the same for any radius; work is cropped to the mask's bounding box,
and the float32 distance map is thresholded in place (through a view), never copied.
"""

import numpy as np
import SimpleITK as sitk
from scipy import ndimage as ndi


def _image(mask: np.ndarray, spacing) -> sitk.Image:
    image = sitk.GetImageFromArray(mask.view(np.uint8) if mask.dtype == bool else mask.astype(np.uint8))
    image.SetSpacing(tuple(float(s) for s in spacing[::-1]))
    return image


def _signed_distance(mask: np.ndarray, spacing) -> sitk.Image:
    """Signed distance map (float32 image, mm): >= 0 inside ``mask``, minus the distance to it outside."""
    return sitk.SignedMaurerDistanceMap(_image(mask, spacing), insideIsPositive=True, squaredDistance=False,
                                        useImageSpacing=True)


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
    distance = _signed_distance(mask[box], spacing)
    np.greater_equal(sitk.GetArrayViewFromImage(distance), -radius_mm, out=out[box])  # within radius_mm of it
    return out


def erode(mask: np.ndarray, radius_mm: float, spacing) -> np.ndarray:
    """Erosion by a ball of ``radius_mm`` (mm); the image border does not erode."""
    out = np.zeros_like(mask, dtype=bool)
    if not mask.any() or radius_mm <= 0:
        return mask.astype(bool) | out
    box = bounding_box(mask, [1, 1, 1])
    inner = mask[box].astype(bool, copy=False)
    distance = _signed_distance(~inner, spacing)
    np.less(sitk.GetArrayViewFromImage(distance), -radius_mm, out=out[box])  # farther than radius_mm from ~inner
    out[box] &= inner
    return out


def opening(mask: np.ndarray, radius_mm: float, spacing) -> np.ndarray:
    """Opening by a ball of ``radius_mm``: removes parts thinner than about 2 * radius_mm."""
    return dilate(erode(mask, radius_mm, spacing), radius_mm, spacing) & mask


def components(mask: np.ndarray, full_connectivity: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Label connected components (6- or 26-connected in 3D), largest first.

    Returns (labels as int32 (z, y, x), voxel counts per label with counts[0] = background).
    """
    image = sitk.ConnectedComponent(sitk.GetImageFromArray(mask.view(np.uint8) if mask.dtype == bool else
                                                           mask.astype(np.uint8)), full_connectivity)
    # uint32 labels (fewer than 2**31 of them) reinterpreted as int32 without a copy
    labels = sitk.GetArrayFromImage(sitk.RelabelComponent(image, sortByObjectSize=True)).view(np.int32)
    return labels, np.bincount(labels.ravel())


def _labels(mask: np.ndarray, full_connectivity: bool) -> tuple[np.ndarray, np.ndarray]:
    """Connected components in scan order (SciPy; no sorting): (int32 labels, voxel counts, [0] = background)."""
    structure = ndi.generate_binary_structure(3, 3 if full_connectivity else 1)
    labels, _ = ndi.label(mask, structure=structure)
    return labels, np.bincount(labels.ravel())


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 6-connected component of ``mask`` (empty mask stays empty)."""
    labels, counts = _labels(mask, full_connectivity=False)
    if len(counts) < 2:
        return np.zeros_like(mask, dtype=bool)
    counts[0] = 0
    return labels == int(np.argmax(counts))


def remove_small(mask: np.ndarray, min_volume_mm3: float, spacing) -> np.ndarray:
    """Drop 26-connected components smaller than ``min_volume_mm3`` (mm³)."""
    labels, counts = _labels(mask, full_connectivity=True)
    keep = counts * float(np.prod(spacing)) >= min_volume_mm3
    keep[0] = False
    return keep[labels]


_PLANE = np.zeros((3, 3, 3), dtype=bool)  # in-plane 4-connectivity
_PLANE[1] = [[0, 1, 0], [1, 1, 1], [0, 1, 0]]


def fill_holes_2d(mask: np.ndarray) -> np.ndarray:
    """Fill holes slice by slice (axial planes): background not connected to the slice border."""
    background, n = ndi.label(~mask, structure=_PLANE)
    outside = np.zeros(n + 1, dtype=bool)
    for edge in (background[:, 0, :], background[:, -1, :], background[:, :, 0], background[:, :, -1]):
        outside[edge] = True
    outside[0] = True  # label 0 is the mask itself
    return mask | ~outside[background]
