"""Lesions as connected components, matched across consecutive scans, and their events.

A lesion is a 26-connected component of the lesion mask (GGO and consolidation together).
Two lesions of consecutive scans match when, both moved into the baseline scan's space, they
overlap by at least ``min_overlap`` of the smaller one. From the matches each lesion of the later
scan gets an event: ``new`` (no match), ``merged`` (several earlier lesions), ``split`` (one of
several parts of an earlier lesion), else ``grown``, ``shrunk`` or ``stable`` by its volume
change; an earlier lesion without match is ``resolved``.
"""

import math
from itertools import count

import numpy as np
import SimpleITK as sitk

from lungtrack.io.images import voxel_volume_ml
from lungtrack.labels import LUNGS
from lungtrack.measure.regions import lung_extents, zone_of
from lungtrack.settings import default
from lungtrack.track.label_warp import nonzero_box


def find_components(lesions: sitk.Image, min_ml: float) -> sitk.Image:
    """Connected lesion components (labels 1..n, largest first) of at least ``min_ml`` mL.

    The labels are of the smallest unsigned type that holds n (UInt8 up to 255 components). They
    are found on the lesions' bounding box, whose scan order is the whole volume's: the same labels.
    """
    box = nonzero_box(sitk.GetArrayViewFromImage(lesions))
    if box is None:
        return _blank(lesions, sitk.sitkUInt8)
    start = [int(v) for v in box[0]]
    part = sitk.RegionOfInterest(lesions, [int(b - a) + 1 for a, b in zip(*box, strict=True)], start)
    relabel = sitk.RelabelComponentImageFilter()
    relabel.SetMinimumObjectSize(max(1, math.ceil(min_ml / voxel_volume_ml(lesions))))
    relabel.SetSortByObjectSize(True)
    part = relabel.Execute(sitk.ConnectedComponent(part > 0, True))
    n = relabel.GetNumberOfObjects()
    pixel = sitk.sitkUInt8 if n < 2**8 else sitk.sitkUInt16 if n < 2**16 else sitk.sitkUInt32
    return sitk.Paste(_blank(lesions, pixel), sitk.Cast(part, pixel), part.GetSize(), [0, 0, 0], start)


def _blank(grid: sitk.Image, pixel: int) -> sitk.Image:
    """An image of zeros of type ``pixel`` on ``grid``'s grid."""
    blank = sitk.Image(grid.GetSize(), pixel)
    blank.CopyInformation(grid)
    return blank


