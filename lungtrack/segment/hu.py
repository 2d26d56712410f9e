"""CT intensities prepared for thresholding: canonical orientation, padding clipped, denoised.

Arrays are (z, y, x) float32 in HU, in canonical LPS orientation (see ``orientation``).
"""

import numpy as np
import SimpleITK as sitk
from scipy import ndimage as ndi

from lungtrack.segment.orientation import spacing_zyx, to_canonical

AIR_HU = -1024.0  # out-of-field padding (-2000, -3024, ...) is clipped to air


def canonical_hu(image: sitk.Image, smooth_mm: float = 1.0):
    """(canonical image, smoothed HU array (z, y, x), spacing (z, y, x) mm).

    Values below ``AIR_HU`` are clipped to it, then a Gaussian of ``smooth_mm`` (mm, in-plane
    only so thick slices are not blurred further) takes the edge off the noise before thresholds.
    """
    canonical = to_canonical(image)
    spacing = spacing_zyx(canonical)
    hu = np.maximum(sitk.GetArrayFromImage(canonical).astype(np.float32), AIR_HU)
    if smooth_mm > 0:
        hu = ndi.gaussian_filter(hu, sigma=(0, smooth_mm / spacing[1], smooth_mm / spacing[2]), truncate=3.0)
    return canonical, hu, spacing


def aerated_lung_hu(values: np.ndarray, low: float = -1000.0, high: float = -500.0) -> float:
    """HU of normal aerated lung: the peak of the histogram of lung ``values`` (HU) in [low, high)
    (10 HU bins, smoothed over 30 HU); lesions add a hump above it but rarely move the peak."""
    counts, edges = np.histogram(values, bins=int((high - low) / 10), range=(low, high))
    if counts.sum() == 0:
        return low
    peak = int(np.argmax(ndi.gaussian_filter1d(counts.astype(float), 3.0)))
    return float(edges[peak] + 5.0)
