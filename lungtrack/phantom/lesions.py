"""Pneumonia lesions: GGO with consolidating cores that appear, grow, peak and resolve over time.

Each lesion is fixed at an anatomical site in the lung frame (mm, see ``geometry``): most are
dorsal-basal and subpleural (the typical COVID-19 pattern), the others peripheral. Its size
follows a Gaussian bump over the days since the first study; a lesion is visible while the bump
is above ``VISIBLE``. The consolidating core lags the ground glass by two days. Truth labels:
1 GGO, 2 consolidation; vessels and airways are never lesion.
"""

from dataclasses import dataclass

import numpy as np

from lungtrack.labels import CONSOLIDATION, GGO
from lungtrack.phantom.anatomy import LEFT, RIGHT, Anatomy, dome, lung_contains

VISIBLE = 0.2  # size fraction (of the peak volume) below which a lesion is absent
FAINT_GGO_HU = -620.0  # ground glass of a small, just visible lesion; denser towards the peak
CONSOLIDATION_LAG_DAYS = 2.0


@dataclass(frozen=True)
class Lesion:
    """One lesion site: centre (x, y, w) mm in the lung frame, peak semi-axes (mm), axes rotation
    (3x3), boundary waviness (wave vectors 1/mm, phases, amplitude), time course (peak day, width
    in days), ground-glass HU at peak, consolidation HU and core size at peak (normalised radius)."""

    center: np.ndarray
    axes: np.ndarray
    rotation: np.ndarray
    waves: np.ndarray
    phases: np.ndarray
    waviness: float
    peak_day: float
    width_days: float
    ggo_hu: float
    consolidation_hu: float
    core: float

    def size(self, day: float, lag: float = 0.0) -> float:
        """Volume fraction of the peak (0..1) at ``day`` (days since the first study)."""
        return float(np.exp(-0.5 * ((day - self.peak_day - lag) / self.width_days) ** 2))


def _site(rng, anat: Anatomy, dorsal: bool, radius: float):
    """A lung-frame centre just inside the pleura: dorsal-basal or peripheral (None if missed)."""
    side = RIGHT if rng.random() < 0.5 else LEFT
    theta = np.deg2rad(rng.uniform(30.0, 110.0) if dorsal else rng.uniform(-70.0, 40.0))
    boundary = np.array([side * anat.a_cav * np.cos(theta), anat.b_cav * np.sin(theta)])
    xy = boundary * (1.0 - 0.45 * radius / np.linalg.norm(boundary))
    if dorsal:
        w = dome(anat, xy[0], xy[1], side) + rng.uniform(12.0, 45.0) * anat.scale
    else:
        w = rng.uniform(0.35, 0.75) * anat.height
    center = np.array([xy[0], xy[1], w])
    return center if lung_contains(anat, center)[0] == side else None


def _rotation(rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def sample_lesions(rng: np.random.Generator, anat: Anatomy, span_days: float, severity: float) -> list:
    """4-8 lesion sites with time courses peaking near 45 % of ``span_days`` (first to last study)."""
    patient_peak = 0.45 * span_days + (rng.uniform(-1.5, 1.5) if span_days > 0 else 0.0)
    lesions = []
    for _ in range(int(rng.integers(4, 9))):
        dorsal = bool(rng.random() < 0.6)
        radius = severity * rng.uniform(16.0, 30.0) * anat.scale
        center = None
        for _ in range(50):
            center = _site(rng, anat, dorsal, radius)
            if center is not None:
                break
        if center is None:
            continue
        n_waves = 3
        waves = rng.normal(size=(n_waves, 3))
        waves *= (2 * np.pi / rng.uniform(15.0, 35.0, size=n_waves) / np.linalg.norm(waves, axis=1))[:, None]
        lesions.append(Lesion(
            center=center,
            axes=radius * np.array([1.0, rng.uniform(0.75, 1.2), rng.uniform(0.7, 1.3)]),
            rotation=_rotation(rng),
            waves=waves,
            phases=rng.uniform(0, 2 * np.pi, size=n_waves),
            waviness=0.08,
            peak_day=patient_peak + rng.uniform(-3.0, 3.0),
            width_days=max(4.0, 0.22 * span_days) * rng.uniform(0.8, 1.2),
            ggo_hu=rng.uniform(-520.0, -430.0),
            consolidation_hu=rng.uniform(-30.0, 25.0),
            core=rng.uniform(0.45, 0.75) if dorsal else rng.uniform(0.0, 0.5),
        ))
    return lesions


def paravertebral_mass(anat: Anatomy, diameter_mm: float) -> Lesion:
    """A solid round mass (consolidation, +35 HU) of ``diameter_mm`` (mm) in the left lung's
    posterior-medial corner at 35 % of the lung height, present at every study: lung lies in front
    of it and beside it, the spine and the ribs behind it (only its part inside the lung is drawn)."""
    return Lesion(
        center=np.array([LEFT * 0.32 * anat.a_cav, 0.8 * anat.b_cav, 0.35 * anat.height]),
        axes=np.full(3, diameter_mm / 2), rotation=np.eye(3), waves=np.zeros((1, 3)), phases=np.zeros(1),
        waviness=0.0, peak_day=0.0, width_days=1e6, ggo_hu=35.0, consolidation_hu=35.0, core=1.01,
    )


def paint_lesions(lesions, day: float, frame, allowed: np.ndarray):
    """Lesion truth (uint8 (z, y, x), 1 GGO, 2 consolidation), lesion HU map (float32) and the
    number of visible lesions at ``day``. Lesions are drawn only where ``allowed`` (lung, no vessel)."""
    x, y, _, w = frame.coordinates
    labels = np.zeros(frame.shape, dtype=np.uint8)
    hu = np.zeros(frame.shape, dtype=np.float32)
    visible = 0
    for lesion in lesions:
        size = lesion.size(day)
        if size < VISIBLE:
            continue
        scale = np.cbrt(size)
        box = frame.box(lesion.center, (1.0 + 2 * lesion.waviness) * scale * lesion.axes.max() + 2.0)
        if box is None:
            continue
        q = np.stack([x[box] - lesion.center[0], y[box] - lesion.center[1], w[box] - lesion.center[2]], axis=-1)
        local = q @ lesion.rotation
        rho = np.sqrt((((local / (scale * lesion.axes)) ** 2).sum(axis=-1)))
        rho += lesion.waviness * np.sin(q @ lesion.waves.T + lesion.phases).sum(axis=-1)
        inside = (rho < 1.0) & allowed[box]
        if not inside.any():
            continue
        visible += 1
        core = lesion.core * np.clip((lesion.size(day, CONSOLIDATION_LAG_DAYS) - 0.35) / 0.65, 0.0, 1.0)
        ggo_hu = FAINT_GGO_HU + (lesion.ggo_hu - FAINT_GGO_HU) * size
        box_labels, box_hu = labels[box], hu[box]
        ggo = inside & (box_labels != CONSOLIDATION)
        box_labels[ggo] = GGO
        box_hu[ggo] = ggo_hu
        solid = inside & (rho < core)
        box_labels[solid] = CONSOLIDATION
        box_hu[solid] = lesion.consolidation_hu
    return labels, hu, visible
