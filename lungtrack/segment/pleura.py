"""Keeping dense lesions that lie against the chest wall or the diaphragm inside the lung.

Consolidation (about -100 to +60 HU) is as dense as the chest wall, so a threshold cuts it out of
the lung where it touches the ribs (the typical dorsal-basal pattern of COVID-19 pneumonia); it
may remove a whole convex cap of the lung, which no hull or closing of the lung shape restores.
The chest wall, however, has a thickness that changes slowly from head to feet. Per axial slice,
rays leave the body's centre; along each ray (angle bin) the wall thickness is the distance from
the outermost lung voxel to the skin. A lesion against the wall makes that distance jump up over a
limited height, so a grey opening along z (per angle) with a window longer than a lesion recovers
the wall thickness of the neighbouring healthy slices; where the measured distance exceeds it, the
voxels between the aerated lung and the estimated inner wall surface are lung. Towards the apex
the profile is extended with its top value (the wall really thickens there, the opening keeps it);
below the base with the thinnest value near the base (the lung reaches the wall in the
costophrenic recess, so a thicker reading there is a lesion on the diaphragm, which is removed).
Rays that meet no lung at all between two rays of the same lung (a lesion filling the whole depth
of the posterior recess) are bridged. Rays towards the mediastinum, the heart or the diaphragm's
dome meet the lung from the inside and are never filled: only the part beyond the outermost lung
voxel, up to the estimated wall, is considered, and never deeper than a lesion could be.

Arrays are (z, y, x) in canonical LPS orientation (z = 0 at the feet), HU, spacing (z, y, x) mm.
"""

import numpy as np
from scipy import ndimage as ndi

ANGLE_BINS = 180


def _polar(shape2d, centre, pixel_mm):
    """Radius (mm) and angle bin of every pixel of a (y, x) slice around ``centre`` (y, x)."""
    yy, xx = np.indices(shape2d, dtype=np.float32)
    dy, dx = (yy - centre[0]) * pixel_mm[0], (xx - centre[1]) * pixel_mm[1]
    angle = np.arctan2(dy, dx)
    bins = ((angle + np.pi) / (2 * np.pi) * ANGLE_BINS).astype(np.int32) % ANGLE_BINS
    return np.hypot(dy, dx), bins


def _radial_range(radius, bins, mask):
    """(smallest, largest) radius (mm) of ``mask`` pixels per angle bin, NaN where there are none."""
    lo = np.full(ANGLE_BINS, np.inf, dtype=np.float32)
    hi = np.full(ANGLE_BINS, -np.inf, dtype=np.float32)
    np.minimum.at(lo, bins[mask], radius[mask])
    np.maximum.at(hi, bins[mask], radius[mask])
    absent = np.isinf(hi)
    lo[absent], hi[absent] = np.nan, np.nan
    return lo, hi


def _bridge(present: np.ndarray, own: np.ndarray, values: np.ndarray, max_bins: int) -> np.ndarray:
    """``values`` interpolated over circular runs of absent bins (``~present``) no longer than
    ``max_bins`` whose neighbouring bins on both sides are ``own`` (NaN elsewhere)."""
    out = np.full(ANGLE_BINS, np.nan, dtype=np.float32)
    if present.all() or not present.any():
        return out
    shift = int(np.argmax(present))  # rotate so that bin 0 is present
    p, o, v = np.roll(present, -shift), np.roll(own, -shift), np.roll(values, -shift)
    edges = np.flatnonzero(np.diff(p.astype(np.int8)))  # run of absent bins: edges[k] + 1 .. edges[k + 1]
    starts, stops = edges[::2] + 1, np.r_[edges[1::2] + 1, ANGLE_BINS][: len(edges[::2])]
    for start, stop in zip(starts, stops):
        after = stop % ANGLE_BINS
        if stop - start <= max_bins and o[start - 1] and o[after]:
            t = (np.arange(start, stop) - (start - 1)) / (stop - (start - 1))
            out[(np.arange(start, stop) + shift) % ANGLE_BINS] = (1 - t) * v[start - 1] + t * v[after]
    return out


