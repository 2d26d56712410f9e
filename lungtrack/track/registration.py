"""Register a follow-up scan to the patient's baseline scan, driven by the lung masks.

The images registered are the signed distances (mm) to the lung surface on a coarse isotropic
grid, not the CT intensities: lesions change the lung's HU from scan to scan, the lung outline
does not. Rigid (Euler) first, then affine and optionally a B-spline deformation, each
initialised by the previous. The transform maps baseline points (LPS mm) to follow-up points,
as ``sitk.Resample(follow_up, baseline, transform)`` expects.
"""

import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.io.atomic import atomic_path
from lungtrack.io.images import same_grid
from lungtrack.measure.overlap import dice
from lungtrack.track.label_warp import warp_label_array

METHODS = ("rigid", "affine", "bspline")
#: Grid spacing (mm) of the distance images the registration compares.
COARSE_SPACING_MM = 4.0
#: Distances beyond this (mm) from the lung surface are clamped: only the outline drives the fit.
DISTANCE_CLAMP_MM = 20.0
#: B-spline control grid: mesh cells per axis over the baseline lungs.
BSPLINE_MESH = (4, 4, 4)
#: The outline fit's metric is computed on a random ``METRIC_FRACTION`` (0–1) of the coarse grid's
#: voxels, but on no more than about ``METRIC_SAMPLES`` of them (10 % at 512 x 512 x 300).
METRIC_FRACTION = 0.3
METRIC_SAMPLES = 60_000
_SEED = 20200301


def _coarse_mask(lungs: sitk.Image) -> sitk.Image:
    """Lung mask (any label > 0) resampled onto a ``COARSE_SPACING_MM`` isotropic grid (uint8)."""
    mask = sitk.Clamp(lungs, sitk.sitkFloat32, 0.0, 1.0)  # labels > 0 -> 1 in one pass
    size = [max(1, round(n * s / COARSE_SPACING_MM)) for n, s in zip(lungs.GetSize(), lungs.GetSpacing(), strict=True)]
    coarse = sitk.Resample(mask, size, sitk.Transform(), sitk.sitkLinear, lungs.GetOrigin(),
                           [COARSE_SPACING_MM] * 3, lungs.GetDirection(), 0.0, sitk.sitkFloat32)
    return sitk.Cast(coarse >= 0.5, sitk.sitkUInt8)


def _distance_image(mask: sitk.Image) -> sitk.Image:
    """Signed distance to the lung surface in mm (negative inside), clamped to ±``DISTANCE_CLAMP_MM``."""
    distance = sitk.SignedMaurerDistanceMap(mask, insideIsPositive=False, squaredDistance=False, useImageSpacing=True)
    return sitk.Clamp(distance, sitk.sitkFloat32, -DISTANCE_CLAMP_MM, DISTANCE_CLAMP_MM)


def _optimise(fixed: sitk.Image, moving: sitk.Image, transform: sitk.Transform, *, bspline: bool = False,
              moving_initial: sitk.Transform | None = None) -> sitk.Transform:
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMeanSquares()
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentage(min(METRIC_FRACTION, METRIC_SAMPLES / fixed.GetNumberOfPixels()), _SEED)
    reg.SetInterpolator(sitk.sitkLinear)
    if bspline:
        reg.SetOptimizerAsLBFGSB(gradientConvergenceTolerance=1e-5, numberOfIterations=50,
                                 maximumNumberOfCorrections=5, maximumNumberOfFunctionEvaluations=200)
    else:
        reg.SetOptimizerAsRegularStepGradientDescent(learningRate=4.0, minStep=1e-3, numberOfIterations=150,
                                                     relaxationFactor=0.6)
        reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetShrinkFactorsPerLevel([2, 1])
    reg.SetSmoothingSigmasPerLevel([1.0, 0.0])
    reg.SmoothingSigmasAreSpecifiedInPhysicalUnitsOff()
    if moving_initial is not None:
        reg.SetMovingInitialTransform(moving_initial)
    reg.SetInitialTransform(transform, inPlace=True)
    reg.Execute(fixed, moving)
    return transform


