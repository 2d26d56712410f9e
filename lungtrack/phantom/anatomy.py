"""Chest anatomy of one synthetic patient: body wall, ribs, spine, mediastinum, heart, airways, lungs.

Shapes are implicit functions of body-frame coordinates (x, y, z) and the lung-frame height ``w``
(mm; see ``geometry``). ``paint_anatomy`` turns them into a tissue map (``Tissue`` codes) and the
lung truth (1 right, 2 left) on the scan's voxel grid, arrays (z, y, x). The trachea and main
bronchi are air but not lung; intrapulmonary vessels are drawn later (``vessels``) and stay lung.
"""

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from lungtrack import labels
from lungtrack.phantom.shapes import ellipse, ellipsoid, sigmoid, tube_depth

RIGHT, LEFT = -1, 1  # sign of body-frame x on each side (x points to the patient's left)


class Tissue(IntEnum):
    """Tissue classes of the phantom; ``intensity.BASE_HU`` gives their Hounsfield units."""

    AIR = 0
    FAT = 1
    MUSCLE = 2
    SOFT = 3
    BLOOD = 4
    LIVER = 5
    ABDOMEN = 6
    CORTICAL_BONE = 7
    SPONGY_BONE = 8
    DISC = 9
    CSF = 10
    LUNG = 11
    VESSEL = 12
    AIRWAY = 13
    GAS = 14
    FLUID = 15
    TABLE_SHELL = 16
    TABLE_FOAM = 17
    GGO = 18
    CONSOLIDATION = 19


@dataclass(frozen=True)
class Anatomy:
    """Patient-level sizes (mm, body frame). ``a_*``/``b_*`` are lateral/AP half-widths."""

    scale: float
    a_body: float
    b_body: float
    fat: float
    rib: float
    a_cav: float
    b_cav: float
    height: float
    anterior_gap: float
    dome_right: float
    dome_left: float
    spine_y: float
    spine_r: float
    heart_center: tuple
    heart_axes: tuple
    aorta: tuple  # ((p0, p1), ...) centre lines, radius aorta_r
    aorta_r: float
    trachea_y: float
    trachea_r: float
    carina_z: float
    bronchi: tuple  # ((p0, p1, lumen radius), ...)
    airway_wall: float
    basal_retraction: float = 0.0  # mm the lung base pulls away from the lateral wall (at w = 0)

    @property
    def taper_z(self) -> float:
        """Height (mm) above which the thoracic cavity narrows into the two lung apices."""
        return 0.55 * self.height

    @property
    def hila(self) -> dict:
        """Lung-frame point (x, y, w) where each lung's vessel tree starts, by side."""
        return {side: np.asarray(self.bronchi[i][1]) + (0.0, -12.0 * self.scale, 0.0)
                for i, side in enumerate((RIGHT, LEFT))}


def sample_anatomy(rng: np.random.Generator, options) -> Anatomy:
    """Draw the patient's anatomy (sizes vary by about +-5 %) from ``rng`` and ``PhantomOptions``."""
    k = options.body_scale
    a_body = 150.0 * k * rng.uniform(0.95, 1.05)
    b_body = 108.0 * k * rng.uniform(0.95, 1.05)
    fat = options.fat_mm if options.fat_mm is not None else rng.uniform(8.0, 20.0)
    muscle, rib = 10.0 * k, 8.0 * k
    a_cav, b_cav = a_body - fat - muscle - rib, b_body - fat - muscle - rib
    height = 240.0 * k * options.lung_scale * rng.uniform(0.95, 1.05)
    carina = np.array([0.0, 0.05 * b_cav, 0.62 * height])
    right_end = carina + (-0.30 * a_cav, 0.05 * b_cav, -0.12 * height)
    left_end = carina + (0.36 * a_cav, 0.07 * b_cav, -0.10 * height)
    bronchi = (
        (tuple(carina), tuple(right_end), 7.0 * k),
        (tuple(carina), tuple(left_end), 6.0 * k),
        (tuple(right_end), tuple(right_end + (-0.08 * a_cav, 0.08 * b_cav, -0.10 * height)), 5.0 * k),
        (tuple(left_end), tuple(left_end + (0.08 * a_cav, 0.08 * b_cav, -0.08 * height)), 4.5 * k),
    )
    spine_r = 17.0 * k
    spine_y = b_cav - 0.3 * spine_r
    aorta_r = 12.0 * k
    asc = (5.0 * k, -0.2 * b_cav)
    desc = (22.0 * k, spine_y - 1.4 * spine_r)
    arch_z = 0.72 * height
    aorta = (
        ((asc[0], asc[1], 0.40 * height), (asc[0], asc[1], arch_z)),
        ((asc[0], asc[1], arch_z), (desc[0], desc[1], arch_z)),
        ((desc[0], desc[1], arch_z), (desc[0], desc[1], -80.0 * k)),
    )
    return Anatomy(
        scale=k, a_body=a_body, b_body=b_body, fat=fat, rib=rib,
        a_cav=a_cav, b_cav=b_cav, height=height,
        anterior_gap=0.6 if options.anterior_junction else 6.0 * k,
        dome_right=0.26 * height, dome_left=0.22 * height,
        spine_y=spine_y, spine_r=spine_r,
        heart_center=(15.0 * k, -0.3 * b_cav, 0.40 * height),
        heart_axes=(55.0 * k, 45.0 * k, 48.0 * k),
        aorta=aorta, aorta_r=aorta_r,
        trachea_y=0.05 * b_cav, trachea_r=9.0 * k, carina_z=float(carina[2]),
        bronchi=bronchi, airway_wall=1.5 * k, basal_retraction=options.basal_retraction_mm * k,
    )


