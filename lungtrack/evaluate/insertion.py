"""Real lesion shapes inserted into a real CT, so that a segmenter's sensitivity can be measured there.

A binary lesion mask from another scan (e.g. a MosMedData expert mask of GGO + consolidation) is used
as a shape: it is carried onto the CT's grid (physical mm, no shape change in-plane, its field of
view centred on the CT's lungs, its z extent stretched onto the lungs' z extent) and kept inside
the CT's lung mask. The CT's own HU are then changed there as COVID-19 changes lung:

- ground glass: ``hu + alpha * (target - hu)`` where ``hu`` is below the target (aerated lung gets
  denser, vessels and bronchial walls stay visible), plus spatially correlated texture noise;
- consolidation core (lesion voxels deeper than ``core_depth_mm``): ``max(hu, target)`` plus
  noise, except where the original is below ``bronchogram_hu`` (air bronchograms stay air; not
  applied to ground glass, since aerated lung itself is below -900 HU in some scans).

Arrays are (z, y, x); HU; spacing (z, y, x) mm unless named ``GetSpacing`` (x, y, z).
"""

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk
from scipy import ndimage as ndi

from lungtrack.labels import CONSOLIDATION, GGO
from lungtrack.segment.morphology import bounding_box


@dataclass(frozen=True)
class LesionLook:
    """How an inserted lesion looks: ``ggo_hu`` (HU) the ground-glass target, ``alpha`` (0-1) its
    blend weight, ``core_hu`` (HU) the consolidation target or None (pure ground glass),
    ``core_depth_mm`` (mm) how deep inside the lesion consolidation starts, ``noise_hu`` (HU, SD)
    and ``noise_mm`` (mm, Gaussian sigma) of the texture."""

    ggo_hu: float
    alpha: float = 0.9
    core_hu: float | None = None
    core_depth_mm: float = 6.0
    noise_hu: float = 25.0
    noise_mm: float = 1.5


def random_look(rng: np.random.Generator, consolidation: bool) -> LesionLook:
    """A look drawn from the ranges of COVID-19 lesions: GGO -750..-400 HU, consolidation -100..+40 HU."""
    return LesionLook(
        ggo_hu=float(rng.uniform(-750.0, -400.0)),
        alpha=float(rng.uniform(0.8, 1.0)),
        core_hu=float(rng.uniform(-100.0, 40.0)) if consolidation else None,
        core_depth_mm=float(rng.uniform(4.0, 8.0)),
    )


def place_shape(shape: sitk.Image, lungs: sitk.Image) -> np.ndarray:
    """The non-zero voxels of ``shape`` carried onto ``lungs``' grid, inside its lungs (> 0); (z, y, x) bool.

    In-plane the shape keeps its size in mm, its field-of-view centre put on the centre of the lungs'
    bounding box; along z its field of view is stretched onto the lungs' z extent (a chest scan covers
    about the lungs). Nearest neighbour, so the shape's voxels are not smoothed.
    """
    lung = sitk.GetArrayFromImage(lungs) > 0
    if not lung.any():
        return lung
    idx = np.argwhere(lung)
    lo, hi = idx.min(axis=0), idx.max(axis=0)
    ends = [lungs.TransformContinuousIndexToPhysicalPoint([float(v) for v in p[::-1]]) for p in (lo, hi)]
    lung_centre = (np.asarray(ends[0]) + np.asarray(ends[1])) / 2
    lung_z = abs(ends[1][2] - ends[0][2]) + lungs.GetSpacing()[2]
    size = np.asarray(shape.GetSize(), dtype=float)
    shape_centre = np.asarray(shape.TransformContinuousIndexToPhysicalPoint(list((size - 1) / 2)))
    shape_z = size[2] * shape.GetSpacing()[2]
    transform = sitk.AffineTransform(3)
    transform.SetCenter(tuple(lung_centre))
    transform.SetMatrix((1.0, 0, 0, 0, 1.0, 0, 0, 0, shape_z / lung_z))
    transform.SetTranslation(tuple(shape_centre - lung_centre))
    shape = sitk.Cast(shape > 0, sitk.sitkUInt8)
    placed = sitk.Resample(shape, lungs, transform, sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    return (sitk.GetArrayFromImage(placed) > 0) & lung


def insert_lesion(hu: np.ndarray, lesion: np.ndarray, spacing, look: LesionLook, rng: np.random.Generator,
                  bronchogram_hu: float = -900.0) -> tuple[np.ndarray, np.ndarray]:
    """(new HU array (float32), truth labels (uint8: 0, 1 GGO, 2 consolidation)) of ``lesion`` in ``hu``.

    ``hu`` and ``lesion`` are (z, y, x) on the same grid with ``spacing`` (z, y, x) mm; see the
    module doc for the HU model. Consolidation needs ``look.core_hu``.
    """
    new = hu.astype(np.float32)
    labels = np.zeros(hu.shape, dtype=np.uint8)
    if not lesion.any():
        return new, labels
    box = bounding_box(lesion, [int(np.ceil(3 * look.noise_mm / s)) + 1 for s in spacing])
    inside, old = lesion[box], new[box]
    noise = ndi.gaussian_filter(rng.standard_normal(old.shape).astype(np.float32), [look.noise_mm / s for s in spacing])
    noise *= look.noise_hu / max(float(noise.std()), 1e-6)
    out = old.copy()
    out[inside] = old[inside] + np.maximum(look.alpha * (look.ggo_hu - old[inside]), 0.0) + noise[inside]
    box_labels = np.where(inside, GGO, 0).astype(np.uint8)
    if look.core_hu is not None:
        deep = ndi.distance_transform_edt(inside, sampling=spacing) > look.core_depth_mm
        core = deep & (old >= bronchogram_hu)
        out[core] = np.maximum(old[core], look.core_hu) + noise[core]
        box_labels[deep] = CONSOLIDATION
    new[box], labels[box] = out, box_labels
    return new, labels
