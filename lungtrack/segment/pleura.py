"""Keeping dense lesions that lie against the chest wall inside the lung.

Consolidation (about -100 to +60 HU) is as dense as the chest wall, so a threshold cuts it out of
the lung where it touches the ribs (the typical dorsal-basal pattern of COVID-19 pneumonia). Three
kinds of candidates are filled back, all only on the wall side of the lung (beyond its outermost
voxel along the ray from the body's centre, or behind its rearmost voxel; never towards the
mediastinum, the heart or the liver dome, which lie on the inner side of the lung):

- notches: a lesion bites into the lung from the wall, and on an axial slice the lung's outline,
  convex along the ribs elsewhere, has a concave notch there (the voxels of the lung's convex hull
  that are not lung);
- gaps by ray: along each ray (angle bin) the chest wall thickness is the distance from the
  outermost lung voxel to the skin; it changes slowly from head to feet, so a grey opening along z
  with a window longer than a lesion gives the wall of the neighbouring healthy slices, and where
  the measured distance exceeds it the voxels up to the estimated inner wall are candidates. Rays
  without lung between two rays of the same lung (a lesion filling the posterior recess) are
  bridged. Beyond the measured slices each ray keeps its end value, so that a lung base pulling
  away from the lateral wall above a domed diaphragm stays outside the lung.
- gaps behind the lung: the same measure along parallel rays towards the back (one per column x,
  from the body's centre row to the skin of the back). In the paravertebral gutter and on the
  posterior slope of the diaphragm, rays from the body's centre run obliquely and meet lung again
  beyond a lesion; straight back, the lesion lies behind the lung's rearmost voxel.

Healthy anatomy leaves only thin candidates (rib indentations, pleura, extrapleural fat, the
paravertebral gutter, breasts and a thick wall shift the skin, not the inner wall), so of all
kinds only pieces thicker than ``min_depth_mm`` and larger than ``min_volume_ml`` are lung. The
pieces found behind the lung then grow through the soft tissue inside the lung's axial outline:
the parts of a paravertebral mass that have lung behind them too.
Not recovered (documented limits): a consolidation filling a whole lobe's wall side over more than
the z window, and the parts of a mass in the paravertebral corner or on the diaphragm that have
lung behind them along both kinds of rays, or that sit at the lowest slices of their column.

Arrays are (z, y, x) in canonical LPS orientation (z = 0 at the feet), HU, spacing (z, y, x) mm.
"""

from functools import partial

import numpy as np
from scipy import ndimage as ndi
from lungtrack.segment.hull import convex_hull_2d
from lungtrack.segment.distance import fast_is_exact
from lungtrack.segment.morphology import erode, opening, remove_small
from lungtrack.segment.parallel import thread_map

ANGLE_BINS = 180


def _offsets(box, centre, pixel_mm):
    """Offsets (mm, float64) from ``centre`` (y, x pixels of the whole slice) of the rows, as a
    column (h, 1), and of the columns, as a row (1, w), of the (y, x) ``box`` (slices) of a slice."""
    dy = (np.arange(box[0].start, box[0].stop, dtype=np.float32) - centre[0]) * pixel_mm[0]
    dx = (np.arange(box[1].start, box[1].stop, dtype=np.float32) - centre[1]) * pixel_mm[1]
    return dy[:, None], dx[None, :]


def _rays(dy, dx, bins):
    """(radius (mm, float64), angle bin) of every pixel of a box, from its :func:`_offsets` and bins."""
    return np.hypot(dy, dx), bins


def _angle_bins(dy, dx):
    """Angle bin (int16, 0 .. ANGLE_BINS - 1) of every pixel of a box, from its :func:`_offsets`."""
    angle = np.arctan2(dy, dx)
    return (((angle + np.pi) / (2 * np.pi) * ANGLE_BINS).astype(np.int32) % ANGLE_BINS).astype(np.int16)