def dome(anat: Anatomy, x, y, side: int):
    """Lung-frame height w (mm) of the hemidiaphragm under (x, y): domed, lowest posteriorly."""
    top = anat.dome_right if side == RIGHT else anat.dome_left
    r2 = ((x - side * 0.45 * anat.a_cav) / (0.7 * anat.a_cav)) ** 2 + ((y + 0.1 * anat.b_cav) / (1.1 * anat.b_cav)) ** 2
    anterior = np.clip((1.0 - y / anat.b_cav) / 2.0, 0.0, 1.0)
    return top * np.clip(1.0 - r2, 0.0, 1.0) + 0.12 * anat.height * anterior


def mediastinum_half_width(anat: Anatomy, y):
    """Half-width (mm) of the mediastinum at AP position y: narrow anteriorly, wide centrally."""
    yn = y / anat.b_cav
    k = anat.scale
    return (anat.anterior_gap + (28.0 * k - anat.anterior_gap) * sigmoid((yn + 0.45) / 0.07)
            + (22.0 * k - 28.0 * k) * sigmoid((yn - 0.55) / 0.07))


def lung_sides(anat: Anatomy, x, y, z, w):
    """Side of the lung (int8: -1 right, 1 left, 0 none) at body-frame (x, y, z), lung-frame w.

    Airways are not removed here (see ``airway``); vessels and lesions lie inside this region.
    """
    margin = 3.0 * anat.scale
    hx, hy, hz = anat.heart_axes
    space = ellipse(x, y, anat.a_cav, anat.b_cav) < 1.0
    space &= ellipsoid(x, y, z, anat.heart_center, (hx + margin, hy + margin, hz + margin)) > 1.0
    space &= ellipse(x, y, anat.spine_r + margin, anat.spine_r + margin, (0.0, anat.spine_y)) > 1.0
    for p0, p1 in anat.aorta:
        space &= tube_depth(x, y, z, p0, p1, anat.aorta_r + margin) >= 0.0
    if anat.basal_retraction > 0:
        # towards the base the lung pulls away from the lateral chest wall: soft tissue of the
        # diaphragm fills the gap, down to the costophrenic recess (lowest at w = 0)
        pull = anat.basal_retraction * np.clip(1.0 - w / (0.35 * anat.height), 0.0, 1.0)
        space &= ellipse(x, y, anat.a_cav - pull, anat.b_cav - 0.3 * pull) < 1.0
    half_width = mediastinum_half_width(anat, y)
    zt = anat.taper_z
    sides = np.zeros(space.shape, dtype=np.int8)
    for side in (RIGHT, LEFT):
        apex = ellipsoid(x, y, z, (side * 0.45 * anat.a_cav, 0.05 * anat.b_cav, zt),
                         (0.6 * anat.a_cav, 1.0 * anat.b_cav, anat.height - zt)) < 1.0
        lung = space & ((z <= zt) | apex) & (side * x > half_width) & (w > dome(anat, x, y, side))
        sides[lung] = side
    return sides


def lung_contains(anat: Anatomy, points) -> np.ndarray:
    """Side of the lung (-1 right, 1 left, 0 none) at lung-frame points (n, 3) at full inspiration."""
    p = np.atleast_2d(np.asarray(points, dtype=float))
    x, y, w = p[:, 0], p[:, 1], p[:, 2]
    sides = lung_sides(anat, x, y, w, w)
    lumen, wall = airway(anat, x, y, w)
    sides[lumen | wall] = 0
    return sides


def airway(anat: Anatomy, x, y, z):
    """(lumen, wall) boolean masks of the trachea and main bronchi (body frame, mm)."""
    depth = np.where(z > anat.carina_z, np.hypot(x, y - anat.trachea_y) - anat.trachea_r, np.inf)
    for p0, p1, radius in anat.bronchi:
        depth = np.minimum(depth, tube_depth(x, y, z, p0, p1, radius, reach=anat.airway_wall))
    return depth < 0.0, (depth >= 0.0) & (depth < anat.airway_wall)


