"""Refine the lung-outline registration with the CT intensities inside the lungs.

The outline fit of :mod:`lungtrack.track.registration` (rigid, then affine on the signed distance
to the lung surface) is refined by a dense deformation (symmetric-forces demons, SimpleITK)
fitted to the CT intensities (HU, clamped to the lung range) on coarse grids, coarse to fine
(``LEVEL_SPACING_MM``). Only the lungs drive it: outside each scan's lungs (plus a few mm, so
that the pleura counts) both images are set to one value, and the lesion voxels of either scan
are set to the median lung HU in both images, so lesions that change between the scans exert no
force. A fit that folds space (Jacobian determinant <= 0 somewhere in the lungs) or loses lung
overlap is refused: the affine outline fit is kept and flagged.

The transform maps baseline points (LPS mm) to follow-up points, as
``sitk.Resample(follow_up, baseline, transform)`` expects.
"""

from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk

from lungtrack.measure.overlap import dice
from lungtrack.track.registration import register_lungs

#: Voxel size (mm) of the fit at each level, coarse to fine (per axis, never finer than the scan).
LEVEL_SPACING_MM = (6.0, 3.0)
#: Demons iterations at each level of ``LEVEL_SPACING_MM``: most of the fit at the cheap coarse level.
ITERATIONS = (40, 12)
#: Gaussian smoothing of the displacement field after each demons iteration (voxels of the level).
FIELD_SIGMA = 2.0
#: HU window of the fit: air to soft tissue; vessels and airway walls are the lung's landmarks.
HU_RANGE = (-1000.0, 0.0)
#: The fit region reaches this far (mm) beyond the baseline lung surface.
LUNG_MARGIN_MM = 4.0
#: Lesion voxels of either scan, grown by this much (mm), are left out of the fit.
LESION_MARGIN_MM = 4.0
#: A refined fit that loses more lung Dice than this against the affine fit is refused.
MAX_DICE_LOSS = 0.02
#: Grid spacing (mm) on which the Jacobian determinant of an outline fit is checked.
CHECK_SPACING_MM = 4.0
#: The demons fit covers the box of the baseline fit region grown by this many voxels of the finest level.
CROP_MARGIN_VOXELS = 4
#: Every registration method: the outline fits, and ``intensity`` (affine outline fit, then demons on the CT).
METHODS = ("rigid", "affine", "bspline", "intensity")


@dataclass
class Registration:
    """A fitted transform (baseline LPS mm -> follow-up LPS mm) and how well it fits.

    ``method``: the method asked for; ``used``: the one whose transform is returned (``affine``
    when the intensity refinement was refused); ``quality``: ``metric`` (mean squared HU
    difference after the intensity fit, HU²; None for the outline fits), ``jacobian_min`` /
    ``jacobian_max`` (determinant range over the baseline lungs) and ``refused`` (why the
    intensity refinement was not kept; empty when it was).
    """

    transform: sitk.Transform
    method: str
    used: str
    quality: dict = field(default_factory=dict)


def _factors(image: sitk.Image, spacing_mm: float) -> list[int]:
    """Integer bin factors (x, y, z) that bring ``image``'s voxel size close to ``spacing_mm``."""
    return [max(1, round(spacing_mm / s)) for s in image.GetSpacing()]


