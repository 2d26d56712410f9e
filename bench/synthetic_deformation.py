"""A known smooth deformation of a real CT, for measuring registration error without landmarks.

``deform_case`` makes a synthetic follow-up of a baseline CT: a breath-hold scale about the lungs'
centre, a small rotation and shift, and a sum of smooth Gaussian displacement bumps, then noise and
one new ground-glass lesion. ``registration_error`` compares a fitted transform (baseline LPS mm
-> follow-up LPS mm) with the known one at follow-up lung voxels, exactly, without inverting the
deformation: a follow-up point p shows the baseline point q = S(p), so a perfect fit maps q to p.
Used by bench/registration.py and the registration tests.
"""

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

#: Grid spacing (mm) of the synthetic displacement field.
FIELD_SPACING_MM = 4.0


@dataclass
class DeformedCase:
    """Baseline and synthetic follow-up (CT in HU, lung and lesion labels on the baseline's grid).

    ``truth`` maps follow-up points to baseline points (LPS mm), the inverse of what registration fits.
    """

    baseline_ct: sitk.Image
    baseline_lungs: sitk.Image
    baseline_lesions: sitk.Image
    follow_up_ct: sitk.Image
    follow_up_lungs: sitk.Image
    follow_up_lesions: sitk.Image
    truth: sitk.Transform


def _centre(lungs: sitk.Image) -> np.ndarray:
    stats = sitk.LabelShapeStatisticsImageFilter()
    stats.Execute(sitk.Cast(lungs > 0, sitk.sitkUInt8))
    return np.array(stats.GetCentroid(1))


def _bumps(lungs: sitk.Image, rng: np.random.Generator, n: int, amplitude_mm: float,
           sigma_mm: float) -> sitk.DisplacementFieldTransform:
    """Sum of ``n`` Gaussian displacement bumps (random centres in the lungs, random directions)."""
    size = [max(2, round(k * s / FIELD_SPACING_MM)) + 1 for k, s in zip(lungs.GetSize(), lungs.GetSpacing(),
                                                                         strict=True)]
    axes = [lungs.GetOrigin()[i] + FIELD_SPACING_MM * np.arange(size[i]) for i in range(3)]
    z, y, x = np.meshgrid(axes[2], axes[1], axes[0], indexing="ij")
    field = np.zeros((*z.shape, 3))
    points = np.argwhere(sitk.GetArrayViewFromImage(lungs) > 0)
    for _ in range(n):
        centre = lungs.TransformIndexToPhysicalPoint([int(v) for v in points[rng.integers(len(points))][::-1]])
        direction = rng.normal(size=3)
        direction *= amplitude_mm * rng.uniform(0.5, 1.0) / np.linalg.norm(direction)
        weight = np.exp(-((x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2) / (2 * sigma_mm**2))
        field += weight[..., None] * direction
    image = sitk.GetImageFromArray(field, isVector=True)
    image.SetOrigin(lungs.GetOrigin())
    image.SetSpacing([FIELD_SPACING_MM] * 3)
    return sitk.DisplacementFieldTransform(image)


def deform_case(ct: sitk.Image, lungs: sitk.Image, seed: int = 0, breath_scale: float = 1.05,
                amplitude_mm: float = 6.0, sigma_mm: float = 40.0, noise_hu: float = 20.0,
                lesion_radius_mm: float = 12.0) -> DeformedCase:
    """A synthetic follow-up of ``ct`` (HU) with lungs ``lungs`` (labels on its grid); see the module docstring.

    ``breath_scale``: follow-up lung size / baseline lung size (deeper inspiration > 1), mostly along
    z (the diaphragm); ``amplitude_mm``, ``sigma_mm``: size and width of the 4 displacement bumps.
    """
    rng = np.random.default_rng(seed)
    centre = _centre(lungs)
    affine = sitk.AffineTransform(3)
    affine.SetCenter(centre.tolist())
    scale = np.diag([1 / np.sqrt(breath_scale), 1 / np.sqrt(breath_scale), 1 / breath_scale])
    rotation = sitk.Euler3DTransform()
    rotation.SetRotation(*np.radians(rng.uniform(-2, 2, 3)))
    affine.SetMatrix((np.reshape(rotation.GetMatrix(), (3, 3)) @ scale).ravel().tolist())
    affine.SetTranslation(rng.uniform(-5, 5, 3).tolist())
    truth = sitk.CompositeTransform([_bumps(lungs, rng, 4, amplitude_mm, sigma_mm), affine])
    follow_ct = sitk.Resample(sitk.Cast(ct, sitk.sitkFloat32), ct, truth, sitk.sitkLinear, -1024.0)
    follow_lungs = sitk.Resample(lungs, lungs, truth, sitk.sitkNearestNeighbor, 0)
    # one new ground-glass lesion in the follow-up, the baseline has none
    points = np.argwhere(sitk.GetArrayViewFromImage(follow_lungs) > 0)
    site = points[rng.integers(len(points))]
    idx = np.indices(sitk.GetArrayViewFromImage(ct).shape, sparse=True)
    spacing_zyx = np.array(ct.GetSpacing()[::-1])
    ball = sum(((i - c) * s) ** 2 for i, c, s in zip(idx, site, spacing_zyx, strict=True)) <= lesion_radius_mm**2
    lesion = ball & (sitk.GetArrayViewFromImage(follow_lungs) > 0)
    pixels = sitk.GetArrayFromImage(follow_ct)
    pixels[lesion] = np.maximum(pixels[lesion], -550.0)
    pixels += rng.normal(0, noise_hu, pixels.shape).astype(np.float32)
    follow_ct = _like(np.clip(pixels, -1024, 3071).round().astype(np.int16), ct)
    follow_lesions = _like(lesion.astype(np.uint8), ct)
    baseline_lesions = _like(np.zeros(lesion.shape, np.uint8), ct)
    return DeformedCase(ct, lungs, baseline_lesions, follow_ct, follow_lungs, follow_lesions, truth)


def _like(array: np.ndarray, reference: sitk.Image) -> sitk.Image:
    image = sitk.GetImageFromArray(array)
    image.CopyInformation(reference)
    return image


def registration_error(case: DeformedCase, transform: sitk.Transform, n_points: int = 20000,
                       seed: int = 0) -> dict:
    """Error (mm) of ``transform`` against the known deformation at random follow-up lung voxels.

    Returns mean, p95 and max of |transform(truth(p)) - p| over ``n_points`` lung voxels p.
    """
    rng = np.random.default_rng(seed)
    voxels = np.argwhere(sitk.GetArrayViewFromImage(case.follow_up_lungs) > 0)
    voxels = voxels[rng.choice(len(voxels), min(n_points, len(voxels)), replace=False)]
    errors = np.empty(len(voxels))
    for i, (z, y, x) in enumerate(voxels):
        p = case.follow_up_ct.TransformIndexToPhysicalPoint((int(x), int(y), int(z)))
        errors[i] = np.linalg.norm(np.subtract(transform.TransformPoint(case.truth.TransformPoint(p)), p))
    return {"mean_mm": float(errors.mean()), "p95_mm": float(np.percentile(errors, 95)),
            "max_mm": float(errors.max())}
