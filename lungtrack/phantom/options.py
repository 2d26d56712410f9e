"""Keyword options of the synthetic chest CT: acquisition grid, body size and optional traps.

All lengths are in mm, intensities in HU. The defaults give the demo cohort: 192 x 192 pixels of
1.8 mm, 2.5 mm slices covering the lungs plus margin (about 120 slices), with a patient table and
stomach gas. The hold-out cohorts change these through the Python API.
"""

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class PhantomOptions:
    """Options of one synthetic CT (keyword arguments of ``make_case`` and ``generate_cohort``).

    Grid: ``matrix`` in-plane pixels (rows = columns); ``pixel_mm`` in-plane spacing (mm);
    ``slice_mm`` slice spacing = slice thickness (mm); ``n_slices`` None = cover the lungs plus
    ~30 mm at each end.
    Body: ``body_scale`` size of body and thorax (1 = adult, ~300 mm wide); ``lung_scale``
    craniocaudal lung height (1 = ~240 mm from apex to costophrenic recess); ``fat_mm``
    subcutaneous fat (mm), None = drawn per patient (8-20 mm).
    Traps: ``table`` patient table (carbon shells around a foam core) below the body;
    ``stomach_gas`` gas bubble below the left hemidiaphragm; ``bowel_gas`` gas pockets lower in
    the abdomen; ``fov_padding`` HU outside the circular field of view (e.g. -2000 or -3024),
    None = none; ``anterior_junction`` the lungs touch anteriorly (thin junction line);
    ``basal_retraction_mm`` how far (mm) the lung base pulls away from the lateral chest wall
    under the diaphragm domes (0 = the lung reaches the wall down to the recess), the gap being
    soft tissue of the diaphragm; ``paravertebral_mass_mm`` diameter (mm) of a solid mass in the
    left lung's posterior-medial corner, against the spine and the ribs, at every timepoint (0 = none;
    drawn even with ``lesions`` off).
    Content: ``vessels`` intrapulmonary vessel trees; ``lesions`` GGO / consolidation;
    ``severity`` lesion size factor (1 = moderate pneumonia), None = drawn per patient.
    Image: ``noise_hu`` Gaussian noise SD (HU); ``blur_voxels`` partial-volume blur sigma (voxels).
    Timing: ``breath_scale`` craniocaudal lung stretch (1 = full inspiration), None = drawn per
    timepoint (0.86-1.0); ``pose_jitter`` shift (up to 4 mm), rotation (up to 2 degrees) and
    first-slice position vary per timepoint; ``interval_days`` mean days between studies.
    """

    matrix: int = 192
    pixel_mm: float = 1.8
    slice_mm: float = 2.5
    n_slices: int | None = None
    body_scale: float = 1.0
    lung_scale: float = 1.0
    fat_mm: float | None = None
    table: bool = True
    stomach_gas: bool = True
    bowel_gas: bool = False
    fov_padding: int | None = None
    anterior_junction: bool = False
    basal_retraction_mm: float = 0.0
    paravertebral_mass_mm: float = 0.0
    vessels: bool = True
    lesions: bool = True
    severity: float | None = None
    noise_hu: float = 20.0
    blur_voxels: float = 0.4
    breath_scale: float | None = None
    pose_jitter: bool = True
    interval_days: float = 7.0

    def __post_init__(self):
        positive = ("matrix", "pixel_mm", "slice_mm", "body_scale", "lung_scale", "interval_days")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"phantom option {name} must be > 0, got {getattr(self, name)!r}")
        if not 0.0 <= self.basal_retraction_mm <= 60.0:
            raise ValueError(f"phantom option basal_retraction_mm must be in [0, 60] mm, got {self.basal_retraction_mm}")
        if not 0.0 <= self.paravertebral_mass_mm <= 80.0:
            raise ValueError(
                f"phantom option paravertebral_mass_mm must be in [0, 80] mm, got {self.paravertebral_mass_mm}")
        if self.n_slices is not None and self.n_slices < 2:
            raise ValueError(f"phantom option n_slices must be >= 2, got {self.n_slices}")
        if self.fov_padding is not None and not -3024 <= self.fov_padding <= -1024:
            raise ValueError(f"phantom option fov_padding must be in [-3024, -1024] HU, got {self.fov_padding}")
        if self.breath_scale is not None and not 0.6 <= self.breath_scale <= 1.0:
            raise ValueError(f"phantom option breath_scale must be in [0.6, 1.0], got {self.breath_scale}")

    @classmethod
    def from_kwargs(cls, **options) -> "PhantomOptions":
        """Build from keyword arguments; unknown names raise TypeError listing the valid ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown phantom option(s) {unknown}; valid: {sorted(known)}")
        return cls(**options)