def nonzero_voxels(array: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """((z, y, x) indices, flat indices) of the non-zero voxels of a (z, y, x) array, in (z, y, x) order.

    ``np.nonzero`` and ``np.flatnonzero``, but scanning only the bounding box of the non-zero voxels,
    whose scan order is the whole array's.
    """
    box = nonzero_box(array)
    if box is None:
        return np.nonzero(array), np.flatnonzero(array)
    first, last = (b[::-1].astype(int) for b in box)  # (z, y, x)
    found = np.nonzero(array[tuple(slice(a, b + 1) for a, b in zip(first, last, strict=True))])
    index = tuple(i + offset for i, offset in zip(found, first, strict=True))
    return index, np.ravel_multi_index(index, array.shape)


def describe_components(components: np.ndarray, ct: np.ndarray, lungs: np.ndarray, voxel_ml: float) -> list[dict]:
    """Volume (mL), mean HU, lung and zone of each component.

    Arrays (z, y, x) in canonical orientation (see :mod:`lungtrack.measure.regions`); ``components``
    labels 1..n. Lung and zone are those of the lung label under most of the lesion and of its
    centroid; a lesion outside both lungs has lung ``outside``.
    """
    n = int(components.max(initial=0))
    if n == 0:
        return []
    # One pass over the lesion voxels (flat indices in (z, y, x) order, so each label's sums add up in
    # the same order as over the whole volume): counts, HU sums, z and y sums, lung label votes.
    (z, y, _), where = nonzero_voxels(components)
    labels = components.ravel()[where]
    voxels = np.bincount(labels, minlength=n + 1)
    mean_hu = np.bincount(labels, weights=ct.ravel()[where], minlength=n + 1) / voxels.clip(1)
    centroids = [np.bincount(labels, weights=axis, minlength=n + 1) / voxels.clip(1) for axis in (z, y)]
    lung_votes = np.bincount(labels.astype(np.int64) * 3 + lungs.ravel()[where].clip(0, 2), minlength=(n + 1) * 3)
    lung_votes = lung_votes.reshape(n + 1, 3)
    extents = lung_extents(lungs)
    out = []
    for label in range(1, n + 1):
        votes = lung_votes[label].copy()
        votes[0] = 0
        lung_label = int(votes.argmax()) if votes.any() else 0
        if lung_label in extents:
            third, half = zone_of(lung_label, centroids[0][label], centroids[1][label], extents)
            lung, zone = LUNGS[lung_label], f"{third}, {half}"
        else:
            lung, zone = "outside", ""
        out.append({"label": label, "volume_ml": float(voxels[label]) * voxel_ml, "mean_hu": float(mean_hu[label]),
                    "lung": lung, "zone": zone})
    return out


def overlaps(earlier: np.ndarray, later: np.ndarray) -> dict[tuple[int, int], int]:
    """Voxels shared by each pair (earlier label, later label) of two label arrays on one grid."""
    where = np.flatnonzero(earlier)
    after = later.ravel()[where]
    both = after > 0
    width = int(later.max(initial=0)) + 1
    pairs = earlier.ravel()[where][both].astype(np.int64) * width + after[both]
    codes, counts = np.unique(pairs, return_counts=True)
    return {(int(c // width), int(c % width)): int(k) for c, k in zip(codes, counts, strict=True)}


def match(earlier: np.ndarray, later: np.ndarray,
          min_overlap: float = default("tracking", "min_lesion_overlap")) -> list[tuple[int, int]]:
    """Pairs (earlier label, later label) overlapping by at least ``min_overlap`` of the smaller lesion.

    Both label arrays lie on the same grid (the baseline scan's, after registration).
    """
    size_a = np.bincount(earlier[earlier > 0])
    size_b = np.bincount(later[later > 0])
    return sorted((a, b) for (a, b), shared in overlaps(earlier, later).items()
                  if shared >= min_overlap * min(size_a[a], size_b[b]))


def interval_events(earlier_ids: dict[int, str], earlier_ml: dict[int, float], later_ml: dict[int, float],
                    links: list[tuple[int, int]], new_id,
                    growth_pct: float = default("tracking", "lesion_growth_pct")):
    """Events of one interval.

    ``earlier_ids``: lesion id of each earlier label; ``earlier_ml``/``later_ml``: volume (mL) of
    each label; ``links``: matched (earlier, later) label pairs; ``new_id()``: the next unused id.
    Returns ``(later_ids, events, resolved)``: the lesion id of each later label, ``{later label:
    (event, related ids)}`` and the earlier labels without match.
    A merged lesion keeps the id of its largest parent; of a split lesion's parts, the largest
    keeps the parent's id and the others get new ids.
    """
    parents = {b: sorted((a for a, bb in links if bb == b), key=lambda a: -earlier_ml[a]) for b in later_ml}
    children = {a: sorted((b for aa, b in links if aa == a), key=lambda b: -later_ml[b]) for a in earlier_ml}
    later_ids, taken = {}, set()
    for b in sorted(later_ml, key=lambda b: -later_ml[b]):
        heir = parents[b] and (len(parents[b]) > 1 or children[parents[b][0]][0] == b)
        lesion_id = earlier_ids[parents[b][0]] if heir else None
        if lesion_id is None or lesion_id in taken:
            lesion_id = new_id()
        later_ids[b] = lesion_id
        taken.add(lesion_id)
    events = {}
    for b, ps in parents.items():
        if not ps:
            events[b] = ("new", [])
        elif len(ps) > 1:
            events[b] = ("merged", [earlier_ids[a] for a in ps if earlier_ids[a] != later_ids[b]])
        elif len(children[ps[0]]) > 1:
            related = [earlier_ids[ps[0]]] + [later_ids[s] for s in children[ps[0]] if s != b]
            events[b] = ("split", [r for r in dict.fromkeys(related) if r != later_ids[b]])
        else:
            change = (later_ml[b] - earlier_ml[ps[0]]) / earlier_ml[ps[0]] * 100.0
            event = "grown" if change >= growth_pct else "shrunk" if change <= -growth_pct else "stable"
            events[b] = (event, [])
    resolved = [a for a in earlier_ml if not children[a]]
    return later_ids, events, resolved


def lesion_ids():
    """A fresh source of lesion ids ``L1``, ``L2``, …"""
    numbers = count(1)
    return lambda: f"L{next(numbers)}"
