"""From tissue labels to a CT image in Hounsfield units.

Intensities are derived from the labels only: base HU per tissue (lesions carry their own HU),
plus smooth texture, a gravity gradient in the lungs, a mild partial-volume blur (sigma
``blur_voxels`` voxels, so each voxel is still dominated by its own label) and Gaussian noise.
"""

import numpy as np
from scipy import ndimage

from lungtrack.phantom.anatomy import Tissue

BASE_HU = {
    Tissue.AIR: -1000.0, Tissue.FAT: -95.0, Tissue.MUSCLE: 45.0, Tissue.SOFT: 38.0,
    Tissue.BLOOD: 42.0, Tissue.LIVER: 58.0, Tissue.ABDOMEN: 35.0, Tissue.CORTICAL_BONE: 650.0,
    Tissue.SPONGY_BONE: 220.0, Tissue.DISC: 80.0, Tissue.CSF: 12.0, Tissue.LUNG: -855.0,
    Tissue.VESSEL: 40.0, Tissue.AIRWAY: -995.0, Tissue.GAS: -990.0, Tissue.FLUID: 15.0,
    Tissue.TABLE_SHELL: 250.0, Tissue.TABLE_FOAM: -920.0,
}
TEXTURE_HU = {
    Tissue.FAT: 8.0, Tissue.MUSCLE: 8.0, Tissue.SOFT: 8.0, Tissue.LIVER: 6.0,
    Tissue.CORTICAL_BONE: 80.0, Tissue.SPONGY_BONE: 40.0, Tissue.LUNG: 18.0, Tissue.VESSEL: 5.0,
    Tissue.GGO: 35.0, Tissue.CONSOLIDATION: 12.0,
}
LUNG_GRAVITY_HU = 35.0  # dependent (posterior) lung is denser by this much than anterior lung
MIN_HU, MAX_HU = -1024, 3071


def _lookup(table: dict, default: float) -> np.ndarray:
    values = np.full(len(Tissue), default, dtype=np.float32)
    for tissue, value in table.items():
        values[tissue] = value
    return values


def smooth_texture(rng: np.random.Generator, shape, sigma_voxels: float = 1.5) -> np.ndarray:
    """Smooth random field (float32, zero mean, unit standard deviation) of ``shape``."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape, dtype=np.float32), sigma_voxels, truncate=2.5)
    return field / max(float(field.std()), 1e-6)


def to_hounsfield(tissue, lesion_hu, lung_depth, rng, options, fov_mask=None) -> np.ndarray:
    """CT image (int16 HU, (z, y, x)) from the tissue map.

    tissue: uint8 ``Tissue`` codes; lesion_hu: float32 HU used where tissue is GGO or
    CONSOLIDATION; lung_depth: float32 in [-1, 1], anterior to posterior, for the gravity gradient;
    fov_mask: True inside the circular field of view (outside gets ``options.fov_padding``).
    """
    texture = smooth_texture(rng, tissue.shape)
    hu = _lookup(BASE_HU, 0.0)[tissue]
    lesion = (tissue == Tissue.GGO) | (tissue == Tissue.CONSOLIDATION)
    hu[lesion] = lesion_hu[lesion]
    hu += _lookup(TEXTURE_HU, 0.0)[tissue] * texture
    lung = tissue == Tissue.LUNG
    hu[lung] += 0.5 * LUNG_GRAVITY_HU * lung_depth[lung]
    if options.blur_voxels > 0:
        hu = ndimage.gaussian_filter(hu, options.blur_voxels, truncate=3.0)
    hu += rng.standard_normal(hu.shape, dtype=np.float32) * np.float32(options.noise_hu)
    np.clip(hu, MIN_HU, MAX_HU, out=hu)
    ct = np.rint(hu).astype(np.int16)
    if fov_mask is not None and options.fov_padding is not None:
        ct[:, ~fov_mask] = options.fov_padding
    return ct