def wall_profile(thickness: np.ndarray, spacing, window_mm: float) -> np.ndarray:
    """Healthy chest wall thickness (mm) per (z, angle bin) from measured ``thickness`` (NaN = no lung).

    Grey opening along z with a window of ``window_mm`` (mm), 3 angle bins wide. Each angle's
    profile is extended beyond its measured slices: upwards with its top value (the wall really
    thickens towards the apex, which the opening must keep), downwards with the smallest value of
    its lowest window (at the base the lung reaches down to the wall in the costophrenic recess,
    so a thicker reading there is a lesion on the diaphragm, which the opening must remove).
    """
    n = max(int(round(window_mm / spacing[0])) | 1, 1)
    extended = np.full((thickness.shape[0] + 2 * n, thickness.shape[1]), np.nan, dtype=np.float32)
    for b in range(thickness.shape[1]):
        defined = np.flatnonzero(~np.isnan(thickness[:, b]))
        if defined.size:
            low, high = defined[0], defined[-1]
            extended[n + low : n + high + 1, b] = thickness[low : high + 1, b]
            extended[: n + low, b] = np.nanmin(thickness[low : low + n, b])
            extended[n + high + 1 :, b] = thickness[high, b]
    undefined = np.isnan(extended)
    eroded = ndi.minimum_filter(np.where(undefined, np.inf, extended), size=(n, 3), mode="wrap")
    eroded[undefined] = -np.inf
    return ndi.maximum_filter(eroded, size=(n, 3), mode="wrap")[n:-n]


def fill_wall_lesions(
    lungs: list,
    body: np.ndarray,
    hu: np.ndarray,
    spacing,
    window_mm: float = 100.0,
    min_gap_mm: float = 3.0,
    max_depth_mm: float = 60.0,
    max_bridge_deg: float = 60.0,
    max_hu: float = 150.0,
    consistency_mm: float = 5.0,
) -> list:
    """Return copies of ``lungs`` (list of (z, y, x) boolean masks) with wall lesions added (module doc).

    Along an angle bin the voxels between the outermost lung voxel and the estimated inner wall
    surface are added to that lung when the gap is at least ``min_gap_mm`` (mm) and at most
    ``max_depth_mm`` (mm; a deeper gap is anatomy, e.g. the neck above a lung apex or a trachea
    mistaken for lung), voxels below ``max_hu`` (HU) only (bone is never lung).
    Rays that meet no lung at all, in a run of at most ``max_bridge_deg`` (degrees) between two
    rays of the same lung (a lesion filling the lung's whole depth, e.g. in the posterior
    costophrenic recess), are filled from the lung's inner radius interpolated between those two
    rays out to the wall. ``window_mm`` (mm) must exceed the craniocaudal size of the lesions.
    Gaps along z up to twice ``consistency_mm`` (mm, at least one slice) are then closed.
    """
    pixel = spacing[1:]
    out = [m.copy() for m in lungs]
    slices = np.flatnonzero(np.any([m.any(axis=(1, 2)) for m in lungs], axis=0))
    thickness = np.full((hu.shape[0], ANGLE_BINS), np.nan, dtype=np.float32)
    geometry = {}
    for z in slices:
        radius, bins = _polar(body.shape[1:], ndi.center_of_mass(body[z]), pixel)
        r_skin = _radial_range(radius, bins, body[z])[1]
        ranges = [_radial_range(radius, bins, m[z]) for m in lungs]
        outer = np.fmax.reduce([hi for _, hi in ranges])
        thickness[z] = r_skin - outer
        geometry[z] = radius, bins, r_skin, ranges, outer
    if not geometry:
        return out
    wall = wall_profile(thickness, spacing, window_mm)
    wall[~np.isfinite(wall)] = np.nan  # no lung at this angle within the window: wall unknown
    max_bins = int(max_bridge_deg / 360 * ANGLE_BINS)
    for z, (radius, bins, r_skin, ranges, outer) in geometry.items():
        inner_wall = r_skin - wall[z]  # NaN where the wall is unknown: nothing is added there
        present = ~np.isnan(outer)
        for (lo, hi), result in zip(ranges, out):
            own = hi == outer  # this lung is the outermost along the ray
            gap = thickness[z] - wall[z]
            start = np.where(own & (gap >= min_gap_mm), hi, np.nan)
            start = np.fmin(start, _bridge(present, own, lo, max_bins))
            start[~(inner_wall - start <= max_depth_mm)] = np.nan  # deeper: anatomy, not a lesion
            add = (radius > start[bins]) & (radius <= inner_wall[bins]) & body[z] & (hu[z] < max_hu)
            result[z] |= add
    # the fill is decided slice by slice: close single-slice gaps between filled slices
    reach = max(1, int(round(consistency_mm / spacing[0])))
    line = np.ones((2 * reach + 1, 1, 1), dtype=bool)
    allowed = body & (hu < max_hu)
    return [m | (ndi.binary_closing(m, line) & allowed) for m in out]