def _ribs(anat: Anatomy, x, y, z):
    """Ribs: bony bands around the cavity, sloping down anteriorly, open at the sternum gap."""
    shell = (ellipse(x, y, anat.a_cav, anat.b_cav) >= 1.0) & (
        ellipse(x, y, anat.a_cav + anat.rib, anat.b_cav + anat.rib) < 1.0)
    period, thickness = 26.0 * anat.scale, 7.0 * anat.scale
    band = np.mod(z - 0.4 * y, period) < thickness
    sideways = ~((y < 0) & (np.abs(x) < 0.47 * -y))
    return shell & band & sideways & (z > -40.0 * anat.scale) & (z < anat.height + 10.0)


def _spine(anat: Anatomy, x, y, z):
    """(cortical, spongy, disc, csf) masks of the thoracic spine (vertebral body, canal, arch)."""
    k = anat.scale
    r_body = np.hypot(x, y - anat.spine_y)
    vertebra = r_body < anat.spine_r
    disc = vertebra & (np.mod(z, 30.0 * k) < 5.0 * k)
    canal_y = anat.spine_y + anat.spine_r + 8.0 * k
    r_canal = np.hypot(x, y - canal_y)
    csf = r_canal < 7.0 * k
    arch = (r_canal >= 7.0 * k) & (r_canal < 12.0 * k)
    process = (np.abs(x) < 4.0 * k) & (y > canal_y) & (y < canal_y + 30.0 * k)
    cortical = (vertebra & (r_body >= anat.spine_r - 2.0 * k) & ~disc) | arch | process
    spongy = vertebra & ~cortical & ~disc
    return cortical, spongy, disc, csf


def paint_anatomy(anat: Anatomy, frame):
    """Tissue map (uint8 ``Tissue``) and lung truth (uint8, 1 right, 2 left), both (z, y, x).

    Table, stomach gas, vessels and lesions are added by the callers on top of this map.
    """
    x, y, z, w = frame.coordinates
    tissue = np.full(frame.shape, Tissue.AIR, dtype=np.uint8)
    tissue[ellipse(x, y, anat.a_body, anat.b_body) < 1.0] = Tissue.FAT
    wall = ellipse(x, y, anat.a_body - anat.fat, anat.b_body - anat.fat) < 1.0
    tissue[wall] = Tissue.MUSCLE
    cavity = ellipse(x, y, anat.a_cav, anat.b_cav) < 1.0
    tissue[cavity] = Tissue.SOFT
    tissue[cavity & (y < -0.35 * anat.b_cav) & (np.abs(x) < 45.0 * anat.scale)] = Tissue.FAT
    below = np.where(x < 0, dome(anat, x, y, RIGHT), dome(anat, x, y, LEFT))
    tissue[cavity & (w < below - 4.0 * anat.scale)] = Tissue.ABDOMEN
    tissue[cavity & (w < below - 4.0 * anat.scale) & (x < 25.0 * anat.scale)] = Tissue.LIVER
    hx, hy, hz = anat.heart_axes
    pad = 4.0 * anat.scale
    tissue[ellipsoid(x, y, z, anat.heart_center, (hx + pad, hy + pad, hz + pad)) < 1.0] = Tissue.FAT
    tissue[ellipsoid(x, y, z, anat.heart_center, anat.heart_axes) < 1.0] = Tissue.BLOOD
    for p0, p1 in anat.aorta:
        tissue[tube_depth(x, y, z, p0, p1, anat.aorta_r) < 0.0] = Tissue.BLOOD
    sternum = (np.abs(x) < 15.0 * anat.scale) & (y < -anat.b_cav) & (y > -anat.b_cav - anat.rib - 4.0) & (
        z > 0.3 * anat.height) & (z < 0.95 * anat.height)
    tissue[_ribs(anat, x, y, z) | sternum] = Tissue.CORTICAL_BONE
    cortical, spongy, disc, csf = _spine(anat, x, y, z)
    tissue[cortical] = Tissue.CORTICAL_BONE
    tissue[spongy] = Tissue.SPONGY_BONE
    tissue[disc] = Tissue.DISC
    tissue[csf] = Tissue.CSF

    lumen, wall_mask = airway(anat, x, y, z)
    lungs = np.zeros(frame.shape, dtype=np.uint8)
    sides = lung_sides(anat, x, y, z, w)
    lungs[sides == RIGHT] = labels.RIGHT
    lungs[sides == LEFT] = labels.LEFT
    lungs[lumen | wall_mask] = 0
    tissue[lungs > 0] = Tissue.LUNG
    tissue[wall_mask] = Tissue.SOFT
    tissue[lumen] = Tissue.AIRWAY
    return tissue, lungs
