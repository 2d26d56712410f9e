"""One tracked scan: its metrics record with its CT (HU), lung, lesion and lobe labels, canonical orientation.

Canonical orientation: ``sitk.DICOMOrient(image, "LPS")``, so arrays are (z, y, x) with z = 0 at
the feet, y = 0 anterior, x = 0 at the patient's right; SimpleITK spacing (x, y, z) in mm.
"""

from dataclasses import dataclass

import SimpleITK as sitk

from lungtrack.io.images import read_image, read_mask
from lungtrack.io.scan_files import ScanFiles, read_measured_masks
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


def load_scan(record: dict, source, files: ScanFiles, lobes_path=None) -> Scan:
    """The scan of the analysed metrics ``record`` (from the file ``source``, for errors) read from ``files``.

    The files must be those the record measured (:func:`lungtrack.io.scan_files.read_measured_masks`).
    ``lobes_path``: the scan's lobe labels (1..5, :data:`lungtrack.labels.LOBES`) on the CT's grid, or None.
    """
    ct = read_image(files.image)
    masks = read_measured_masks(record, source, ct, files.image, files.lungs, files.lesions)
    lobes = read_mask(lobes_path, ct, "lobe labels", "their CT image") if lobes_path else None
    return Scan(record["timepoint"], record["study_date"], *(to_canonical(i) for i in (ct, *masks)),
                to_canonical(lobes) if lobes is not None else None)