def _box2d(mask2d: np.ndarray) -> tuple:
    """(y, x) slices of the bounding box of a non-empty (y, x) mask."""
    rows, cols = np.flatnonzero(mask2d.any(axis=1)), np.flatnonzero(mask2d.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _radial_range(radius, bins, mask):
    """(smallest, largest) radius (mm) of ``mask`` pixels per angle bin, NaN where there are none."""
    lo = np.full(ANGLE_BINS, np.inf)
    hi = np.full(ANGLE_BINS, -np.inf)
    labels, values = bins[mask], radius[mask]
    np.minimum.at(lo, labels, values)
    np.maximum.at(hi, labels, values)
    absent = lo > hi
    lo[absent] = hi[absent] = np.nan
    return lo.astype(np.float32), hi.astype(np.float32)


def _bridge(present: np.ndarray, own: np.ndarray, values: np.ndarray, max_bins: int) -> np.ndarray:
    """``values`` interpolated over circular runs of absent bins (``~present``) no longer than
    ``max_bins`` whose neighbouring bins on both sides are ``own`` (NaN elsewhere)."""
    n = present.size
    out = np.full(n, np.nan, dtype=np.float32)
    if max_bins < 1 or present.all() or not present.any():
        return out
    shift = int(np.argmax(present))  # rotate so that bin 0 is present
    p, o, v = np.roll(present, -shift), np.roll(own, -shift), np.roll(values, -shift)
    edges = np.flatnonzero(np.diff(p.astype(np.int8)))  # run of absent bins: edges[k] + 1 .. edges[k + 1]
    starts, stops = edges[::2] + 1, np.r_[edges[1::2] + 1, n][: len(edges[::2])]
    for start, stop in zip(starts, stops):
        after = stop % n
        if stop - start <= max_bins and o[start - 1] and o[after]:
            t = (np.arange(start, stop) - (start - 1)) / (stop - (start - 1))
            out[(np.arange(start, stop) + shift) % n] = (1 - t) * v[start - 1] + t * v[after]
    return out


def wall_profile(thickness: np.ndarray, spacing, window_mm: float) -> np.ndarray:
    """Healthy chest wall thickness (mm) per (z, angle bin) from measured ``thickness`` (NaN = no lung).

    Grey opening along z with a window of ``window_mm`` (mm), 3 angle bins wide. Each angle's
    profile is extended beyond its measured slices with its end values: the wall really thickens
    towards the apex, and towards the base the lung may pull away from the lateral wall above the
    diaphragm dome, which the opening must both keep (extending the base with its thinnest value
    instead turns the soft tissue of a domed diaphragm into "lesion", 250-330 mL per scan).
    """
    n = max(int(round(window_mm / spacing[0])) | 1, 1)
    extended = np.full((thickness.shape[0] + 2 * n, thickness.shape[1]), np.nan, dtype=np.float32)
    for b in range(thickness.shape[1]):
        defined = np.flatnonzero(~np.isnan(thickness[:, b]))
        if defined.size:
            low, high = defined[0], defined[-1]
            extended[n + low : n + high + 1, b] = thickness[low : high + 1, b]
            extended[: n + low, b] = thickness[low, b]
            extended[n + high + 1 :, b] = thickness[high, b]
    undefined = np.isnan(extended)
    eroded = ndi.minimum_filter(np.where(undefined, np.inf, extended), size=(n, 3), mode="wrap")
    eroded[undefined] = -np.inf
    return ndi.maximum_filter(eroded, size=(n, 3), mode="wrap")[n:-n]


def _per_slice(one_slice, lungs: list, body: np.ndarray) -> dict:
    """{z: one_slice(z)} for the axial slices with lung and body, computed on threads."""
    slices = [z for z in np.flatnonzero(np.any([m.any(axis=(1, 2)) for m in lungs], axis=0)) if body[z].any()]
    return dict(zip(slices, thread_map(one_slice, slices)))


def ray_geometry(lungs: list, body: np.ndarray, spacing) -> dict:
    """Per axial slice with lung: (the body's (y, x) bounding box on that slice, a function giving
    the radius (mm) and angle bin of every pixel of that box around the body's centre, the skin
    radius per bin, (smallest, largest) radius of each lung per bin, outermost lung radius per
    bin); the rays both kinds of candidates are measured along. The lungs lie inside the body, so
    nothing of them is outside the box. Each slice's angle bins (the arctangent, the costly part)
    are computed once and kept (int16: 2 bytes per pixel of the boxes), its radii (float64) again
    where they are used, from the rows' and columns' offsets (not kept: 8 bytes per pixel)."""

    def one_slice(z):
        box = _box2d(body[z])
        dy, dx = _offsets(box, ndi.center_of_mass(body[z]), spacing[1:])
        rays = partial(_rays, dy, dx, _angle_bins(dy, dx))
        radius, bins = rays()
        ranges = [_radial_range(radius, bins, m[z][box]) for m in lungs]
        outer = np.fmax.reduce([hi for _, hi in ranges])
        return box, rays, _radial_range(radius, bins, body[z][box])[1], ranges, outer

    return _per_slice(one_slice, lungs, body)


def column_geometry(lungs: list, body: np.ndarray, spacing) -> dict:
    """Per axial slice with lung, the parallel rays towards the back, in the layout of
    :func:`ray_geometry`: one bin per column x, radius (mm) = distance behind the body's centre row
    (pixels in front of it are left out), the skin of the back per column, (foremost, rearmost)
    radius of each lung per column behind that row, the rearmost over both lungs."""
    y = np.arange(body.shape[1], dtype=np.float32)[:, None]
    bins = np.broadcast_to(np.arange(body.shape[2], dtype=np.int32), body.shape[1:])
    whole = slice(0, body.shape[1]), slice(0, body.shape[2])

    def one_slice(z):
        centre = ndi.center_of_mass(body[z])[0]
        radius = np.broadcast_to((y - centre) * spacing[1], body.shape[1:])
        first = int(np.floor(centre)) + 1  # the first row behind the centre
        ranges = [_column_range(m[z, first:], first, centre, spacing[1]) for m in lungs]
        outer = np.fmax.reduce([hi for _, hi in ranges])
        return (whole, partial(tuple, (radius, bins)),
                _column_range(body[z, first:], first, centre, spacing[1])[1], ranges, outer)

    return _per_slice(one_slice, lungs, body)


def _column_range(rows: np.ndarray, first: int, centre: float, pixel_mm: float):
    """(smallest, largest) radius (mm behind row ``centre``) of the pixels of each column of
    ``rows`` (the (y, x) rows from row ``first`` on), NaN in columns without any."""
    present = rows.any(axis=0)
    top = first + rows.argmax(axis=0)
    bottom = first + rows.shape[0] - 1 - rows[::-1].argmax(axis=0)
    lo = np.where(present, (top - centre) * pixel_mm, np.nan).astype(np.float32)
    hi = np.where(present, (bottom - centre) * pixel_mm, np.nan).astype(np.float32)
    return lo, hi


def radial_fill(lungs: list, body: np.ndarray, hu: np.ndarray, geometry: dict, spacing, window_mm: float,
                min_gap_mm: float, max_depth_mm: float, max_bridge_deg: float, max_hu: float,
                min_reach: float = 0.0) -> list:
    """Wall lesions found by the chest wall thickness along rays (module doc): copies of ``lungs``
    with, per bin (ray), the voxels between the outermost lung voxel and the estimated inner wall
    added where the gap is at least ``min_gap_mm`` and at most ``max_depth_mm`` (mm), below
    ``max_hu`` (HU), on rays where that outermost voxel lies at least ``min_reach`` (0-1) of the
    way to the skin (nearer the body's centre the ray leaves the lung at its mediastinal edge, and
    the anterior mediastinum and the retrosternal fat thicken from slice to slice without any
    lesion); runs of rays without lung up to ``max_bridge_deg`` (degrees of the bins' full turn)
    between rays of the same lung are bridged. ``window_mm`` (mm) must exceed the lesions'
    craniocaudal size; ``geometry`` from :func:`ray_geometry` or :func:`column_geometry`."""
    out = [m.copy() for m in lungs]
    if not geometry:
        return out
    n_bins = len(next(iter(geometry.values()))[4])
    thickness = np.full((hu.shape[0], n_bins), np.nan, dtype=np.float32)
    for z, (_, _, r_skin, _, outer) in geometry.items():
        thickness[z] = r_skin - outer
    wall = wall_profile(thickness, spacing, window_mm)
    wall[~np.isfinite(wall)] = np.nan  # no lung at this angle within the window: wall unknown
    max_bins = int(max_bridge_deg / 360 * n_bins)

    def one_slice(z):  # writes slice z of ``out`` only
        box, rays, r_skin, ranges, outer = geometry[z]
        inner_wall = r_skin - wall[z]  # NaN where the wall is unknown: nothing is added there
        present = ~np.isnan(outer)
        radius = None
        for (lo, hi), result in zip(ranges, out):
            own = hi == outer  # this lung is the outermost along the ray
            gap = thickness[z] - wall[z]
            start = np.where(own & (gap >= min_gap_mm) & (hi >= min_reach * r_skin), hi, np.nan)
            start = np.fmin(start, _bridge(present, own, lo, max_bins))
            start[~(inner_wall - start <= max_depth_mm)] = np.nan  # deeper: anatomy, not a lesion
            if np.isnan(start).all():
                continue
            if radius is None:
                radius, bins = rays()
            add = (radius > start[bins]) & (radius <= inner_wall[bins]) & body[z][box] & (hu[z][box] < max_hu)
            result[z][box] |= add

    thread_map(one_slice, geometry)
    return out


def wall_notches(lung2d: np.ndarray, body2d: np.ndarray, hu2d: np.ndarray, rays, outer: np.ndarray, max_hu: float,
                 max_depth_mm: float, min_reach: float) -> np.ndarray:
    """Concave notches of one lung's (y, x) cross-section on its wall side (module doc).

    ``rays``: (radius mm, angle bin) of every pixel and the skin radius per bin (see
    :func:`ray_geometry`); ``outer``: the lung's largest radius per bin (mm, NaN without lung).
    Returns the boolean (y, x) candidates: in the lung's convex hull, not lung, inside the body,
    below ``max_hu`` (HU), beyond the lung's outermost pixel along the ray from the body's centre
    and at most ``max_depth_mm`` (mm) beyond it, on rays where that outermost pixel lies at least
    ``min_reach`` of the way to the skin (rays that meet only a medial tip of the lung cross the
    mediastinum beyond it, not the chest wall).
    """
    notches = np.zeros_like(lung2d)
    if lung2d.sum() < 3:
        return notches
    radius, bins, r_skin = rays
    box = _box2d(lung2d)  # the hull, and so every notch, lies in the lung's bounding box
    outer = np.where(outer >= min_reach * r_skin, outer, np.nan)[bins[box]]
    beyond = (radius[box] > outer) & (radius[box] <= outer + max_depth_mm)  # False where the ray has no lung (NaN)
    notches[box] = convex_hull_2d(lung2d[box]) & ~lung2d[box] & body2d[box] & (hu2d[box] < max_hu) & beyond
    return notches


def grow_in_outline(lung: np.ndarray, seed: np.ndarray, free: np.ndarray, spacing, grow_mm: float) -> np.ndarray:
    """``seed`` (z, y, x) grown in-plane by up to ``grow_mm`` (mm) through the ``free`` pixels that lie
    inside the convex hull of ``lung`` on each slice (the lung's outline with the seed in it);
    returns the grown mask (the seed included)."""
    out = seed.copy()
    steps = max(round(grow_mm / min(spacing[1:])), 1)
    for z in np.flatnonzero(seed.any(axis=(1, 2))):
        box = _box2d(lung[z])
        domain = convex_hull_2d(lung[z][box]) & free[z][box] | seed[z][box]
        out[z][box] = ndi.binary_dilation(seed[z][box], iterations=steps, mask=domain)
    return out


def _thick_pieces(mask: np.ndarray, min_depth_mm: float, min_volume_ml: float, spacing) -> np.ndarray:
    """The 26-connected pieces of ``mask`` that hold a ball of ``min_depth_mm`` (mm) somewhere and
    measure at least ``min_volume_ml`` (mL), kept whole (their thin edges with them).

    A piece holds such a ball where it has a voxel of the opening, and so of the erosion, which
    the opening holds: every voxel of the opening lies within the radius of a voxel of the
    erosion, whose ball is in the piece, a ball that the lattice path to its centre (each step
    nearer along one axis) never leaves. That takes distances thresholded without rounding
    (``distance.fast_is_exact``, asked for the whole volume's shape and so for any box in it);
    elsewhere the opening itself is the test.
    """
    if fast_is_exact(min_depth_mm, spacing, mask.shape):
        thick = erode(mask, min_depth_mm, spacing)
    else:
        thick = opening(mask, min_depth_mm, spacing)
    return remove_small(mask, min_volume_ml * 1000.0, spacing, touching=thick)


def fill_wall_lesions(
    lungs: list,
    body: np.ndarray,
    hu: np.ndarray,
    spacing,
    window_mm: float = 60.0,
    min_gap_mm: float = 3.0,
    min_depth_mm: float = 4.0,
    max_depth_mm: float = 60.0,
    max_bridge_deg: float = 60.0,
    min_volume_ml: float = 1.0,
    max_hu: float = 150.0,
    min_reach: float = 0.5,
    gap_reach: float = 0.4,
    back_reach: float = 0.2,
    grow_mm: float = 25.0,
) -> list:
    """Return copies of ``lungs`` (list of (z, y, x) boolean masks) with wall lesions added (module doc).

    Candidates are the lung's concave notches on its wall side (:func:`wall_notches`) and the
    gaps to the chest wall that the neighbouring slices do not have (:func:`radial_fill`, with
    ``window_mm``, ``min_gap_mm``, ``max_bridge_deg`` and ``gap_reach``), and the same gaps along
    parallel rays straight back (:func:`column_geometry`, not bridged, on columns where the lung
    reaches ``back_reach`` (0-1) of the way from the body's centre row to the skin of the back).
    Of all, only pieces that hold a ball of ``min_depth_mm`` (mm; thinner is the rib indentation,
    pleura or extrapleural fat along a healthy lung) and measure at least ``min_volume_ml`` (mL)
    are added. The pieces found behind the lung then grow by up to ``grow_mm`` (mm) through soft
    tissue inside the lung's outline on each slice (:func:`grow_in_outline`): a mass in the
    paravertebral gutter or on the posterior diaphragm has lung in front of it and beside it, and
    its parts with lung behind them too are in no ray's gap. ``max_depth_mm`` (mm):
    deeper gaps are anatomy; ``max_hu`` (HU): denser voxels (bone, contrast) are never lung;
    ``min_reach`` (0-1): see :func:`wall_notches`.
    """
    geometry = ray_geometry(lungs, body, spacing)
    radial = radial_fill(lungs, body, hu, geometry, spacing, window_mm, min_gap_mm, max_depth_mm, max_bridge_deg,
                         max_hu, gap_reach)
    back = radial_fill(lungs, body, hu, column_geometry(lungs, body, spacing), spacing, window_mm, min_gap_mm,
                       max_depth_mm, 0.0, max_hu, back_reach)
    # In place throughout (peak memory, and no fresh pages): for booleans, a > b is a & ~b.
    free = np.less(hu, max_hu)  # soft tissue of the body outside the lungs
    free &= body
    for lung in lungs:
        np.greater(free, lung, out=free)
    added = radial  # candidates of each lung, in place of its radial copy
    for candidates, behind, lung in zip(added, back, lungs):
        candidates |= behind
        np.greater(candidates, lung, out=candidates)

    def notches(z):  # writes slice z of ``added`` only
        box, rays, r_skin, ranges, _ = geometry[z]
        radius, bins = rays()
        for k, lung in enumerate(lungs):
            added[k][z][box] |= wall_notches(lung[z][box], body[z][box], hu[z][box], (radius, bins, r_skin),
                                             ranges[k][1], max_hu, max_depth_mm, min_reach)

    thread_map(notches, geometry)
    out = []
    for lung, candidates, behind in zip(lungs, added, back):
        filled = _thick_pieces(candidates, min_depth_mm, min_volume_ml, spacing)
        filled |= lung
        seed = np.logical_and(filled, behind, out=behind)  # ``behind`` is not used after this
        np.greater(seed, lung, out=seed)
        grown = grow_in_outline(filled, seed, free, spacing, grow_mm)
        grown |= filled
        out.append(grown)
    return out
