"""One synthetic chest CT with its truth: ``make_case(seed, timepoint, n_timepoints, **options)``.

Randomness is split into independent streams derived from ``seed`` so that the patient
(anatomy, vessels, lesion sites, study days) is the same at every timepoint while the pose,
breath-hold, scan range and noise change per timepoint. Same seed -> identical arrays.
"""

from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk

from lungtrack.io.images import spacing_volume_ml
from lungtrack.labels import CONSOLIDATION, GGO
from lungtrack.phantom.anatomy import Tissue, paint_anatomy, sample_anatomy
from lungtrack.phantom.geometry import Frame
from lungtrack.phantom.intensity import to_hounsfield
from lungtrack.phantom.lesions import paint_lesions, paravertebral_mass, sample_lesions
from lungtrack.phantom.options import PhantomOptions
from lungtrack.phantom.traps import paint_gas, paint_table, sample_gas
from lungtrack.phantom.vessels import grow_vessels, paint_vessels

# Nominal world position (mm, LPS) of the body-frame origin: centred left-right, raised above the
# table, lung base near z = -300 mm as on a scanner that counts table positions from the gantry.
_BODY_Y_MM, _BODY_Z_MM = -20.0, -300.0
_MARGIN_MM = 30.0  # scan range beyond the lung base and apex
_TABLE_GAP_MM = 3.0

# Independent random streams per seed
_PATIENT, _DAYS, _TRAPS, _SCAN = 0, 1, 2, 3


@dataclass
class Case:
    """A synthetic CT and its truth on the same grid.

    ct: int16 HU, lungs: uint8 (1 right, 2 left), lesions: uint8 (1 GGO, 2 consolidation), all
    (z, y, x) with z = 0 the most inferior slice, y = 0 anterior, x = 0 the patient's right.
    spacing_zyx: mm; origin: world LPS position (x, y, z) mm of voxel (0, 0, 0) (identity direction).
    info: timepoint facts (day, breath_scale, shift_mm, rotation_deg, visible_lesions, ...).
    tissue: uint8 ``anatomy.Tissue`` codes the intensities were made from (for checks).
    """

    ct: np.ndarray
    lungs: np.ndarray
    lesions: np.ndarray
    spacing_zyx: tuple
    origin: tuple
    info: dict = field(default_factory=dict)
    tissue: np.ndarray | None = None

    def image(self, array: np.ndarray | None = None) -> sitk.Image:
        """``array`` (default: the CT) as a SimpleITK image with this case's geometry."""
        image = sitk.GetImageFromArray(self.ct if array is None else array)
        image.SetSpacing(tuple(float(s) for s in self.spacing_zyx[::-1]))
        image.SetOrigin(tuple(float(o) for o in self.origin))
        return image

    @property
    def voxel_ml(self) -> float:
        """Volume of one voxel in mL."""
        return spacing_volume_ml(self.spacing_zyx)


def study_days(seed: int, n_timepoints: int, interval_days: float) -> list:
    """Days since the first study for each timepoint: 0, ~interval, ~2*interval (+-2 days jitter),
    strictly increasing so that every study has its own date."""
    rng = np.random.default_rng([seed, _DAYS])
    jitter = rng.uniform(-2.0, 2.0, size=n_timepoints)
    days = [0]
    for t in range(1, n_timepoints):
        days.append(max(days[-1] + 1, int(round(t * interval_days + jitter[t]))))
    return days


def _patient(seed: int, opts: PhantomOptions, n_timepoints: int):
    rng = np.random.default_rng([seed, _PATIENT])
    anat = sample_anatomy(rng, opts)
    vessels = grow_vessels(rng, anat) if opts.vessels else []
    severity = opts.severity if opts.severity is not None else rng.uniform(0.9, 1.3)
    span = opts.interval_days * (n_timepoints - 1)
    lesions = sample_lesions(rng, anat, span, severity) if opts.lesions else []
    if opts.paravertebral_mass_mm:
        lesions.append(paravertebral_mass(anat, opts.paravertebral_mass_mm))
    gas = sample_gas(np.random.default_rng([seed, _TRAPS]), anat, opts.stomach_gas, opts.bowel_gas)
    return anat, vessels, lesions, gas


