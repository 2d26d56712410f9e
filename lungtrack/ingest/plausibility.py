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


def check_finite(bad: int, total: int, where) -> None:
    """Refuse a volume with ``bad`` NaN or infinite voxels out of ``total``, giving their number."""
    if bad:
        raise InputError(where, f"{bad} of {total} voxels are NaN or infinite")


# NIfTI-1 / NIfTI-2 header fields: (sizeof_hdr, dim format and offset, datatype offset, pixdim format and
# offset, vox_offset format and offset)
_NIFTI = {348: ("8h", 40, 70, "8f", 76, "f", 108), 540: ("8q", 16, 12, "8d", 104, "q", 168)}
_FLOATS = {16: "f4", 64: "f8"}  # NIfTI datatype code -> NumPy type


def _nifti_header(path):
    """(byte order, dims, datatype, pixdim, vox_offset) of a NIfTI-1/-2 file, or None for other files."""
    name = str(path).lower()
    if not name.endswith((".nii", ".nii.gz")):
        return None
    with (gzip.open if name.endswith(".gz") else open)(path, "rb") as f:
        head = f.read(540)
    for order in "<>":
        size = struct.unpack(order + "i", head[:4])[0] if len(head) >= 4 else 0
        if size in _NIFTI and len(head) >= size:
            dim_fmt, dim_at, type_at, pix_fmt, pix_at, off_fmt, off_at = _NIFTI[size]
            dims = struct.unpack_from(order + dim_fmt, head, dim_at)
            return (order, dims[1:1 + dims[0]], struct.unpack_from(order + "h", head, type_at)[0],
                    struct.unpack_from(order + pix_fmt, head, pix_at)[1:4],
                    int(struct.unpack_from(order + off_fmt, head, off_at)[0]))
    return None


def nifti_pixdim(path) -> tuple[float, float, float] | None:
    """Voxel size (x, y, z) as written in a NIfTI-1/-2 header (pixdim[1:4]); None for other files.

    SimpleITK reads a zero pixdim as 1 mm; the header says what the file really holds.
    """
    header = _nifti_header(path)
    return None if header is None else tuple(float(v) for v in header[3])


def nifti_nonfinite(path) -> int:
    """Number of NaN or infinite voxels stored in a floating-point NIfTI file (0 for any other file).

    Read from the file itself: SimpleITK's NIfTI reader turns NaN into 0.
    """
    header = _nifti_header(path)
    if header is None or header[2] not in _FLOATS:
        return 0
    order, dims, datatype, _, offset = header
    with (gzip.open if str(path).lower().endswith(".gz") else open)(path, "rb") as f:
        f.seek(offset)
        data = np.frombuffer(f.read(), dtype=np.dtype(_FLOATS[datatype]).newbyteorder(order),
                             count=int(np.prod(dims)))
    return int(data.size - np.count_nonzero(np.isfinite(data)))
