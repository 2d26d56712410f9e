"""Nearest-neighbour warps of label maps, resampled only on the box of the output that can be non-zero.

A label map moved onto a reference grid is zero wherever the transform takes the output voxel
outside the box of the label map's non-zero voxels. That box, pulled back through the transform
(a linear part exactly, a displacement field or B-spline grown by its largest displacement), bounds
the output voxels that can be non-zero; only those are resampled, the rest are zero.

The result is the full resampling's voxel for voxel: ITK takes each output voxel's value from the
input voxel nearest to ``transform(point)``, with ``point`` computed from the output grid. The box
is used only when those points are computed exactly (a direction of 0 and ±1 and an origin and
spacing whose sums are exact doubles, as NIfTI's float32 header gives), so the box's grid gives
the same points; and for a linear transform, which ITK interpolates along whole rows (x), only
y and z are cut. Otherwise, the whole grid is resampled.
"""

from fractions import Fraction
from itertools import product

import numpy as np
import SimpleITK as sitk

from lungtrack.io.images import same_grid

#: Voxels added on each side of the box, for the rounding of its pulled-back corners.
MARGIN_VOXELS = 2


def _exact_grid(a: sitk.Image, b: sitk.Image) -> bool:
    """True when both images have exactly the same size, origin, spacing and direction (no tolerance)."""
    return all(get(a) == get(b) for get in (sitk.Image.GetSize, sitk.Image.GetOrigin, sitk.Image.GetSpacing,
                                            sitk.Image.GetDirection))


def _exact_points(grid: sitk.Image) -> bool:
    """Whether every voxel's physical point (mm) of ``grid`` is an exact double (see the module docstring)."""
    direction = np.reshape(grid.GetDirection(), (3, 3))
    if not np.isin(direction, (-1.0, 0.0, 1.0)).all():
        return False
    for i, k in zip(*np.nonzero(direction), strict=True):
        origin, step = Fraction(grid.GetOrigin()[i]), Fraction(direction[i, k] * grid.GetSpacing()[k])
        if any(Fraction(float(origin + step * n)) != origin + step * n for n in range(grid.GetSize()[k] + 1)):
            return False
    return True


def _pull_back(corners: np.ndarray, transform: sitk.Transform) -> np.ndarray | None:
    """Corners (8, 3) (LPS mm) of a box that holds every point that ``transform`` maps into the box of
    ``corners``; None for a transform of unknown kind."""
    if transform.GetTransformEnum() == sitk.sitkComposite:
        composite = sitk.CompositeTransform(transform)
        for i in range(composite.GetNumberOfTransforms()):  # the first one listed is applied last
            corners = _pull_back(corners, composite.GetNthTransform(i))
            if corners is None:
                return None
        return corners
    kind = transform.GetTransformEnum()
    if kind in (sitk.sitkDisplacementField, sitk.sitkBSplineTransform):
        # Linear or B-spline interpolation of the vectors moves no point further than the largest vector.
        # A field's parameters are its vectors' components: read as an array, not a tuple of millions.
        vectors = (sitk.GetArrayFromImage(sitk.DisplacementFieldTransform(transform).GetDisplacementField())
                   if kind == sitk.sitkDisplacementField else np.array(transform.GetParameters()))
        reach = float(np.abs(vectors).max(initial=0.0))
        low, high = corners.min(axis=0) - reach, corners.max(axis=0) + reach
    elif transform.IsLinear():
        try:
            inverse = transform.GetInverse()
        except RuntimeError:  # a singular linear map
            return None
        moved = np.array([inverse.TransformPoint(tuple(float(v) for v in c)) for c in corners])
        low, high = moved.min(axis=0), moved.max(axis=0)
    else:
        return None
    return np.array(list(product(*zip(low, high, strict=True))))


def _output_box(labels: sitk.Image, nonzero: tuple[np.ndarray, np.ndarray], reference: sitk.Image,
                transform: sitk.Transform) -> tuple[list[int], list[int]] | None:
    """(start, size) index (x, y, z) of the part of ``reference``'s grid where ``labels`` moved by
    ``transform`` can be non-zero; ``nonzero``: (first, last) index (x, y, z) of its non-zero voxels.
    None when the whole grid must be resampled."""
    if not _exact_points(reference):
        return None
    low, high = nonzero[0] - 0.5, nonzero[1] + 0.5  # the voxels' extent, in continuous index
    corners = np.array([labels.TransformContinuousIndexToPhysicalPoint(tuple(float(v) for v in c))
                        for c in product(*zip(low, high, strict=True))])
    corners = _pull_back(corners, transform)
    if corners is None:
        return None
    index = np.array([reference.TransformPhysicalPointToContinuousIndex(tuple(float(v) for v in c))
                      for c in corners])
    size = np.array(reference.GetSize())
    start = np.clip(np.floor(index.min(axis=0)) - MARGIN_VOXELS, 0, size).astype(int)
    stop = np.clip(np.ceil(index.max(axis=0)) + MARGIN_VOXELS + 1, 0, size).astype(int)
    if transform.IsLinear():  # ITK interpolates whole rows: keep x whole
        start[0], stop[0] = 0, size[0]
    return [int(v) for v in start], [int(v) for v in np.maximum(stop - start, 0)]


