"""One tracked scan: its metrics record with its CT (HU), lung, lesion and lobe labels, canonical orientation.

Canonical orientation: ``sitk.DICOMOrient(image, "LPS")``, so arrays are (z, y, x) with z = 0 at
the feet, y = 0 anterior, x = 0 at the patient's right; SimpleITK spacing (x, y, z) in mm.
"""

import math
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.io.images import read_image, read_mask, voxel_volume_ml
from lungtrack.io.scan_files import ScanFiles
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


def _check_measured(record: dict, files: ScanFiles, source, voxel_ml: float, lungs, lesions) -> None:
    """Raise :class:`InputError` unless the masks (arrays (z, y, x)) hold the lung and lesion volumes (mL)
    that the metrics ``record`` measured: other masks are not those of the record."""
    in_lung = lungs > 0
    found = {"lung_ml": (files.lungs, "lung", np.count_nonzero(in_lung) * voxel_ml),
             "lesion_ml": (files.lesions, "lesion", np.count_nonzero(in_lung & (lesions > 0)) * voxel_ml)}
    for key, (path, what, volume_ml) in found.items():
        if not math.isclose(volume_ml, record[key], rel_tol=1e-6, abs_tol=1e-6):
            raise InputError(path, f"holds {volume_ml:.2f} mL of {what}, but metrics file {source} measured "
                                   f"{record[key]:.2f} mL: not the {what} mask of that scan")


def load_scan(record: dict, source, files: ScanFiles, lobes_path=None) -> Scan:
    """The scan of the analysed metrics ``record`` (from the file ``source``, for errors) read from ``files``.

    The files must be those the record measured: the CT of the size (x, y, z voxels) in its acquisition
    facts (when they give one), masks on the CT's grid holding its lung and lesion volumes (mL).
    ``lobes_path``: the scan's lobe labels (1..5, :data:`lungtrack.labels.LOBES`) on the CT's grid, or None.
    """
    ct = read_image(files.image)
    expected = (record.get("acquisition") or {}).get("size")
    if expected and list(ct.GetSize()) != list(expected):
        raise InputError(files.image, f"CT of {'x'.join(map(str, ct.GetSize()))} voxels, but metrics file "
                                      f"{source} measured one of {'x'.join(map(str, expected))}: "
                                      "not the CT of that scan")
    masks = [read_mask(path, ct, name) for path, name in ((files.lungs, "lung mask"), (files.lesions, "lesion mask"))]
    _check_measured(record, files, source, voxel_volume_ml(ct), *map(sitk.GetArrayViewFromImage, masks))
    lobes = read_mask(lobes_path, ct, "lobe labels", "their CT image") if lobes_path else None
    return Scan(record["timepoint"], record["study_date"], *(to_canonical(i) for i in (ct, *masks)),
                to_canonical(lobes) if lobes is not None else None)
