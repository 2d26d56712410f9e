"""Implicit shapes evaluated on coordinate arrays (mm); all functions broadcast over any shape."""

import numpy as np


def segment_distance(x, y, z, a, b):
    """Distance (mm) from points (x, y, z) to the line segment from point ``a`` to point ``b``."""
    a = np.asarray(a, dtype=np.float32)
    v = np.asarray(b, dtype=np.float32) - a
    qx, qy, qz = x - a[0], y - a[1], z - a[2]
    t = np.clip((qx * v[0] + qy * v[1] + qz * v[2]) / max(float(v @ v), 1e-9), 0.0, 1.0)
    return np.sqrt((qx - t * v[0]) ** 2 + (qy - t * v[1]) ** 2 + (qz - t * v[2]) ** 2)


def tube_depth(x, y, z, a, b, radius: float, reach: float = 0.0):
    """Signed distance (mm) from points (x, y, z) to the surface of the tube of ``radius`` around
    the segment ``a``-``b`` (negative inside). Only points inside the tube's bounding box grown by
    ``reach`` are measured; the others get +inf, so long arrays stay cheap."""
    lo = np.minimum(a, b) - radius - reach
    hi = np.maximum(a, b) + radius + reach
    x, y, z = np.broadcast_arrays(x, y, z)
    near = (x > lo[0]) & (x < hi[0]) & (y > lo[1]) & (y < hi[1]) & (z > lo[2]) & (z < hi[2])
    depth = np.full(x.shape, np.inf, dtype=np.float32)
    depth[near] = segment_distance(x[near], y[near], z[near], a, b) - radius
    return depth


def ellipsoid(x, y, z, center, semi_axes):
    """Normalised radius of an axis-aligned ellipsoid: < 1 inside, 1 on the surface."""
    cx, cy, cz = center
    ax, ay, az = semi_axes
    return np.sqrt(((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 + ((z - cz) / az) ** 2)


def ellipse(x, y, semi_x, semi_y, center=(0.0, 0.0)):
    """Normalised radius of an ellipse in the (x, y) plane (a cylinder along z): < 1 inside."""
    return np.sqrt(((x - center[0]) / semi_x) ** 2 + ((y - center[1]) / semi_y) ** 2)


def sigmoid(x):
    """Logistic function, for smooth transitions of shape parameters."""
    return 1.0 / (1.0 + np.exp(-x))
