"""Lesions inside the lungs from HU alone (the ``threshold`` backend): 0, 1 GGO, 2 consolidation.

On the canonical LPS volume (arrays (z, y, x), HU, spacing (z, y, x) mm), inside the lung mask:
- the layer of lung voxels touching the outside of the lung is left out at first: it is partial
  volume with the wall, the mediastinum or the diaphragm and looks like ground glass;
- dense voxels (consolidation range) that survive an opening with a ball wider than the vessels,
  plus the dense voxels within that ball's radius of them (the edges the opening rounded off),
  are consolidation; the thin dense rest is vessels and bronchial walls (tubes, not blobs);
- tissue between the two lungs' aerated outlines is mediastinum that the lung mask took in,
  never lesion (``mediastinum``);
- ground-glass-range voxels that belong to structures thick enough to hold a ball of a few mm
  (thin ones are small blurred vessels), do not hug a vessel (its partial-volume rim) and do not
  lie on a Hessian tube (``vessels``: vessels smeared by thick slices) are GGO, and so are the
  other such candidates connected to them within a reach (``ggo``: margins, thin extensions);
  the lower GGO threshold follows the scan's own aerated lung (histogram peak) within limits;
- components smaller than a minimum volume are dropped, then each lesion takes back its own
  edge (up to two voxels of lesion-range HU next to it, including the boundary layer).
"""

import logging

import numpy as np
import SimpleITK as sitk

from lungtrack.io.images import spacing_volume_ml
from lungtrack.labels import CONSOLIDATION, GGO
from lungtrack.segment.ball import dilate_sparse
from lungtrack.segment.ggo import grow_ground_glass
from lungtrack.segment.hu import aerated_lung_hu, canonical_hu
from lungtrack.segment.mediastinum import mediastinum
from lungtrack.segment.morphology import bounding_box, dilate, opening, reach, remove_small
from lungtrack.segment.neighbours import dilate_faces, erode_faces
from lungtrack.segment.orientation import from_canonical, spacing_zyx, to_canonical
from lungtrack.segment.vessels import tubes

log = logging.getLogger(__name__)


