"""CT intensities prepared for thresholding: canonical orientation, padding clipped, denoised.

Arrays are (z, y, x) float32 in HU, in canonical LPS orientation (see ``orientation``).
"""

import numpy as np
import SimpleITK as sitk
from scipy import ndimage as ndi

from lungtrack.segment.orientation import spacing_zyx, to_canonical
from lungtrack.segment.parallel import slabs, thread_map

AIR_HU = -1024.0  # out-of-field padding (-2000, -3024, ...) is clipped to air


_TRUNCATE = 3.0  # the Gaussian's reach, in standard deviations


def canonical_hu(image: sitk.Image, smooth_mm: float = 1.0, region=None):
    """(canonical image, smoothed HU array (z, y, x), spacing (z, y, x) mm).

    Values below ``AIR_HU`` are clipped to it, then a Gaussian of ``smooth_mm`` (mm, in-plane
    only so thick slices are not blurred further) takes the edge off the noise before thresholds.
    ``region``: (z, y, x) slices of the canonical array; only that part is returned, computed from
    a crop with the Gaussian's reach around it, so its values equal those of the whole volume.
    """
    canonical = to_canonical(image)
    spacing = spacing_zyx(canonical)
    sigma = (0, smooth_mm / spacing[1], smooth_mm / spacing[2]) if smooth_mm > 0 else (0, 0, 0)
    raw = sitk.GetArrayViewFromImage(canonical)
    region = region or tuple(slice(0, n) for n in raw.shape)
    reach = [int(_TRUNCATE * s + 0.5) for s in sigma]  # scipy's kernel radius per axis (voxels)
    padded = tuple(slice(max(r.start - m, 0), min(r.stop + m, n)) for r, m, n in zip(region, reach, raw.shape))
    hu = raw[padded].astype(np.float32)
    np.maximum(hu, AIR_HU, out=hu)
    if smooth_mm > 0:  # in-plane only: slabs of slices are filtered apart, on threads, line by line in place (exact)
        thread_map(lambda z: ndi.gaussian_filter(hu[z], sigma=sigma, truncate=_TRUNCATE, output=hu[z]),
                   slabs(hu.shape[0]))
    inner = tuple(slice(r.start - p.start, r.stop - p.start) for r, p in zip(region, padded))
    return canonical, hu[inner], spacing


def aerated_lung_hu(values: np.ndarray, low: float = -1000.0, high: float = -500.0) -> float:
    """HU of normal aerated lung: the peak of the histogram of lung ``values`` (HU) in [low, high)
    (10 HU bins, smoothed over 30 HU); lesions add a hump above it but rarely move the peak."""
    counts, edges = np.histogram(values, bins=int((high - low) / 10), range=(low, high))
    if counts.sum() == 0:
        return low
    peak = int(np.argmax(ndi.gaussian_filter1d(counts.astype(float), 3.0)))
    return float(edges[peak] + 5.0)
