"""One tracked scan read from its metrics record: CT (HU) and lung and lesion labels, canonical orientation.

Canonical orientation: ``sitk.DICOMOrient(image, "LPS")``, so arrays are (z, y, x) with z = 0 at
the feet, y = 0 anterior, x = 0 at the patient's right; SimpleITK spacing (x, y, z) in mm.
"""

from dataclasses import dataclass

import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.io.images import read_image, same_grid
from lungtrack.segment.orientation import to_canonical


@dataclass
class Scan:
    """One scan in canonical orientation (CT in HU, lung and lesion labels on its grid)."""

    timepoint: str
    study_date: str
    ct: sitk.Image
    lungs: sitk.Image
    lesions: sitk.Image


def load_scan(record: dict, source=None) -> Scan:
    """The scan whose CT and masks a metrics ``record`` names in ``paths``; ``source``: its file, for errors."""
    paths = record.get("paths") or {}
    images = {}
    for key in ("image", "lungs", "lesions"):
        if not paths.get(key):
            raise InputError(source, f"metrics file of {record['timepoint']} lacks paths.{key}")
        images[key] = read_image(paths[key])
    for key in ("lungs", "lesions"):
        if not same_grid(images[key], images["image"]):
            raise InputError(paths[key], "mask is not on the grid of its CT image")
    return Scan(record["timepoint"], record["study_date"], *(to_canonical(images[k]) for k in ("image", "lungs",
                                                                                                 "lesions")))
