"""Checks that a CT volume's numbers can be trusted: voxel spacing, HU scale, NaN voxels.

Each check raises :class:`~lungtrack.errors.InputError` with a one-line reason, so that a volume
whose measurements would be wrong fails instead of being measured.
"""

import gzip
import struct

import numpy as np

from lungtrack.errors import InputError

IN_PLANE_MM = (0.1, 10.0)  # plausible pixel spacing of a CT, mm
BETWEEN_SLICES_MM = (0.1, 20.0)  # plausible distance between CT slices, mm
AIR_HU = -500  # a chest CT in HU always has air (about -1000 HU) below this


def check_spacing(spacing_xyz, where) -> None:
    """Refuse a spacing (x, y, z) mm outside :data:`IN_PLANE_MM` in plane or :data:`BETWEEN_SLICES_MM` in z."""
    x, y, z = (float(v) for v in spacing_xyz)
    for name, value, (low, high) in (("pixel spacing", x, IN_PLANE_MM), ("pixel spacing", y, IN_PLANE_MM),
                                     ("slice spacing", z, BETWEEN_SLICES_MM)):
        if not low <= value <= high:
            raise InputError(where, f"implausible {name} {value:g} mm (a CT has {low:g}-{high:g} mm): "
                                    f"spacing {x:g} x {y:g} x {z:g} mm")


def check_hu(low: float, high: float, where, hint: str = "") -> None:
    """Refuse an intensity range (``low``..``high``) without air near -1000 HU or outside int16."""
    if low > AIR_HU or low < -32768 or high > 32767:
        raise InputError(where, f"values {low:g}..{high:g} do not look like CT in HU (no air near -1000 HU"
                                f"{'; ' + hint if hint else ''})")


def check_finite(array: np.ndarray, where) -> None:
    """Refuse an array with NaN or infinite voxels, giving their number."""
    bad = int(array.size - np.count_nonzero(np.isfinite(array)))
    if bad:
        raise InputError(where, f"{bad} of {array.size} voxels are NaN or infinite")


def nifti_pixdim(path) -> tuple[float, float, float] | None:
    """Voxel size (x, y, z) as written in a NIfTI-1/-2 header (pixdim[1:4]); None for other files.

    SimpleITK reads a zero pixdim as 1 mm; the header says what the file really holds.
    """
    name = str(path).lower()
    if not name.endswith((".nii", ".nii.gz")):
        return None
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rb") as f:
        head = f.read(540)
    for order in "<>":
        if len(head) >= 348 and struct.unpack(order + "i", head[:4])[0] == 348:
            return struct.unpack(order + "8f", head[76:108])[1:4]
        if len(head) >= 540 and struct.unpack(order + "i", head[:4])[0] == 540:
            return struct.unpack(order + "8d", head[104:168])[1:4]
    return None
