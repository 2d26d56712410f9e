"""Intrapulmonary vessel trees: branching tubes from each hilum, 6 mm wide centrally, ~1.6 mm peripherally.

The tree is grown once per patient in the lung frame (mm, see ``geometry``) so that it keeps its
place across timepoints; each segment is kept only while its end stays inside the lung. Vessel
voxels are part of the lung truth and never part of the lesion truth.
"""

import numpy as np

from lungtrack.phantom.anatomy import Anatomy, lung_contains
from lungtrack.phantom.shapes import segment_distance

# Directions of the main trunks from the hilum as (lateral, anteroposterior, craniocaudal).
_TRUNKS = (
    (0.3, -0.2, 1.0), (0.4, 0.6, 0.8), (1.0, -0.6, 0.1), (1.0, 0.0, 0.2),
    (0.8, 0.8, 0.0), (0.6, 0.0, -0.8), (0.4, 0.7, -0.8), (0.5, -0.6, -0.7),
)
_ROOT_RADIUS_MM = 3.0
_MIN_RADIUS_MM = 0.8
_TAPER = 0.75  # child radius / parent radius
_LENGTH_PER_RADIUS = 11.0


def _unit(v):
    return v / np.linalg.norm(v)


def _deviate(rng, direction, angle_deg):
    """``direction`` turned by ``angle_deg`` about a random perpendicular axis."""
    perp = _unit(np.cross(direction, rng.normal(size=3)))
    a = np.deg2rad(angle_deg)
    return _unit(np.cos(a) * direction + np.sin(a) * perp)


def grow_vessels(rng: np.random.Generator, anat: Anatomy) -> list:
    """Vessel segments [(start, end, radius_mm), ...] in the lung frame (x, y, w), both lungs.

    Grown one generation at a time: each segment ends inside the lung (shortened to half length
    if needed, dropped otherwise) and forks into two thinner children.
    """
    frontier = []
    for side, hilum in anat.hila.items():
        for trunk in _TRUNKS:
            d = _unit(np.array(trunk) * (side, 1.0, 1.0) + rng.normal(scale=0.15, size=3))
            frontier.append((hilum, d, _ROOT_RADIUS_MM * anat.scale))
    segments = []
    while frontier:
        starts = np.array([f[0] for f in frontier])
        steps = np.array([f[1] * _LENGTH_PER_RADIUS * f[2] for f in frontier])
        steps *= rng.uniform(0.8, 1.2, size=(len(frontier), 1))
        full = lung_contains(anat, starts + steps) != 0
        half = lung_contains(anat, starts + steps / 2) != 0
        children = []
        for (start, d, radius), step, ok_full, ok_half in zip(frontier, steps, full, half):
            if not (ok_full or ok_half):
                continue
            end = start + (step if ok_full else step / 2)
            segments.append((start, end, radius))
            for sign in (1, -1):
                child_radius = radius * _TAPER * rng.uniform(0.9, 1.05)
                if child_radius >= _MIN_RADIUS_MM:
                    children.append((end, _deviate(rng, d, sign * rng.uniform(20.0, 40.0)), child_radius))
        frontier = children
    return segments


def paint_vessels(segments, frame, lungs: np.ndarray) -> np.ndarray:
    """Boolean vessel mask (z, y, x) on the scan grid: the tubes, clipped to the lung truth."""
    x, y, _, w = frame.coordinates
    mask = np.zeros(frame.shape, dtype=bool)
    for start, end, radius in segments:
        box = frame.box((start + end) / 2, np.linalg.norm(end - start) / 2 + radius + 1.0)
        if box is None:
            continue
        d = segment_distance(x[box], y[box], w[box], start, end)
        mask[box] |= d < radius
    return mask & (lungs > 0)
