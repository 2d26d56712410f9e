"""One tracked scan read from its metrics record: CT (HU), lung, lesion and lobe labels, canonical orientation.

Canonical orientation: ``sitk.DICOMOrient(image, "LPS")``, so arrays are (z, y, x) with z = 0 at
the feet, y = 0 anterior, x = 0 at the patient's right; SimpleITK spacing (x, y, z) in mm.
"""

from dataclasses import dataclass

import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.io.images import read_image, read_mask
from lungtrack.segment.orientation import to_canonical


@dataclass
class Scan:
    """One scan in canonical orientation (CT in HU; lung, lesion and, when given, lobe labels on its grid)."""

    timepoint: str
    study_date: str
    ct: sitk.Image
    lungs: sitk.Image
    lesions: sitk.Image
    lobes: sitk.Image | None = None


def load_scan(record: dict, source=None, lobes_path=None) -> Scan:
    """The scan whose CT and masks a metrics ``record`` names in ``paths``; ``source``: its file, for errors.

    ``lobes_path``: the scan's lobe labels (1..5, :data:`lungtrack.labels.LOBES`) on the CT's grid, or None.
    """
    paths = record.get("paths") or {}
    for key in ("image", "lungs", "lesions"):
        if not paths.get(key):
            raise InputError(source, f"metrics file of {record['timepoint']} lacks paths.{key}")
    ct = read_image(paths["image"])
    masks = [read_mask(paths[key], ct) for key in ("lungs", "lesions")]
    lobes = read_mask(lobes_path, ct, "lobe labels", "their CT image") if lobes_path else None
    return Scan(record["timepoint"], record["study_date"], *(to_canonical(i) for i in (ct, *masks)),
                to_canonical(lobes) if lobes is not None else None)