def segment_lesions_threshold(
    image: sitk.Image,
    lungs: sitk.Image,
    ggo_hu: float = -700.0,
    ggo_margin_hu: float = 150.0,
    ggo_max_hu: float = -600.0,
    consolidation_hu: float = -250.0,
    max_hu: float = 150.0,
    vessel_radius_mm: float = 4.0,
    vessel_rim_mm: float = 2.0,
    ggo_radius_mm: float = 5.0,
    ggo_grow_mm: float = 10.0,
    min_volume_mm3: float = 100.0,
    smooth_mm: float = 1.0,
    mediastinal_prior: bool = True,
    tube_threshold: float | None = 0.2,
    tube_margin_mm: float = 2.0,
    stages: dict | None = None,
) -> sitk.Image:
    """GGO (1) and consolidation (2) labels (uint8) on ``image``'s grid, inside ``lungs`` (> 0).

    - ``ggo_hu`` (HU): lesion starts here at the earliest; normal aerated lung is about -850,
      faint ground glass about -650, so -700 separates them with the noise of both.
    - ``ggo_margin_hu`` (HU): the GGO threshold is raised to the patient's own aerated lung (the
      peak of the lung histogram, ``hu.aerated_lung_hu``) plus this margin, for scans in shallow
      inspiration or with dense dependent lung, where normal lung itself is -750 to -650;
    - ``ggo_max_hu`` (HU): ... but never above this, since in a lung mostly filled with ground
      glass the peak is the ground glass itself.
    - ``consolidation_hu`` (HU): halfway between dense ground glass (about -450) and consolidation
      (about -50 to +50), so a voxel on their border is consolidation when more than half of it is.
    - ``max_hu`` (HU): denser voxels (calcification, contrast, bone) are never lesion.
    - ``vessel_radius_mm`` (mm): dense structures thinner than twice this are vessels.
    - ``vessel_rim_mm`` (mm, at least one in-plane voxel): ground glass this close to a vessel or
      bronchial wall is its partial-volume rim, not lesion (lesion edges grow back afterwards).
    - ``ggo_radius_mm`` (mm): lesion tissue must hold a ball of this radius; thinner structures
      in the ground-glass range are vessels and bronchial walls blurred by partial volume, or
      shells. On real chest CT with 5 mm slices the haze around the hilar vessels holds a 3 mm
      ball (false-positive POI with the tube step 0.4-0.6 % at 3 mm, 0.3-0.5 % at 4 mm, 0.2 % at
      5 mm); ground-glass foci thinner than 10 mm are missed (inserted real lesions: sensitivity
      0.42 at 3 mm, 0.33 at 4 mm, 0.30 at 5 mm, ``bench/realct_lesions.py``).
    - ``ggo_grow_mm`` (mm): ground-glass candidates (not vessel, rim or tube) connected to the
      ball-confirmed lesion and within this distance of it are lesion too (``ggo.grow_ground_glass``:
      its margins and thin extensions hold no ball); 0: none. Inserted real lesions in
      ``pyradiomics-lung2``: sensitivity 0.33 -> 0.47 at 10 mm, false-positive POI 0.23 -> 0.31 %.
    - ``tube_threshold`` (0-1): ground-glass candidates on or near bright tubes (Frangi's measure
      on Hessian eigenvalues at this level or above, ``vessels.tubes``: vessels, also those
      smeared into ground-glass HU by thick slices) are left out; None: no tube step.
    - ``tube_margin_mm`` (mm): ... and within this distance of them (their partial-volume rim).
    - ``min_volume_mm3`` (mm³): smaller lesion components are dropped.
    - ``smooth_mm`` (mm): in-plane Gaussian applied before the thresholds.
    - ``mediastinal_prior``: leave out what lies between the two lungs' aerated outlines
      (``mediastinum.mediastinum``: soft tissue that the lung mask took in, never lesion).
    - ``stages``: when a dict, the intermediate masks (canonical (z, y, x) arrays inside the lungs'
      bounding box ``stages["box"]``, a tuple of slices) are put in it by name, so that a bench can
      tell which step lost a lesion voxel.
    ``lungs`` must be on ``image``'s grid (as written by ``segment_lungs``).
    """
    canonical_lungs = to_canonical(lungs)
    sides, spacing = sitk.GetArrayViewFromImage(canonical_lungs), spacing_zyx(canonical_lungs)
    # every mask below lies inside the lung: work on its bounding box with the reach of the widest ball
    # (morphology.reach) and of the tube step's coarse blocks (2 blocks of about 2 mm) around it, so that
    # every distance map and block grid starts where it did on the whole volume: the same labels, in
    # less memory
    widest = max(vessel_radius_mm, ggo_radius_mm, vessel_rim_mm, tube_margin_mm, 6.0, max(spacing[1:]))
    box = bounding_box(sides > 0, reach(widest, spacing)) if sides.any() else tuple(slice(0, n) for n in sides.shape)
    canonical, hu, _ = canonical_hu(image, smooth_mm, box)
    sides = sides[box]
    lung = sides > 0
    ggo_hu = max(ggo_hu, min(aerated_lung_hu(hu[lung]) + ggo_margin_hu, ggo_max_hu))
    in_range = lung & (hu >= ggo_hu) & (hu <= max_hu)
    between = np.zeros_like(lung)
    if mediastinal_prior:
        aerated = hu < ggo_hu
        between = mediastinum((sides == 1) & aerated, (sides == 2) & aerated, spacing)
        in_range &= ~between
    # voxels touching the outside of the lung are partial volume with the wall, the mediastinum or
    # the diaphragm (a dome cut obliquely by the slices gives wide flat ground-glass-like layers)
    core = erode_faces(lung)
    dense = in_range & (hu >= consolidation_hu)
    blobs = opening(dense & core, vessel_radius_mm, spacing)
    # the opening also rounds off the blobs' own edges and corners: dense voxels close to a blob
    # belong to it (a vessel entering it only gives back a stub as long as the ball is wide)
    consolidation = dense & dilate(blobs, vessel_radius_mm, spacing)
    vessels = dense & ~consolidation
    rim = dilate_sparse(vessels, max(vessel_rim_mm, max(spacing[1:])), spacing)  # thin tubes: a sparse mask
    candidates = in_range & core
    tube = np.zeros_like(lung)
    if tube_threshold is not None:
        tube = tubes(hu, candidates, spacing, tube_threshold, tube_margin_mm)
        candidates &= ~tube
    ggo = opening(candidates, ggo_radius_mm, spacing) & ~dense & ~rim
    ggo = grow_ground_glass(ggo, candidates & ~dense & ~rim, ggo_grow_mm, spacing)
    lesion = remove_small(ggo | consolidation, min_volume_mm3, spacing)
    # the partial-volume layer next to a lesion belongs to it (the lesion's own edge)
    edge = dilate_faces(lesion, iterations=2, within=in_range & ~(vessels & core)) & ~lesion
    if stages is not None:
        stages.update(box=box, hu=hu, ggo_hu=ggo_hu, in_range=in_range, mediastinum=between, core=core, dense=dense,
                      consolidation=consolidation, vessels=vessels, rim=rim, tubes=tube, ggo=ggo, lesion=lesion)
    consolidation = (consolidation & lesion) | (edge & dense & dilate_faces(consolidation & lesion))
    lesion |= edge
    labels = np.zeros(canonical_lungs.GetSize()[::-1], dtype=np.uint8)
    labels[box][lesion] = GGO  # labels[box] is a view: this writes the whole volume's labels
    labels[box][consolidation] = CONSOLIDATION
    ml = spacing_volume_ml(spacing)
    log.info(
        "lesions (GGO from %.0f HU): GGO %.1f mL, consolidation %.1f mL in %.0f mL of lung",
        ggo_hu,
        np.count_nonzero(labels == GGO) * ml,
        np.count_nonzero(labels == CONSOLIDATION) * ml,
        np.count_nonzero(lung) * ml,
    )
    return from_canonical(labels, canonical, image)
