"""Trachea and main bronchi: air inside the body that belongs to the airways, not to the lungs.

Arrays are (z, y, x) in canonical LPS orientation (z = 0 at the feet), spacing (z, y, x) in mm.
The trachea is found as a round, central air section near the top of the volume and followed
down slice by slice; each airway section must overlap the one above it and stay small. A section
that suddenly becomes much larger than the trachea is lung reached through a thin or emphysematous
wall, so the walk stops there (leak control).
"""

import numpy as np
from scipy import ndimage as ndi

from lungtrack.segment.morphology import dilate

_CONNECT_2D = np.ones((3, 3), dtype=bool)


def _sections(air_slice: np.ndarray):
    """8-connected air sections of one axial slice: (labels, areas in pixels with [0] = 0)."""
    labels, n = ndi.label(air_slice, structure=_CONNECT_2D)
    areas = np.bincount(labels.ravel(), minlength=n + 1)
    areas[0] = 0
    return labels, areas


def find_trachea(
    air: np.ndarray,
    body: np.ndarray,
    spacing,
    min_diameter_mm: float = 6.0,
    max_diameter_mm: float = 32.0,
    central_fraction: float = 0.2,
    search_mm: float = 120.0,
):
    """Locate the trachea in the upper part of the volume.

    ``air`` is the airway-lumen air mask (HU below the airway threshold, inside the body).
    Searches the top ``search_mm`` (mm) of the volume, from the top down, for the largest air
    section whose equivalent diameter is between ``min_diameter_mm`` and ``max_diameter_mm`` (mm),
    that is compact (fills at least half of its bounding box) and whose centre lies within
    ``central_fraction`` of the body's width from the body's centre line (left-right).
    Returns (z index, 2D boolean section) or None when no trachea is seen (e.g. the volume starts
    below the carina, or has a single slice).
    """
    pixel_mm2 = spacing[1] * spacing[2]
    min_area = np.pi * (min_diameter_mm / 2) ** 2 / pixel_mm2
    max_area = np.pi * (max_diameter_mm / 2) ** 2 / pixel_mm2
    n_search = max(int(round(search_mm / spacing[0])), 1)
    for z in range(air.shape[0] - 1, max(air.shape[0] - 1 - n_search, -1), -1):
        if not body[z].any():
            continue
        cols = np.flatnonzero(body[z].any(axis=0))
        centre, width = (cols[0] + cols[-1]) / 2, cols[-1] - cols[0] + 1
        labels, areas = _sections(air[z])
        best = None
        for lab, sl in enumerate(ndi.find_objects(labels), start=1):
            if not (min_area <= areas[lab] <= max_area):
                continue
            box_area = (sl[0].stop - sl[0].start) * (sl[1].stop - sl[1].start)
            x_centre = (sl[1].start + sl[1].stop - 1) / 2
            if areas[lab] < 0.5 * box_area or abs(x_centre - centre) > central_fraction * width:
                continue
            if best is None or areas[lab] > areas[best]:
                best = lab
        if best is not None:
            return z, labels == best
    return None


def track_airways(
    air: np.ndarray, body: np.ndarray, spacing, leak_factor: float = 2.5, step_mm: float = 2.0, **find_opts
) -> np.ndarray:
    """Trachea and bronchi as a (z, y, x) mask, followed down from the trachea (see module doc).

    An air section joins the airway when it overlaps the airway of the slice above (dilated by
    ``step_mm`` mm in-plane, for obliquely running bronchi) and its area is at most
    ``leak_factor`` times the trachea's area. ``find_opts`` go to :func:`find_trachea`.
    Returns an empty mask when no trachea is found.
    """
    airway = np.zeros(air.shape, dtype=bool)
    found = find_trachea(air, body, spacing, **find_opts)
    if found is None:
        return airway
    z0, section = found
    airway[z0] = section
    max_area = leak_factor * section.sum()
    for direction in (1, -1):  # up to the top of the volume, then down towards the lungs
        previous = section
        z = z0 + direction
        while 0 <= z < air.shape[0] and previous.any():
            near = dilate(previous[None], step_mm, (1.0,) + tuple(spacing[1:]))[0]
            labels, areas = _sections(air[z] & body[z])
            hits = np.unique(labels[near & (labels > 0)])
            hits = hits[areas[hits] <= max_area]
            previous = np.isin(labels, hits) & (labels > 0)
            airway[z] |= previous
            z += direction
    return airway
