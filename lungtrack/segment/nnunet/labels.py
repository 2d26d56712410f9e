"""From a model's label map to lungtrack's masks: lungs (1 right, 2 left), lesions (1 GGO, 2 consolidation),
lobes (1 right upper, 2 right middle, 3 right lower, 4 left upper, 5 left lower).

A label map says which model labels mean which role. Roles: ``lung_right``, ``lung_left``,
``lung`` (either side), the five lobes (``lungtrack.labels.LOBE_ROLES``, each counting as lung of its side),
``ggo``, ``consolidation``, ``lesion`` (type unknown, written as GGO).
Models trained by ``lungtrack train`` name their labels after the roles in ``dataset.json``
(``lung``, and ``ggo``/``consolidation`` or ``lesion``),
so their map is read from there; other models need one in the config (``nnunet.labels``).
Arrays are (z, y, x) in canonical LPS orientation: x = 0 is the patient's right.
"""

import numpy as np
from scipy import ndimage

from lungtrack.errors import InputError
from lungtrack.labels import CONSOLIDATION, GGO, LEFT, LOBE_ROLES, LOBES_OF_LUNG, RIGHT
from lungtrack.segment.body import body_mask
from lungtrack.segment.morphology import components
from lungtrack.segment.sides import body_midline, right_left

RIGHT_LOBES, LEFT_LOBES = LOBE_ROLES[:3], LOBE_ROLES[3:]
LUNG_ROLES = ("lung_right", "lung_left", "lung") + LOBE_ROLES
LESION_ROLES = ("ggo", "consolidation", "lesion")
ROLES = LUNG_ROLES + LESION_ROLES
# A lung component is kept when it has this share of the largest one's voxels.
MIN_LUNG_SHARE = 0.05


def label_map(model_labels: dict, configured: dict | None, where) -> dict:
    """Role -> list of model label values: ``configured`` if given, else the model's role-named labels.

    ``model_labels`` is dataset.json's name -> value; ``configured`` maps roles to label values or
    to label names of the model (as a preset does); ``where`` names the model in errors.
    """
    if configured:
        unknown = set(configured) - set(ROLES)
        if unknown:
            raise InputError(where, f"unknown label role(s) {sorted(unknown)}; roles are {list(ROLES)}")
        mapping = {role: [_value(v, model_labels, where) for v in (values if isinstance(values, list) else [values])]
                   for role, values in configured.items()}
    else:
        mapping = {name: [value] for name, value in model_labels.items() if name in ROLES}
    lobes = [role for role in LOBE_ROLES if mapping.get(role)]
    if lobes and len(lobes) < len(LOBE_ROLES):
        raise InputError(where, f"the label map names lobes {lobes} but not {sorted(set(LOBE_ROLES) - set(lobes))};"
                                " lobes need all five")
    if not (has_lungs(mapping) or has_lesions(mapping)):
        raise InputError(where, f"the model's labels {_names(model_labels)} name no lungtrack role; "
                                f"map them with nnunet.labels (roles {list(ROLES)})")
    return mapping


def _names(model_labels: dict) -> str:
    return ", ".join(f"{value} {name}" for name, value in sorted(model_labels.items(), key=lambda kv: kv[1]))


def _value(label, model_labels: dict, where) -> int:
    """A configured label (value or name) as a foreground label value of the model."""
    value = model_labels.get(label) if isinstance(label, str) and not label.isdigit() else int(label)
    if value is None or value == 0 or value not in model_labels.values():
        raise InputError(where, f"label {label!r} of nnunet.labels is not a foreground label of the model;"
                                f" its labels are {_names(model_labels)}")
    return int(value)


def _mask(seg: np.ndarray, mapping: dict, roles) -> np.ndarray:
    values = [v for role in roles for v in mapping.get(role, [])]
    return np.isin(seg, values)


def has_lungs(mapping: dict) -> bool:
    return any(mapping.get(role) for role in LUNG_ROLES)


def has_lesions(mapping: dict) -> bool:
    return any(mapping.get(role) for role in LESION_ROLES)


def has_lobes(mapping: dict) -> bool:
    """Whether the map names all five lobes."""
    return all(mapping.get(role) for role in LOBE_ROLES)


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
    out[_mask(seg, mapping, ["lung_right", *RIGHT_LOBES]) & lung] = RIGHT
    out[_mask(seg, mapping, ["lung_left", *LEFT_LOBES]) & lung] = LEFT
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


def lobes_from(seg: np.ndarray, mapping: dict, lungs: np.ndarray) -> np.ndarray:
    """Lobe labels (uint8, 1..5 in ``LOBE_ROLES`` order) covering exactly ``lungs`` (1 right, 2 left).

    Lung voxels the model gave no lobe (lesion voxels, voxels of another label) take the lobe of
    the nearest lobe voxel of their own side, so each lung is the union of its side's lobes.
    """
    out = np.zeros(seg.shape, np.uint8)
    for value, role in enumerate(LOBE_ROLES, start=1):
        out[_mask(seg, mapping, [role])] = value
    for side, values in LOBES_OF_LUNG.items():
        inside = lungs == side
        own = inside & np.isin(out, values)
        out[~inside & np.isin(out, values)] = 0
        missing = inside & ~own
        if missing.any() and own.any():
            nearest = ndimage.distance_transform_edt(~own, return_distances=False, return_indices=True)
            out[missing] = out[tuple(index[missing] for index in nearest)]
    return out
