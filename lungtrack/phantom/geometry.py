"""The voxel grid of one scan and the patient's pose and breath-hold in it.

Three frames, all in mm:
- world: DICOM patient coordinates (LPS: x to the patient's left, y posterior, z superior);
  voxel (k, j, i) of a (z, y, x) array sits at ``origin + (i*dx, j*dy, k*dz)`` (identity direction).
- body: the patient's own frame, x = 0 on the midline, y = 0 at the centre of the body's
  cross-section, z = 0 at the deepest point of the lungs (posterior costophrenic recess) at full
  inspiration, z = ``height`` at the lung apex. ``world = R @ body + t`` (pose of the patient).
- lung: body frame stretched craniocaudally about the apex by the breath-hold scale ``s``:
  ``w = height - (height - z_body) / s``. Lungs, vessels and lesions are drawn in this frame, so
  they keep their anatomical sites while the diaphragm moves with the depth of the breath-hold.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np


def rotation_matrix(rot_z_deg: float, rot_x_deg: float) -> np.ndarray:
    """3x3 rotation: about the x axis (pitch) by ``rot_x_deg``, then about z (yaw) by ``rot_z_deg``."""
    az, ax = np.deg2rad(rot_z_deg), np.deg2rad(rot_x_deg)
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    return rz @ rx


@dataclass(frozen=True)
class Frame:
    """Grid and pose of one scan.

    shape: (nz, ny, nx) voxels; spacing_zyx: mm; origin_xyz: world position (mm) of voxel (0, 0, 0),
    the most inferior slice; rotation_deg: (about z, about x) of the body in the world; translation:
    world position (mm) of the body-frame origin; height: lung height (mm, body frame);
    breath_scale: craniocaudal stretch s.
    """

    shape: tuple
    spacing_zyx: tuple
    origin_xyz: tuple
    rotation_deg: tuple
    translation: np.ndarray
    height: float
    breath_scale: float

    @cached_property
    def rotation(self) -> np.ndarray:
        """3x3 rotation body -> world."""
        return rotation_matrix(*self.rotation_deg)

    @cached_property
    def coordinates(self):
        """(xb, yb, zb, w): body-frame x, y, z and lung-frame w (mm) of every voxel, float32 (z, y, x)."""
        x, y, z = self.world_xyz()
        tx, ty, tz = np.asarray(self.translation, dtype=np.float32)
        wx, wy, wz = x - tx, y - ty, z - tz
        r = self.rotation.astype(np.float32)
        xb = r[0, 0] * wx + r[1, 0] * wy + r[2, 0] * wz
        yb = r[0, 1] * wx + r[1, 1] * wy + r[2, 1] * wz
        zb = r[0, 2] * wx + r[1, 2] * wy + r[2, 2] * wz
        w = np.float32(self.height) - (np.float32(self.height) - zb) / np.float32(self.breath_scale)
        return xb, yb, zb, w

    def lung_to_index(self, points: np.ndarray) -> np.ndarray:
        """Lung-frame points (n, 3) as (x, y, w) mm -> fractional voxel indices (n, 3) as (k, j, i)."""
        points = np.atleast_2d(np.asarray(points, dtype=float))
        body = points.copy()
        body[:, 2] = self.height - self.breath_scale * (self.height - points[:, 2])
        world = body @ self.rotation.T + self.translation
        index_xyz = (world - np.asarray(self.origin_xyz)) / np.asarray(self.spacing_zyx[::-1])
        return index_xyz[:, ::-1]

    def box(self, center, radius_mm: float):
        """Slices (z, y, x) of the voxels within ``radius_mm`` (a cube) of a lung-frame point, or None."""
        corners = np.array(
            [[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=float
        ) * radius_mm + np.asarray(center, dtype=float)
        index = self.lung_to_index(corners)
        lo = np.maximum(np.floor(index.min(axis=0)).astype(int) - 1, 0)
        hi = np.minimum(np.ceil(index.max(axis=0)).astype(int) + 2, self.shape)
        if np.any(hi <= lo):
            return None
        return tuple(slice(a, b) for a, b in zip(lo, hi))

    def world_xyz(self):
        """World x (1, 1, nx), y (1, ny, 1) and z (nz, 1, 1) voxel positions (mm), float32."""
        nz, ny, nx = self.shape
        dz, dy, dx = self.spacing_zyx
        ox, oy, oz = self.origin_xyz
        return (
            (ox + dx * np.arange(nx, dtype=np.float32)).reshape(1, 1, nx),
            (oy + dy * np.arange(ny, dtype=np.float32)).reshape(1, ny, 1),
            (oz + dz * np.arange(nz, dtype=np.float32)).reshape(nz, 1, 1),
        )
