"""Realistic distractors for lung segmentation: patient table, stomach and bowel gas.

All paint ``Tissue`` codes into an existing tissue map (z, y, x) and never touch the lungs.
The out-of-field padding is applied to intensities, in ``intensity.to_hounsfield``.
"""

from dataclasses import dataclass

import numpy as np

from lungtrack.phantom.anatomy import LEFT, RIGHT, Anatomy, Tissue, dome
from lungtrack.phantom.shapes import ellipse, ellipsoid

_SHELL_MM, _FOAM_MM = 2.0, 18.0
_TABLE_CURVE_MM = 600.0  # radius of curvature of the table top (a shallow cradle)


@dataclass(frozen=True)
class GasPocket:
    """Ellipsoidal gas collection in the lung frame: centre (x, y, w) mm, semi-axes mm; gas
    rises anteriorly (supine patient) above ``level`` (fraction of the AP semi-axis), fluid below."""

    center: tuple
    axes: tuple
    level: float


def sample_gas(rng: np.random.Generator, anat: Anatomy, stomach: bool, bowel: bool) -> list:
    """Stomach bubble under the left hemidiaphragm and/or 4 small bowel gas pockets below it."""
    k = anat.scale
    pockets = []
    if stomach:
        x, y = 0.5 * anat.a_cav, -0.2 * anat.b_cav
        axes = (36.0 * k, 30.0 * k, 24.0 * k)
        w = float(dome(anat, x, y, LEFT)) - 7.0 * k - axes[2] * rng.uniform(0.6, 0.9)
        pockets.append(GasPocket((x, y, w), axes, level=rng.uniform(-0.3, 0.3)))
    if bowel:
        for _ in range(4):
            x, y = rng.uniform(-0.5, 0.6) * anat.a_cav, rng.uniform(-0.6, 0.1) * anat.b_cav
            w = float(dome(anat, x, y, LEFT)) - rng.uniform(50.0, 90.0) * k
            r = rng.uniform(6.0, 14.0) * k
            pockets.append(GasPocket((x, y, w), (r, 0.8 * r, r), level=0.3))
    return pockets


def paint_gas(tissue: np.ndarray, pockets, anat: Anatomy, frame) -> None:
    """Paint gas (anterior part) and fluid into the abdomen, at least 7 mm below the diaphragm."""
    x, y, _, w = frame.coordinates
    for pocket in pockets:
        box = frame.box(pocket.center, max(pocket.axes) + 1.0)
        if box is None:
            continue
        bx, by, bw = x[box], y[box], w[box]
        roof = np.where(bx < 0, dome(anat, bx, by, RIGHT), dome(anat, bx, by, LEFT)) - 7.0 * anat.scale
        inside = (ellipsoid(bx, by, bw, pocket.center, pocket.axes) < 1.0) & (bw < roof)
        inside &= ellipse(bx, by, anat.a_cav, anat.b_cav) < 1.0
        gas = by < pocket.center[1] + pocket.level * pocket.axes[1]
        region = tissue[box]
        region[inside & gas] = Tissue.GAS
        region[inside & ~gas] = Tissue.FLUID


def paint_table(tissue: np.ndarray, frame, top_y_mm: float) -> None:
    """Patient table below the body (world frame): carbon shells around a foam core, a shallow cradle."""
    x, y, _ = frame.world_xyz()
    top = top_y_mm - x**2 / (2 * _TABLE_CURVE_MM)
    depth = np.broadcast_to(y - top, (1,) + tissue.shape[1:])
    free = tissue == Tissue.AIR
    shell = ((depth >= 0) & (depth < _SHELL_MM)) | (
        (depth >= _SHELL_MM + _FOAM_MM) & (depth < 2 * _SHELL_MM + _FOAM_MM))
    foam = (depth >= _SHELL_MM) & (depth < _SHELL_MM + _FOAM_MM)
    tissue[free & shell] = Tissue.TABLE_SHELL
    tissue[free & foam] = Tissue.TABLE_FOAM
