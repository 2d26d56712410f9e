"""From a model's label map to lungtrack's masks: lungs (1 right, 2 left), lesions (1 GGO, 2 consolidation).

A label map says which model labels mean which role. Roles: ``lung_right``, ``lung_left``,
``lung`` (either side), ``ggo``, ``consolidation``, ``lesion`` (type unknown, written as GGO).
Models trained by ``lungtrack train`` name their labels after the roles in ``dataset.json``
(``lung``, and ``ggo``/``consolidation`` or ``lesion``),
so their map is read from there; other models need one in the config (``nnunet.labels``).
Arrays are (z, y, x) in canonical LPS orientation: x = 0 is the patient's right.
"""

import numpy as np
from scipy import ndimage

from lungtrack.errors import InputError
from lungtrack.segment.body import body_mask
from lungtrack.segment.morphology import components
from lungtrack.segment.sides import body_midline, right_left

LUNG_ROLES = ("lung_right", "lung_left", "lung")
LESION_ROLES = ("ggo", "consolidation", "lesion")
ROLES = LUNG_ROLES + LESION_ROLES
RIGHT, LEFT = 1, 2
GGO, CONSOLIDATION = 1, 2
# A lung component is kept when it has this share of the largest one's voxels.
MIN_LUNG_SHARE = 0.05


def label_map(model_labels: dict, configured: dict | None, where) -> dict:
    """Role -> list of model label values: ``configured`` if given, else the model's role-named labels.

    ``model_labels`` is dataset.json's name -> value; ``where`` names the model in errors.
    """
    if configured:
        unknown = set(configured) - set(ROLES)
        if unknown:
            raise InputError(where, f"unknown label role(s) {sorted(unknown)}; roles are {list(ROLES)}")
        return {role: [int(v) for v in np.atleast_1d(values)] for role, values in configured.items()}
    found = {name: [value] for name, value in model_labels.items() if name in ROLES}
    if not found:
        raise InputError(where, f"labels {sorted(model_labels)} name no lungtrack role; "
                                f"map them with nnunet.labels (roles {list(ROLES)})")
    return found


def _mask(seg: np.ndarray, mapping: dict, roles) -> np.ndarray:
    values = [v for role in roles for v in mapping.get(role, [])]
    return np.isin(seg, values)


def has_lungs(mapping: dict) -> bool:
    return any(mapping.get(role) for role in LUNG_ROLES)


def has_lesions(mapping: dict) -> bool:
    return any(mapping.get(role) for role in LESION_ROLES)


def lungs_from(seg: np.ndarray, mapping: dict, hu: np.ndarray, spacing) -> np.ndarray:
    """Lung labels (uint8, 1 right, 2 left) from a model label array.

    ``hu``: the image array (HU for CT) and ``spacing`` its voxel size (z, y, x) mm. Lesion voxels
    count as lung when the model also segments lungs. Only lung-sized components are kept (at
    least ``MIN_LUNG_SHARE`` of the largest): stray blobs in the air around the body or in the gut
    are dropped. When the model gives no sides (role ``lung``), its two largest components are
    split into right and left as the threshold backend does (body midline, watershed along the
    junction line when the lungs touch). Voxels without a side then take the side of the
    nearest sided voxel.
    """
    parts, counts = components(_mask(seg, mapping, ROLES))
    if len(counts) < 2:
        return np.zeros(seg.shape, np.uint8)
    lung = (parts > 0) & (counts[parts] >= MIN_LUNG_SHARE * counts[1])
    out = np.zeros(seg.shape, np.uint8)
    out[_mask(seg, mapping, ["lung_right"]) & lung] = RIGHT
    out[_mask(seg, mapping, ["lung_left"]) & lung] = LEFT
    if not out.any():
        largest = [parts == k for k in (1, 2) if k < len(counts) and counts[k] >= MIN_LUNG_SHARE * counts[1]]
        midline = body_midline(body_mask(hu, spacing))
        right, left = right_left(largest, hu.astype(np.float32), spacing, midline)
        out[right] = RIGHT
        out[left] = LEFT
    unsided = lung & (out == 0)
    if unsided.any() and out.any():
        nearest = ndimage.distance_transform_edt(out == 0, return_distances=False, return_indices=True)
        out[unsided] = out[tuple(index[unsided] for index in nearest)]
    return out


def lesions_from(seg: np.ndarray, mapping: dict, lungs: np.ndarray | None = None) -> np.ndarray:
    """Lesion labels (uint8, 1 GGO, 2 consolidation) from a model label array, kept inside ``lungs``."""
    out = np.zeros(seg.shape, np.uint8)
    out[_mask(seg, mapping, ["ggo", "lesion"])] = GGO
    out[_mask(seg, mapping, ["consolidation"])] = CONSOLIDATION
    if lungs is not None:
        out[lungs == 0] = 0
    return out
