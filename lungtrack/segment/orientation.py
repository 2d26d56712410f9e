"""Canonical orientation for segmentation.

Segmentation works on ``sitk.DICOMOrient(image, "LPS")``: its array axes (z, y, x) run from the
feet (z = 0) to the head, from anterior (y = 0) to posterior and from the patient's right (x = 0)
to the left. Results are put back on the input's own grid by the inverse reorientation.
"""

import numpy as np
import SimpleITK as sitk

from lungtrack.io.images import same_grid


def is_canonical(image: sitk.Image) -> bool:
    """Whether ``image``'s axes are in LPS order already (reorienting it would change no voxel)."""
    return sitk.DICOMOrientImageFilter.GetOrientationFromDirectionCosines(image.GetDirection()) == "LPS"


def to_canonical(image: sitk.Image) -> sitk.Image:
    """Reorient ``image`` (permute and flip axes, no resampling) to LPS; ``image`` itself when it is in LPS
    already (no copy of its voxels)."""
    return image if is_canonical(image) else sitk.DICOMOrient(image, "LPS")


def spacing_zyx(image: sitk.Image) -> tuple[float, float, float]:
    """Voxel size in mm in array order (z, y, x)."""
    return tuple(float(s) for s in image.GetSpacing()[::-1])


def from_canonical(labels: np.ndarray, canonical: sitk.Image, reference: sitk.Image) -> sitk.Image:
    """Put a uint8 (z, y, x) label array computed on ``canonical`` back on ``reference``'s grid."""
    image = sitk.GetImageFromArray(labels.astype(np.uint8, copy=False))
    image.CopyInformation(canonical)
    code = sitk.DICOMOrientImageFilter.GetOrientationFromDirectionCosines(reference.GetDirection())
    image = sitk.DICOMOrient(image, code)
    if not same_grid(image, reference, tol_mm=1e-2):
        raise RuntimeError("reorientation did not return to the input grid")
    image.CopyInformation(reference)
    return image