def register_lungs(baseline_lungs: sitk.Image, follow_up_lungs: sitk.Image, method: str = "affine") -> sitk.Transform:
    """Transform from baseline space to follow-up space (LPS mm) fitted to the two lung masks.

    ``method``: ``rigid``, ``affine`` (rigid, then affine) or ``bspline`` (rigid, affine, then a
    B-spline deformation; returned as a composite transform).
    """
    if method not in METHODS:
        raise ValueError(f"unknown registration method {method!r}; choose one of {METHODS}")
    fixed_mask, moving_mask = _coarse_mask(baseline_lungs), _coarse_mask(follow_up_lungs)
    fixed, moving = _distance_image(fixed_mask), _distance_image(moving_mask)
    rigid = sitk.CenteredTransformInitializer(fixed_mask, moving_mask, sitk.Euler3DTransform(),
                                              sitk.CenteredTransformInitializerFilter.MOMENTS)
    rigid = sitk.Euler3DTransform(_optimise(fixed, moving, rigid))
    if method == "rigid":
        return rigid
    affine = sitk.AffineTransform(3)
    affine.SetCenter(rigid.GetCenter())
    affine.SetMatrix(rigid.GetMatrix())
    affine.SetTranslation(rigid.GetTranslation())
    affine = _optimise(fixed, moving, affine)
    if method == "affine":
        return affine
    deformation = sitk.BSplineTransformInitializer(fixed, BSPLINE_MESH)
    deformation = _optimise(fixed, moving, deformation, bspline=True, moving_initial=affine)
    # Composite transforms apply their last transform first: deformation, then affine.
    return sitk.CompositeTransform([affine, deformation])


def warp_labels(labels: sitk.Image, reference: sitk.Image, transform: sitk.Transform) -> sitk.Image:
    """A label map moved onto ``reference``'s grid (nearest neighbour; 0 outside).

    The identity onto the label map's own grid returns it as it is, without resampling.
    """
    if transform.GetTransformEnum() == sitk.sitkIdentity and same_grid(labels, reference):
        return labels
    warped = sitk.GetImageFromArray(warp_label_array(labels, reference, transform))
    warped.CopyInformation(reference)
    return warped


def warp_image(image: sitk.Image, reference: sitk.Image, transform: sitk.Transform,
               fill: float = -1024.0) -> sitk.Image:
    """A CT image (HU) moved onto ``reference``'s grid (linear; air outside)."""
    return sitk.Resample(image, reference, transform, sitk.sitkLinear, fill, image.GetPixelID())


def lung_dice(baseline_lungs: sitk.Image, follow_up_lungs: sitk.Image, transform: sitk.Transform) -> float:
    """Dice (0–1) of the baseline lung mask with the follow-up lung mask warped by ``transform``."""
    # Nearest neighbour copies voxel values, so the moved labels > 0 are the moved mask of labels > 0.
    warped = warp_label_array(follow_up_lungs, baseline_lungs, transform)
    return dice(sitk.GetArrayViewFromImage(baseline_lungs) > 0, warped > 0)


def write_transform(transform: sitk.Transform, path) -> None:
    """Save a transform (ITK .tfm / .h5) so that the follow-up can be resampled again later."""
    with atomic_path(path) as tmp:
        sitk.WriteTransform(transform, str(tmp))


def read_transform(path) -> sitk.Transform:
    """A transform saved by :func:`write_transform`; raises :class:`InputError` naming the file if unreadable."""
    try:
        return sitk.ReadTransform(str(path))
    except RuntimeError as exc:
        raise InputError(path, f"not a readable transform ({str(exc).strip().splitlines()[-1]})") from None


def identity() -> sitk.Transform:
    """The identity: positions compared as they are in scanner coordinates (before registration)."""
    return sitk.Transform(3, sitk.sitkIdentity)

