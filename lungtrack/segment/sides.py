"""Choosing the lung air components and splitting them into right and left lung.

Arrays are (z, y, x) in canonical LPS orientation: x = 0 is the patient's right, so the right
lung has the lower x indices. Spacing is (z, y, x) in mm.
"""

import numpy as np
import SimpleITK as sitk
from skimage.segmentation import watershed

from lungtrack.segment.morphology import bounding_box, components, erode, sorted_labels

JOINED_SHARE = 0.15  # a component with this share of its voxels on each side holds both lungs


def _column_counts(mask: np.ndarray) -> np.ndarray:
    """Voxels of a boolean (z, y, x) ``mask`` per x index (int64): the same integers as
    ``mask.sum(axis=(0, 1))``, summed over z in uint16 (exact below 65536 slices) at a quarter of the cost."""
    per_yx = mask.view(np.uint8).sum(axis=0, dtype=np.uint16 if mask.shape[0] < 2 ** 16 else np.int64)
    return per_yx.sum(axis=0, dtype=np.int64)


def body_midline(body: np.ndarray) -> float:
    """Left-right centre of the body (x index, voxels): mean x of the body voxels."""
    weights = _column_counts(body)
    if not weights.any():
        return (body.shape[2] - 1) / 2
    return float(np.average(np.arange(body.shape[2]), weights=weights))


def _side_fractions(mask: np.ndarray, midline: float, x0: int = 0) -> tuple[float, float]:
    """Fractions of ``mask`` voxels right (x < midline) and left (x >= midline) of the midline;
    ``mask`` may be a crop whose first x index is ``x0`` in the volume."""
    per_x = _column_counts(mask)
    total = max(per_x.sum(), 1)
    right = per_x[: max(int(np.ceil(midline)) - x0, 0)].sum() / total
    return float(right), float(1 - right)


def select_lungs(air: np.ndarray, midline: float, min_share: float = JOINED_SHARE, min_side_ratio: float = 0.03):
    """The lung air among the air components inside the body.

    The largest component is lung. If it lies on both sides of the midline (each side holds at
    least ``min_share`` of it), both lungs are joined in it and it is the only lung component.
    Otherwise the other lung is the largest component on the other side that is at least
    ``min_side_ratio`` of the first and reaches above the middle height of the first: gas in the
    stomach or colon lies below the diaphragm, low in the lung's height range, and is not lung.
    Returns a list of boolean masks (one or two). The components are looked at on the bounding
    box of ``air`` (the same labels, see ``morphology.sorted_labels``).
    """
    if not air.any():
        return []
    image, sizes, box = sorted_labels(air, full_connectivity=False)
    labels = sitk.GetArrayViewFromImage(image)
    z0, x0 = box[0].start, box[2].start

    def full(mask):
        out = np.zeros(air.shape, dtype=bool)
        out[box] = mask
        return out

    first = labels == 1
    right, left = _side_fractions(first, midline, x0)
    if min(right, left) >= min_share:
        return [full(first)]
    zs = np.flatnonzero(first.any(axis=(1, 2)))
    middle_z = (z0 + zs[0] + z0 + zs[-1]) / 2
    first_is_right = right > left
    for lab in range(2, len(sizes) + 1):
        if sizes[lab - 1] < min_side_ratio * sizes[0]:
            break
        candidate = labels == lab
        r, l = _side_fractions(candidate, midline, x0)
        if (l > r) == first_is_right and z0 + np.flatnonzero(candidate.any(axis=(1, 2)))[-1] >= middle_z:
            return [full(first), full(candidate)]
    return [full(first)]


def split_joined(
    lung: np.ndarray, hu: np.ndarray, spacing, midline: float, radii_mm=(2, 4, 6, 9, 12, 16), gap_mm: float = 10.0
):
    """Split one air component holding both lungs into (right, left) boolean masks.

    Seeds: the mask is eroded with growing balls (``radii_mm``, mm) until it falls apart into a
    right and a left piece (each at least 5 % of the larger); if it never does, the parts more
    than ``gap_mm`` (mm) right and left of the body midline are the seeds. The seeds then grow
    back by a watershed on the smoothed HU, so the border follows the denser pleural junction
    line where the lungs touch (anterior or posterior junction), not just the midline.
    """
    markers = np.zeros(lung.shape, dtype=np.int32)
    for radius in radii_mm:
        labels, counts = components(erode(lung, radius, spacing))
        if len(counts) < 3 or counts[2] < 0.05 * counts[1]:
            continue
        xs = [np.average(np.arange(lung.shape[2]), weights=(labels == k).sum(axis=(0, 1))) for k in (1, 2)]
        if (xs[0] - midline) * (xs[1] - midline) < 0:
            right_label = 1 if xs[0] < xs[1] else 2
            markers[labels == right_label] = 1
            markers[labels == 3 - right_label] = 2
            break
    else:
        x = np.arange(lung.shape[2])[None, None, :] * spacing[2]
        markers[lung & (x < midline * spacing[2] - gap_mm)] = 1
        markers[lung & (x > midline * spacing[2] + gap_mm)] = 2
    box = bounding_box(lung, [0, 0, 0])  # nothing outside the mask floods: the lung's box gives the same labels
    labels = watershed(hu[box], markers=markers[box], mask=lung[box])
    right, left = np.zeros(lung.shape, dtype=bool), np.zeros(lung.shape, dtype=bool)
    np.equal(labels, 1, out=right[box])
    np.equal(labels, 2, out=left[box])
    return right, left


def right_left(lungs: list, hu: np.ndarray, spacing, midline: float):
    """(right, left) boolean masks from the selected lung components (see :func:`select_lungs`)."""
    if not lungs:
        empty = np.zeros(hu.shape, dtype=bool)
        return empty, empty.copy()
    if len(lungs) == 1:
        right, left = _side_fractions(lungs[0], midline)
        if min(right, left) >= JOINED_SHARE:
            return split_joined(lungs[0], hu, spacing, midline)
        empty = np.zeros(hu.shape, dtype=bool)
        return (lungs[0], empty) if right > left else (empty, lungs[0])
    a, b = lungs
    return (a, b) if _side_fractions(a, midline)[0] > _side_fractions(b, midline)[0] else (b, a)
