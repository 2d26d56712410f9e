"""Bright tubes in the lung (vessels, also those blurred by thick slices) from Hessian eigenvalues.

A vessel running obliquely through a 5 mm slice is smeared into a faint ellipse of ground-glass
HU that never reaches the consolidation range, so a threshold alone takes it (and the haze
around it) for ground glass. Its shape still tells: across a tube the intensity curves down
in two directions and hardly along it, while a lesion patch is flat inside and curves in all
three directions at its edge. Per scale sigma the scale-normalised Hessian (sigma^2 times the
second derivatives of the Gaussian-smoothed HU) gives eigenvalues |l1| <= |l2| <= |l3|, and
Frangi's tube measure (Frangi et al., MICCAI 1998) for bright tubes (l2, l3 < 0):

    (1 - exp(-Ra^2 / 2a^2)) * exp(-Rb^2 / 2b^2) * (1 - exp(-S^2 / 2c^2)),
    Ra = |l2| / |l3|, Rb = |l1| / sqrt(|l2 l3|), S = sqrt(l1^2 + l2^2 + l3^2) (HU)

is taken at its maximum over the scales. Work is done on a coarse grid of about ``grid_mm``
(block means; thick slices stay single slices), inside the lung's bounding box, and the result
is repeated back onto the full grid. Arrays are (z, y, x), HU, spacing (z, y, x) in mm.
"""

import numpy as np
from scipy import ndimage as ndi

from lungtrack.segment.coarse import block_mean, block_steps, to_fine
from lungtrack.segment.morphology import bounding_box, dilate


def tube_measure(hu: np.ndarray, spacing, where: np.ndarray, scales_mm=(1.5, 3.0), alpha: float = 0.5,
                 beta: float = 0.5, contrast_hu: float = 150.0) -> np.ndarray:
    """Frangi tube measure (0-1, float32) of bright tubes in ``hu`` at the voxels of ``where``
    (0 elsewhere), the maximum over ``scales_mm`` (mm, Gaussian sigma); ``contrast_hu`` (HU) is the
    scale-normalised curvature strength at which a tube counts half (c above)."""
    out = np.zeros(hu.shape, dtype=np.float32)
    if not where.any():
        return out
    idx = np.nonzero(where)
    for sigma_mm in scales_mm:
        sigma = [sigma_mm / s for s in spacing]
        hessian = np.empty((len(idx[0]), 3, 3), dtype=np.float32)
        for i in range(3):
            for j in range(i, 3):
                order = [0, 0, 0]
                order[i] += 1
                order[j] += 1
                d = ndi.gaussian_filter(hu, sigma, order=order, truncate=3.0)[idx] * sigma_mm**2
                d /= spacing[i] * spacing[j]
                hessian[:, i, j] = hessian[:, j, i] = d
        lam = np.linalg.eigvalsh(hessian)
        rank = np.argsort(np.abs(lam), axis=1)  # |l1| <= |l2| <= |l3|
        l1, l2, l3 = (np.take_along_axis(lam, rank[:, k : k + 1], axis=1)[:, 0] for k in range(3))
        ra = np.abs(l2) / np.maximum(np.abs(l3), 1e-6)
        rb = np.abs(l1) / np.sqrt(np.maximum(np.abs(l2 * l3), 1e-6))
        s2 = l1**2 + l2**2 + l3**2
        v = (1 - np.exp(-(ra**2) / (2 * alpha**2))) * np.exp(-(rb**2) / (2 * beta**2))
        v *= 1 - np.exp(-s2 / (2 * contrast_hu**2))
        v[(l2 > 0) | (l3 > 0)] = 0.0
        out[idx] = np.maximum(out[idx], v)
    return out


def tubes(hu: np.ndarray, lung: np.ndarray, spacing, threshold: float = 0.5, margin_mm: float = 0.0,
          grid_mm: float = 2.0, **measure_opts) -> np.ndarray:
    """Voxels (bool, (z, y, x)) of ``lung`` within ``margin_mm`` (mm, the tubes' partial-volume
    rim) of a voxel whose tube measure (:func:`tube_measure`, on a grid of about ``grid_mm`` mm)
    is at least ``threshold``."""
    out = np.zeros(hu.shape, dtype=bool)
    if not lung.any():
        return out
    steps = block_steps(spacing, grid_mm)
    box = bounding_box(lung, [2 * k for k in steps])
    coarse_spacing = tuple(s * k for s, k in zip(spacing, steps))
    measure = tube_measure(block_mean(hu[box], steps), coarse_spacing, block_mean(lung[box], steps) > 0,
                           **measure_opts)
    found = dilate(measure >= threshold, margin_mm, coarse_spacing)
    out[box] = to_fine(found, steps, out[box].shape)
    return out & lung
