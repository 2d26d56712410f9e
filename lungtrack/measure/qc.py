"""Quality control of one measured scan: is this a whole, plausible pair of lungs?

The checks look at the lung and lesion label maps (and the CT for the airway check) on the
canonical LPS grid: arrays (z, y, x) with z = 0 at the feet, y = 0 anterior, x = 0 at the
patient's right; spacing (z, y, x) mm. Each failed check gives one reason; the verdict is the
worst of them:

- ``fail``: the numbers are not a measurement of a patient's lungs (lung volume outside the
  plausible adult range: a crop, a scan of another body part, lungs not found), or the grid is
  too coarse for lesions to be told from partial volume (pixels or slices too large);
- ``warn``: the numbers are valid for what is in the scan but need a look (lungs cut off by the
  field of view, a strong right/left imbalance, lesion voxels in the airway lumen).

Thresholds are module constants, listed in the README's quality-control table.
"""

from dataclasses import dataclass, field

import numpy as np

from lungtrack.io.images import spacing_volume_ml
from lungtrack.labels import LEFT, RIGHT

PASS, WARN, FAIL = "pass", "warn", "fail"
#: Plausible adult lung volume (both lungs, mL) on chest CT, expiration to deep inspiration.
MIN_LUNG_ML, MAX_LUNG_ML = 1000.0, 9000.0
#: Coarsest grid (mm) on which ground glass is told from the partial volume of vessels and walls:
#: in-plane pixel and slice spacing.
MAX_PIXEL_MM, MAX_SLICE_MM = 4.0, 10.0
#: Lung cross-section (mm²) on the first/last slice or along an in-plane edge that counts as cut off.
CUT_AREA_MM2 = 100.0
#: Smaller lung / larger lung (volume) below which the two lungs are called imbalanced.
MIN_SIDE_RATIO = 0.4
#: Lesion volume (mL) within ``AIRWAY_MARGIN_MM`` of the tracked airway lumen that is flagged.
AIRWAY_LESION_ML, AIRWAY_MARGIN_MM = 0.5, 1.0
AIRWAY_HU = -900.0  # airway lumen is below this (HU)


@dataclass
class QualityControl:
    """Verdict (pass, warn or fail) and its one-line reasons."""

    reasons: dict = field(default_factory=dict)  # reason -> WARN or FAIL

    def add(self, level: str, reason: str) -> None:
        self.reasons[reason] = level

    @property
    def verdict(self) -> str:
        levels = set(self.reasons.values())
        return FAIL if FAIL in levels else WARN if WARN in levels else PASS

    def as_record(self) -> dict:
        """``qc`` and ``qc_reasons`` (fail reasons first) for the metrics JSON."""
        order = sorted(self.reasons, key=lambda r: self.reasons[r] != FAIL)
        return {"qc": self.verdict, "qc_reasons": order}


def _cut_ends(lung: np.ndarray, spacing) -> list[str]:
    """Where ``lung`` (z, y, x) reaches the edge of the volume with at least CUT_AREA_MM2."""
    dz, dy, dx = spacing
    edges = {
        "the base (first slice at the feet end)": (lung[0].sum() * dy * dx),
        "the apex (last slice at the head end)": (lung[-1].sum() * dy * dx),
        "the anterior edge": lung[:, 0, :].sum() * dz * dx,
        "the posterior edge": lung[:, -1, :].sum() * dz * dx,
        "the right edge": lung[:, :, 0].sum() * dz * dy,
        "the left edge": lung[:, :, -1].sum() * dz * dy,
    }
    return [name for name, area in edges.items() if area >= CUT_AREA_MM2]


def airway_lesion_ml(hu: np.ndarray, lesions: np.ndarray, spacing) -> float:
    """Lesion volume (mL) within AIRWAY_MARGIN_MM of the airway lumen tracked from the trachea."""
    if not lesions.any():
        return 0.0
    # Imported here: readers of QC verdicts (tracking, reports) need no SciPy (0.25 s to import).
    from lungtrack.segment.airways import track_airways
    from lungtrack.segment.body import body_mask
    from lungtrack.segment.morphology import bounding_box, dilate, reach

    body = body_mask(hu, spacing)
    airway = track_airways((hu < AIRWAY_HU) & body, body, spacing)
    if not airway.any():
        return 0.0
    box = bounding_box(airway, reach(AIRWAY_MARGIN_MM, spacing))  # all of the dilation, as on the whole volume
    near = dilate(airway[box], AIRWAY_MARGIN_MM, spacing)
    return float(np.count_nonzero(near & (lesions[box] > 0))) * spacing_volume_ml(spacing)


def scan_qc(lungs: np.ndarray, lesions: np.ndarray, spacing, hu: np.ndarray | None = None) -> dict:
    """QC record (``qc``, ``qc_reasons``) of one scan from canonical (z, y, x) label maps.

    ``lungs``: 1 right, 2 left; ``lesions``: > 0 lesion; ``spacing`` (z, y, x) mm; ``hu``: the
    canonical CT in HU (optional; enables the airway check).
    """
    qc = QualityControl()
    voxel_ml = spacing_volume_ml(spacing)
    right, left = (np.count_nonzero(lungs == side) * voxel_ml for side in (RIGHT, LEFT))
    total = right + left
    if total < MIN_LUNG_ML:
        qc.add(FAIL, f"lung volume {total:.0f} mL is below {MIN_LUNG_ML:.0f} mL: not a whole chest, or no lungs found")
    elif total > MAX_LUNG_ML:
        qc.add(FAIL, f"lung volume {total:.0f} mL is above {MAX_LUNG_ML:.0f} mL: not lungs alone, or wrong spacing")
    pixel = max(spacing[1:])
    if pixel > MAX_PIXEL_MM or spacing[0] > MAX_SLICE_MM:
        qc.add(FAIL, f"grid {pixel:.1f} mm in plane, {spacing[0]:.1f} mm between slices is coarser than "
                     f"{MAX_PIXEL_MM:.0f} / {MAX_SLICE_MM:.0f} mm: lesions cannot be told from partial volume")
    lung = lungs > 0
    if lung.any():
        cut = _cut_ends(lung, spacing)
        if cut:
            qc.add(WARN, "lungs cut off by the field of view at " + ", ".join(cut) + ": POI of a partial lung")
        small, large = sorted((right, left))
        if small < MIN_SIDE_RATIO * large:
            side = "left" if left < right else "right"
            qc.add(WARN, f"{side} lung {small:.0f} mL against {large:.0f} mL: strong right/left imbalance")
    if hu is not None:
        in_airway = airway_lesion_ml(hu, lesions, spacing)
        if in_airway >= AIRWAY_LESION_ML:
            qc.add(WARN, f"{in_airway:.1f} mL of lesion in the airway lumen: airway counted as lung")
    return qc.as_record()
