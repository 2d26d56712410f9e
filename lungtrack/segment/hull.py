"""Convex hull of a 2D mask, filled: the same pixels as ``skimage.morphology.convex_hull_image``.

scikit-image takes the hull of the midpoints of every pixel's four edges (pixel (r, c) gives
(r +- 0.5, c) and (r, c +- 0.5)) and keeps the pixel centres inside the hull or on its boundary,
testing every pixel of the image against every hull edge. Here the same hull (the row ends are
its only candidates) is filled row by row in exact integer arithmetic: in doubled coordinates the
hull's vertices are integers, and each row's span runs from the ceiling of its leftmost crossing
with the hull to the floor of its rightmost one, so centres on an edge count, as they do there.
``tests/test_hull.py`` checks the two on random shapes and on the lungs of a phantom CT.
Arrays are (y, x), in pixels.
"""

import numpy as np
from scipy.spatial import ConvexHull

# the four edge midpoints of a pixel, in doubled (y, x) coordinates
_DIAMOND = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)


def _hull_vertices(mask: np.ndarray) -> np.ndarray:
    """The hull's vertices (k, 2), in doubled (y, x) coordinates (integers), in order around it."""
    rows = np.flatnonzero(mask.any(axis=1))
    ends = mask[rows]
    first = ends.argmax(axis=1)
    last = ends.shape[1] - 1 - ends[:, ::-1].argmax(axis=1)
    centres = np.concatenate([np.stack([rows, first], axis=1), np.stack([rows, last], axis=1)])
    points = (2 * centres[:, None, :] + _DIAMOND).reshape(-1, 2)
    return points[ConvexHull(points).vertices]


def convex_hull_2d(mask: np.ndarray) -> np.ndarray:
    """Boolean (y, x) convex hull of the non-empty boolean (y, x) ``mask``, pixels on its boundary included."""
    vertices = _hull_vertices(mask)
    y0, x0 = vertices.T
    y1, x1 = np.roll(vertices, -1, axis=0).T
    slanted = y0 != y1  # horizontal edges end on the other edges' ends
    y0, x0, y1, x1 = y0[slanted], x0[slanted], y1[slanted], x1[slanted]
    top, bottom = -(-vertices[:, 0].min() // 2), vertices[:, 0].max() // 2  # pixel rows inside the hull
    rows = np.arange(top, bottom + 1)
    crossing = (np.minimum(y0, y1) <= 2 * rows[:, None]) & (2 * rows[:, None] <= np.maximum(y0, y1))
    # crossing of row r with an edge at x = num / den pixels (den > 0)
    sign = np.sign(y1 - y0)
    den = 2 * (y1 - y0) * sign
    num = (x0 * (y1 - y0) + (2 * rows[:, None] - y0) * (x1 - x0)) * sign
    left = np.where(crossing, -(-num // den), np.iinfo(np.int64).max).min(axis=1)
    right = np.where(crossing, num // den, np.iinfo(np.int64).min).max(axis=1)
    out = np.zeros(mask.shape, dtype=bool)
    columns = np.arange(mask.shape[1])
    out[rows] = (columns >= left[:, None]) & (columns <= right[:, None])
    return out