def _binned_mask(labels: sitk.Image, factors: list[int], radius_mm: float = 0.0) -> sitk.Image:
    """Labels > 0 binned by ``factors`` (x, y, z; any voxel of a bin counts), grown by ``radius_mm`` (uint8).

    The grid is that of ``sitk.BinShrink(labels, factors)`` (taken from the binning of one bin), the
    voxels are its bins' maxima > 0 (the voxels of ``BinShrink``'s bin means > 0), computed in NumPy
    without a float copy of the full-size labels.
    """
    (fx, fy, fz), (nx, ny, nz) = factors, (n // f for n, f in zip(labels.GetSize(), factors, strict=True))
    bins = sitk.GetArrayViewFromImage(labels)[:nz * fz, :ny * fy, :nx * fx].reshape(nz, fz, ny, fy, nx * fx)
    rows = np.maximum.reduce(bins, axis=(1, 3))  # over z and y first: whole rows at a time
    binned = rows[..., 0::fx].copy()
    for k in range(1, fx):  # then x, as fx strided maxima (far faster than a max over a short last axis)
        np.maximum(binned, rows[..., k::fx], out=binned)
    coarse = sitk.GetImageFromArray((binned > 0).astype(np.uint8))
    grid = sitk.BinShrink(sitk.RegionOfInterest(labels, factors, [0, 0, 0]), factors)
    coarse.SetOrigin(grid.GetOrigin())
    coarse.SetSpacing(grid.GetSpacing())
    coarse.SetDirection(grid.GetDirection())
    return _grow(coarse, radius_mm)


def _grow(mask: sitk.Image, radius_mm: float) -> sitk.Image:
    """A binary mask (uint8) dilated by ``radius_mm`` (rounded to whole voxels per axis)."""
    radius = [round(radius_mm / s) for s in mask.GetSpacing()]
    return sitk.BinaryDilate(mask, radius) if any(radius) else mask


def _fit_image(ct: sitk.Image, lungs: sitk.Image, factors: list[int]) -> tuple[sitk.Image, sitk.Image]:
    """CT (HU) averaged into bins of ``factors`` voxels, clamped to ``HU_RANGE`` (float32), and its lung region.

    ``lungs``: the lung mask already binned by ``factors`` (``_binned_mask``). Outside the lungs
    (plus ``LUNG_MARGIN_MM``) the image is set to the upper end of the window, so that only the
    lungs and their outline drive the fit.
    """
    binned = sitk.Clamp(sitk.BinShrink(sitk.Cast(ct, sitk.sitkFloat32), factors), sitk.sitkFloat32, *HU_RANGE)
    region = _grow(lungs, LUNG_MARGIN_MM)
    return sitk.Mask(binned, region, outsideValue=HU_RANGE[1]), region


def _neutralise(image: sitk.Image, lungs: sitk.Image, lesions: sitk.Image) -> sitk.Image:
    """``image`` with the ``lesions`` voxels set to the median HU of the rest of ``lungs``: no force there."""
    pixels = sitk.GetArrayFromImage(image)
    lesion = sitk.GetArrayViewFromImage(lesions) > 0
    normal = (sitk.GetArrayViewFromImage(lungs) > 0) & ~lesion
    if lesion.any() and normal.any():
        pixels[lesion] = np.median(pixels[normal])
    out = sitk.GetImageFromArray(pixels)
    out.CopyInformation(image)
    return out


def _jacobian_determinant(field: sitk.Image) -> np.ndarray:
    """Determinant of det(I + grad u) of a displacement field (mm, LPS vectors) as a (z, y, x) array.

    SimpleITK's filter differentiates along the grid's axes and ignores its direction, so the
    vectors are first written in those axes (u @ direction): right for flipped or permuted grids too.
    """
    direction = np.reshape(field.GetDirection(), (3, 3))
    local = sitk.GetImageFromArray(sitk.GetArrayViewFromImage(field) @ direction, isVector=True)
    local.SetSpacing(field.GetSpacing())
    return sitk.GetArrayFromImage(sitk.DisplacementFieldJacobianDeterminant(local))  # a copy: the image is temporary


def jacobian_range(transform: sitk.Transform, lungs: sitk.Image) -> tuple[float, float]:
    """Smallest and largest Jacobian determinant of ``transform`` over ``lungs`` > 0.

    Checked on a ``CHECK_SPACING_MM`` grid over the lungs' extent; <= 0 means the transform folds.
    """
    mask = sitk.BinShrink(sitk.Cast(lungs > 0, sitk.sitkFloat32), _factors(lungs, CHECK_SPACING_MM)) >= 0.5
    grid = sitk.TransformToDisplacementField(transform, sitk.sitkVectorFloat64, mask.GetSize(), mask.GetOrigin(),
                                             mask.GetSpacing(), mask.GetDirection())
    inside = _jacobian_determinant(grid)[sitk.GetArrayViewFromImage(mask) > 0]
    if inside.size == 0:
        return 1.0, 1.0
    return float(inside.min()), float(inside.max())


def _field_jacobian_range(field: sitk.Image, affine: sitk.AffineTransform, lungs: sitk.Image) -> tuple[float, float]:
    """Jacobian determinant range over ``lungs`` > 0 of the demons ``field`` followed by ``affine``.

    Computed on the field's own grid: det(affine matrix) x det(I + grad u), ``lungs`` on that grid.
    """
    inside = _jacobian_determinant(field)[sitk.GetArrayViewFromImage(lungs) > 0]
    scale = float(np.linalg.det(np.reshape(affine.GetMatrix(), (3, 3))))
    if inside.size == 0:
        return scale, scale
    return scale * float(inside.min()), scale * float(inside.max())


def _crop(region: sitk.Image, *images: sitk.Image) -> list[sitk.Image]:
    """``images`` (on ``region``'s grid) cut to the box of ``region`` > 0 grown by ``CROP_MARGIN_VOXELS``."""
    shape = sitk.LabelShapeStatisticsImageFilter()
    shape.Execute(region)
    if not shape.HasLabel(1):
        return list(images)
    box = shape.GetBoundingBox(1)
    low = [max(0, b - CROP_MARGIN_VOXELS) for b in box[:3]]
    high = [min(n, b + w + CROP_MARGIN_VOXELS) for b, w, n in zip(box[:3], box[3:], region.GetSize(), strict=True)]
    size = [h - lo for lo, h in zip(low, high, strict=True)]
    return [sitk.RegionOfInterest(image, size, low) for image in images]


def _demons(fixed: sitk.Image, moving: sitk.Image) -> tuple[sitk.Image, float]:
    """Displacement field (mm, on ``fixed``'s grid) that maps ``fixed`` points to ``moving`` points; final metric.

    Symmetric-forces demons at the ``LEVEL_SPACING_MM`` levels, each started from the field of the last.
    The metric is the mean squared intensity difference (HU²) at the finest level.
    """
    field, metric = None, float("nan")
    finest = fixed.GetSpacing()
    for spacing, iterations in zip(LEVEL_SPACING_MM, ITERATIONS, strict=True):
        factors = [max(1, round(spacing / s)) for s in finest]
        level_fixed, level_moving = sitk.BinShrink(fixed, factors), sitk.BinShrink(moving, factors)
        demons = sitk.FastSymmetricForcesDemonsRegistrationFilter()
        demons.SetNumberOfIterations(iterations)
        demons.SetStandardDeviations(FIELD_SIGMA)
        demons.SetSmoothDisplacementField(True)
        if field is None:
            field = demons.Execute(level_fixed, level_moving)
        else:
            start = sitk.Resample(field, level_fixed, sitk.Transform(), sitk.sitkLinear, 0.0, field.GetPixelID())
            field = demons.Execute(level_fixed, level_moving, start)
        metric = demons.GetMetric()
    return sitk.Resample(field, fixed, sitk.Transform(), sitk.sitkLinear, 0.0, sitk.sitkVectorFloat64), metric


def _coarse_dice(masks: tuple[sitk.Image, sitk.Image], transform: sitk.Transform) -> float:
    """Lung Dice (0–1) of the binned (baseline, follow-up) lung masks: fast enough to judge a refinement."""
    fixed, moving = masks
    warped = sitk.Resample(moving, fixed, transform, sitk.sitkNearestNeighbor, 0)
    return dice(sitk.GetArrayViewFromImage(fixed) > 0, sitk.GetArrayViewFromImage(warped) > 0)


def register_ct(baseline_ct: sitk.Image, baseline_lungs: sitk.Image, baseline_lesions: sitk.Image,
                follow_up_ct: sitk.Image, follow_up_lungs: sitk.Image, follow_up_lesions: sitk.Image) -> Registration:
    """Affine outline fit refined by demons on the CT inside the lungs (see the module docstring).

    CTs in HU; lungs and lesions are label maps on their CT's grid (> 0 = lung, lesion).
    """
    affine = register_lungs(baseline_lungs, follow_up_lungs, "affine")
    finest = LEVEL_SPACING_MM[-1]
    masks = (_binned_mask(baseline_lungs, _factors(baseline_ct, finest)),
             _binned_mask(follow_up_lungs, _factors(follow_up_ct, finest)))
    fixed, fixed_region = _fit_image(baseline_ct, masks[0], _factors(baseline_ct, finest))
    moving, moving_region = _fit_image(follow_up_ct, masks[1], _factors(follow_up_ct, finest))
    # The follow-up moved by the affine fit onto the baseline's fit grid; demons refines from there.
    moved = sitk.Resample(moving, fixed, affine, sitk.sitkLinear, HU_RANGE[1])
    moved_region = sitk.Resample(moving_region, fixed, affine, sitk.sitkNearestNeighbor, 0)
    lesions = sitk.Or(_binned_mask(baseline_lesions, _factors(baseline_ct, finest), LESION_MARGIN_MM),
                      sitk.Resample(_binned_mask(follow_up_lesions, _factors(follow_up_ct, finest), LESION_MARGIN_MM),
                                    fixed, affine, sitk.sitkNearestNeighbor, 0))
    fixed = _neutralise(fixed, fixed_region, lesions)
    moved = sitk.HistogramMatching(_neutralise(moved, moved_region, lesions), fixed, numberOfHistogramLevels=256,
                                   numberOfMatchPoints=15, thresholdAtMeanIntensity=False)
    fixed, moved, fit_lungs = _crop(fixed_region, fixed, moved, masks[0])
    field, metric = _demons(fixed, moved)
    # Composite transforms apply their last transform first: the demons field, then the affine fit.
    # Outside the field's box (beyond the lungs and their margin) the displacement is zero.
    refined = sitk.CompositeTransform([affine, sitk.DisplacementFieldTransform(sitk.Image(field))])
    affine_dice, dice_after = _coarse_dice(masks, affine), _coarse_dice(masks, refined)
    jac_min, jac_max = _field_jacobian_range(field, affine, fit_lungs)
    quality = {"metric": metric, "jacobian_min": jac_min, "jacobian_max": jac_max, "refused": ""}
    if jac_min <= 0:
        quality["refused"] = f"the deformation folds (Jacobian determinant {jac_min:.2f})"
    elif dice_after < affine_dice - MAX_DICE_LOSS:
        quality["refused"] = f"lung Dice fell from {affine_dice:.3f} to {dice_after:.3f}"
    if quality["refused"]:
        jac = float(np.linalg.det(np.reshape(affine.GetMatrix(), (3, 3))))
        quality.update(jacobian_min=jac, jacobian_max=jac)
        return Registration(affine, "intensity", "affine", quality)
    return Registration(refined, "intensity", "intensity", quality)


def register_scans(baseline: tuple, follow_up: tuple, method: str) -> Registration:
    """Register a follow-up to the baseline by ``method`` (one of ``METHODS``).

    ``baseline``, ``follow_up``: (CT in HU, lung labels, lesion labels), the labels on their CT's grid.
    """
    if method not in METHODS:
        raise ValueError(f"unknown registration method {method!r}; choose one of {METHODS}")
    if method == "intensity":
        return register_ct(*baseline, *follow_up)
    transform = register_lungs(baseline[1], follow_up[1], method)
    jac_min, jac_max = jacobian_range(transform, baseline[1])
    return Registration(transform, method, method, {"metric": None, "jacobian_min": jac_min, "jacobian_max": jac_max,
                                                    "refused": ""})