def _frame(rng, anat, opts: PhantomOptions) -> Frame:
    breath = opts.breath_scale if opts.breath_scale is not None else rng.uniform(0.86, 1.0)
    if opts.pose_jitter:
        shift = rng.uniform(-4.0, 4.0, size=3)
        rot_z, rot_x = rng.uniform(-2.0, 2.0), rng.uniform(-1.0, 1.0)
    else:
        shift, rot_z, rot_x = np.zeros(3), 0.0, 0.0
    n_slices = opts.n_slices or int(np.ceil((anat.height + 2 * _MARGIN_MM) / opts.slice_mm)) + int(
        rng.integers(-2, 3))
    start_z = _BODY_Z_MM - _MARGIN_MM + (round(float(rng.uniform(-3.0, 3.0)), 1) if opts.pose_jitter else 0.0)
    half = (opts.matrix - 1) / 2 * opts.pixel_mm
    return Frame(
        shape=(n_slices, opts.matrix, opts.matrix),
        spacing_zyx=(opts.slice_mm, opts.pixel_mm, opts.pixel_mm),
        origin_xyz=(-half, -half, start_z),
        rotation_deg=(float(rot_z), float(rot_x)),
        translation=np.array([0.0, _BODY_Y_MM, _BODY_Z_MM]) + shift,
        height=anat.height,
        breath_scale=breath,
    )


def _fov_mask(frame: Frame) -> np.ndarray:
    """True inside the circular field of view inscribed in the square matrix (y, x)."""
    x, y, _ = frame.world_xyz()
    centre_x = frame.origin_xyz[0] + (frame.shape[2] - 1) / 2 * frame.spacing_zyx[2]
    centre_y = frame.origin_xyz[1] + (frame.shape[1] - 1) / 2 * frame.spacing_zyx[1]
    radius = frame.shape[2] / 2 * frame.spacing_zyx[2]
    return ((x[0] - centre_x) ** 2 + (y[0] - centre_y) ** 2) <= radius**2


def make_case(seed: int, timepoint: int = 0, n_timepoints: int = 3, **options) -> Case:
    """Synthetic CT of patient ``seed`` at ``timepoint`` (0-based) of ``n_timepoints`` studies.

    ``options``: keyword fields of ``PhantomOptions`` (grid, body size, traps, noise, ...).
    """
    if not 0 <= timepoint < n_timepoints:
        raise ValueError(f"timepoint {timepoint} outside 0..{n_timepoints - 1}")
    opts = PhantomOptions.from_kwargs(**options)
    anat, vessel_tree, lesion_sites, gas = _patient(seed, opts, n_timepoints)
    day = study_days(seed, n_timepoints, opts.interval_days)[timepoint]
    rng = np.random.default_rng([seed, _SCAN, timepoint])
    frame = _frame(rng, anat, opts)

    tissue, lungs = paint_anatomy(anat, frame)
    paint_gas(tissue, gas, anat, frame)
    if opts.table:
        paint_table(tissue, frame, _BODY_Y_MM + anat.b_body + _TABLE_GAP_MM)
    vessels = paint_vessels(vessel_tree, frame, lungs)
    tissue[vessels] = Tissue.VESSEL
    lesions, lesion_hu, visible = paint_lesions(lesion_sites, day, frame, (lungs > 0) & ~vessels)
    tissue[lesions == GGO] = Tissue.GGO
    tissue[lesions == CONSOLIDATION] = Tissue.CONSOLIDATION

    _, yb, _, _ = frame.coordinates
    depth = np.clip(yb / np.float32(anat.b_cav), -1.0, 1.0)
    ct = to_hounsfield(tissue, lesion_hu, depth, rng, opts, _fov_mask(frame))
    info = {
        "day": day,
        "breath_scale": round(float(frame.breath_scale), 4),
        "shift_mm": [round(float(v), 2) for v in frame.translation - (0.0, _BODY_Y_MM, _BODY_Z_MM)],
        "rotation_deg": [round(v, 2) for v in frame.rotation_deg],
        "visible_lesions": visible,
        "lesion_sites": len(lesion_sites),
        "vessel_segments": len(vessel_tree),
    }
    return Case(ct, lungs, lesions, tuple(float(s) for s in frame.spacing_zyx),
                tuple(round(float(o), 4) for o in frame.origin_xyz), info, tissue)
