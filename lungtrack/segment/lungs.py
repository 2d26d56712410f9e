"""Lung segmentation from HU alone (the ``threshold`` backend): 0 background, 1 right, 2 left.

Steps, on the canonical LPS volume (arrays (z, y, x), x = 0 at the patient's right):
body (table and outside air removed) -> air inside the body -> trachea and main bronchi removed
-> lung components chosen (bowel and stomach gas left out) -> right/left split -> vessels and
enclosed lesions filled per slice -> dense lesions against the chest wall filled back.
"""

import logging

import numpy as np
import SimpleITK as sitk

from lungtrack.io.images import spacing_volume_ml
from lungtrack.labels import LEFT, RIGHT
from lungtrack.segment.airways import track_airways
from lungtrack.segment.body import body_mask
from lungtrack.segment.hu import aerated_lung_hu, canonical_hu
from lungtrack.segment.morphology import dilate, fill_holes_2d
from lungtrack.segment.orientation import from_canonical
from lungtrack.segment.pleura import fill_wall_lesions
from lungtrack.segment.sides import body_midline, right_left, select_lungs

log = logging.getLogger(__name__)



def segment_lungs_threshold(
    image: sitk.Image,
    lung_hu: float = -400.0,
    body_hu: float = -500.0,
    airway_hu: float | None = None,
    airway_rim_mm: float = 3.0,
    smooth_mm: float = 1.0,
) -> sitk.Image:
    """Right (1) and left (2) lung labels (uint8) on ``image``'s grid, from HU thresholds.

    - ``lung_hu`` (HU): aerated lung is below it; -400 is halfway between lung (about -850) and
      soft tissue (about +40), so partial-volume voxels at the pleura count when half is lung.
    - ``body_hu`` (HU): tissue of the body and the table is above it (see ``body.body_mask``).
    - ``airway_hu`` (HU): airway lumen is below it; None = halfway between air (-1000) and the
      scan's aerated lung (the peak of its histogram, about -850), at most -900, so that neither
      noise in the lumen nor the lung beyond a thin wall breaks the airway walk
      (``airways.track_airways``).
    - ``airway_rim_mm`` (mm): margin around the airway lumen removed with it, at least two in-plane
      voxels: the lumen's edge, blurred towards its wall, is above ``airway_hu`` but still air.
    - ``smooth_mm`` (mm): in-plane Gaussian applied before every threshold.
    Dense lesions against the chest wall are filled back by ``pleura.fill_wall_lesions``.
    """
    canonical, hu, spacing = canonical_hu(image, smooth_mm)
    body = body_mask(hu, spacing, tissue_hu=body_hu)
    air = (hu < lung_hu) & body
    if airway_hu is None:
        airway_hu = min((-1000.0 + aerated_lung_hu(hu[air])) / 2, -900.0)
    airway = track_airways((hu < airway_hu) & body, body, spacing)
    np.greater(air, dilate(airway, max(airway_rim_mm, 2 * max(spacing[1:])), spacing), out=air)  # air & ~rim
    airway_voxels = np.count_nonzero(airway)
    del airway  # the masks of the steps before are freed as soon as they are used (peak memory)
    midline = body_midline(body)
    right, left = right_left(select_lungs(air, midline), hu, spacing, midline)
    del air
    right, left = (fill_holes_2d(m) for m in (right, left))
    right, left = fill_wall_lesions([right, left], body, hu, spacing)
    right, left = (fill_holes_2d(m) for m in (right, left))
    labels = np.zeros(hu.shape, dtype=np.uint8)
    np.copyto(labels, LEFT, where=left)  # where= writes in place: no index arrays of the masks
    np.copyto(labels, RIGHT, where=right)  # right wins where both are set
    ml = spacing_volume_ml(spacing)
    right_voxels = np.count_nonzero(right)
    log.info(
        "lungs: right %.0f mL, left %.0f mL, airway %.0f mL removed",
        right_voxels * ml,
        (np.count_nonzero(labels) - right_voxels) * ml,
        airway_voxels * ml,
    )
    return from_canonical(labels, canonical, image)