def nonzero_box(array: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(first, last) index (x, y, z) of the non-zero voxels of a (z, y, x) array; None when all are zero."""
    bounds = []
    for axis in (2, 1, 0):
        hit = np.flatnonzero(array.any(axis=tuple(a for a in range(3) if a != axis)))
        if hit.size == 0:
            return None
        bounds.append((hit[0], hit[-1]))
    first, last = zip(*bounds, strict=True)
    return np.array(first, float), np.array(last, float)


def warp_label_array(labels: sitk.Image, reference: sitk.Image, transform: sitk.Transform) -> np.ndarray:
    """A label map moved onto ``reference``'s grid (nearest neighbour; 0 outside) as a (z, y, x) array.

    The voxels of ``sitk.Resample(labels, reference, transform, sitk.sitkNearestNeighbor, 0)``,
    computed on the box that can be non-zero (see the module docstring). The identity onto the
    label map's own grid returns its voxels as they are.
    """
    if transform.GetTransformEnum() == sitk.sitkIdentity and same_grid(labels, reference):
        return sitk.GetArrayFromImage(labels)
    array = sitk.GetArrayViewFromImage(labels)
    shape = reference.GetSize()[::-1]
    nonzero = nonzero_box(array)
    if nonzero is None:
        return np.zeros(shape, array.dtype)
    box = _output_box(labels, nonzero, reference, transform)
    if box is None:
        return sitk.GetArrayFromImage(sitk.Resample(labels, reference, transform, sitk.sitkNearestNeighbor, 0,
                                                    labels.GetPixelID()))
    start, size = box
    out = np.zeros(shape, array.dtype)
    if min(size) == 0:
        return out
    grid = sitk.Image(size, sitk.sitkUInt8)
    grid.SetSpacing(reference.GetSpacing())
    grid.SetDirection(reference.GetDirection())
    grid.SetOrigin(reference.TransformIndexToPhysicalPoint(start))
    part = sitk.Resample(labels, grid, transform, sitk.sitkNearestNeighbor, 0, labels.GetPixelID())
    (x0, y0, z0), (nx, ny, nz) = start, size
    out[z0:z0 + nz, y0:y0 + ny, x0:x0 + nx] = sitk.GetArrayViewFromImage(part)
    return out


def warp_labels_and_lungs(labels: sitk.Image, lungs: sitk.Image, labels_reference: sitk.Image,
                          lungs_reference: sitk.Image, transform: sitk.Transform) -> tuple[np.ndarray, np.ndarray]:
    """``labels`` and the lung mask ``lungs`` > 0 of one scan moved onto their references' grids by ``transform``.

    Returns ((z, y, x) label array, (z, y, x) bool lung array), equal to :func:`warp_label_array` of
    ``labels`` and of the uint8 mask ``lungs`` > 0. Nearest neighbour takes each output voxel from
    an input voxel chosen by the grids and the transform alone, so when both inputs and both
    references lie on exactly one grid, one resampling of the code ``label * 2 + lung`` moves both.
    """
    if not (_exact_grid(labels, lungs) and _exact_grid(labels_reference, lungs_reference)):
        # Nearest neighbour copies voxel values: the moved lung labels > 0 are the moved mask.
        return (warp_label_array(labels, labels_reference, transform),
                warp_label_array(lungs, lungs_reference, transform) > 0)
    label_array = sitk.GetArrayViewFromImage(labels)
    code_type = np.min_scalar_type(2 * int(label_array.max(initial=0)) + 1)
    code = label_array.astype(code_type)
    code <<= 1
    np.bitwise_or(code, sitk.GetArrayViewFromImage(lungs) > 0, out=code)
    image = sitk.GetImageFromArray(code)
    del code
    image.CopyInformation(labels)
    warped = warp_label_array(image, labels_reference, transform)
    del image
    lung = (warped & 1).astype(bool)
    warped >>= 1
    return warped, lung
