"""Image files (NIfTI) through SimpleITK.

Conventions used across lungtrack: SimpleITK images are in DICOM/LPS world coordinates (mm);
``sitk.GetArrayFromImage`` gives arrays with axes (z, y, x); ``image.GetSpacing()`` is (x, y, z)
in mm. CT intensities are Hounsfield units (HU). Label maps are uint8 on the CT's own grid.
"""

import shutil
import tempfile
from pathlib import Path

import numpy as np
import SimpleITK as sitk
from isal import igzip

from lungtrack.errors import InputError
from lungtrack.io.atomic import atomic_path


def read_image(path) -> sitk.Image:
    """Read a NIfTI (or any SimpleITK-readable) image, with a clear error naming the file."""
    return _read(path, sitk.ReadImage)


def read_grid(path) -> sitk.Image:
    """An empty uint8 image with the grid of the image file at ``path``, read from its header only."""

    def header(name: str) -> sitk.Image:
        reader = sitk.ImageFileReader()
        reader.SetFileName(name)
        reader.ReadImageInformation()
        grid = sitk.Image(reader.GetSize(), sitk.sitkUInt8)
        grid.SetSpacing(reader.GetSpacing())
        grid.SetOrigin(reader.GetOrigin())
        grid.SetDirection(reader.GetDirection())
        return grid

    return _read(path, header)


def _read(path, read) -> sitk.Image:
    """``read(str(path))``, its failures as one-line errors naming the file."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file does not exist")
    try:
        return read(str(path))
    except RuntimeError as exc:
        raise InputError(path, f"not a readable image ({str(exc).strip().splitlines()[-1]})") from None


def read_mask(path, grid: sitk.Image, name: str = "mask", grid_name: str = "its CT image") -> sitk.Image:
    """Read the label map at ``path``, which must lie on ``grid`` (size, spacing, origin and direction).

    Off the grid, the :class:`InputError` names the file and what differs, e.g. ``lungs.nii.gz: mask is
    not on the grid of its CT image (spacing (0.7, 0.7, 1) vs (0.7, 0.7, 2) mm)``; ``name`` and
    ``grid_name`` are the words for the mask and the grid's image.
    """
    mask = read_image(path)
    difference = grid_difference(mask, grid)
    if difference:
        raise InputError(path, f"{name} is not on the grid of {grid_name} ({difference})")
    return mask


# .png: the label map of a 2D image (a 2D model's slice) only, see write_image
IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd", ".png")


def check_image_path(path) -> None:
    """Refuse an output image name without an image suffix (before any work is done)."""
    if path is not None and not str(path).lower().endswith(IMAGE_SUFFIXES):
        raise InputError(path, f"an image must be written as {', '.join(IMAGE_SUFFIXES)}")


#: ISA-L level (0-3) of .gz images: CT noise leaves little to gain from higher levels. ISA-L's level 1
#: compresses a 512 x 512 x 300 CT about 5 times faster than zlib's level 1 inside SimpleITK's writer,
#: to a file about 7 % larger; the file is an ordinary gzip stream that every NIfTI reader opens.
GZIP_LEVEL = 1
_CHUNK_BYTES = 1 << 22


def write_image(image: sitk.Image, path) -> None:
    """Write ``image`` to ``path`` atomically; refuses other suffixes, and a 3D image as .png (SimpleITK
    would keep its first slice only). A .gz name is written by SimpleITK uncompressed (the same header
    and voxels), then gzip-compressed by ISA-L at ``GZIP_LEVEL``."""
    check_image_path(path)
    if str(path).lower().endswith(".png") and image.GetDimension() != 2:
        raise InputError(path, f"a {image.GetDimension()}D image cannot be written as .png; use .nii.gz")
    compressed = str(path).endswith(".gz")
    with atomic_path(path) as tmp, tempfile.TemporaryDirectory(prefix="lungtrack-") as folder:
        plain = Path(folder) / Path(path).name[:-3] if compressed else tmp
        try:
            sitk.WriteImage(image, str(plain), useCompression=False)
        except RuntimeError as exc:
            raise InputError(path, f"cannot be written ({str(exc).strip().splitlines()[-1]})") from None
        if compressed:
            # no file name or time in the gzip header: the same image gives the same bytes
            with open(plain, "rb") as source, open(tmp, "wb") as raw, \
                    igzip.IGzipFile("", "wb", GZIP_LEVEL, fileobj=raw, mtime=0) as target:
                shutil.copyfileobj(source, target, _CHUNK_BYTES)


def array_like(array: np.ndarray, reference: sitk.Image, dtype=None) -> sitk.Image:
    """Wrap a (z, y, x) array as an image with the geometry of ``reference``."""
    image = sitk.GetImageFromArray(array if dtype is None else array.astype(dtype))
    image.CopyInformation(reference)
    return image


def empty_labels(reference: sitk.Image) -> sitk.Image:
    """An all-zero uint8 label map on the grid of ``reference``."""
    image = sitk.Image(reference.GetSize(), sitk.sitkUInt8)
    image.CopyInformation(reference)
    return image


def spacing_volume_ml(spacing) -> float:
    """Volume of one voxel in mL from its spacing in mm, in any axis order (1 mL = 1000 mm³)."""
    return float(np.prod(spacing)) / 1000.0


def voxel_volume_ml(image: sitk.Image) -> float:
    """Volume of one voxel of ``image`` in mL (:func:`spacing_volume_ml` of its spacing)."""
    return spacing_volume_ml(image.GetSpacing())


def grid_difference(a: sitk.Image, b: sitk.Image, tol_mm: float = 1e-3) -> str:
    """What differs between the grids of ``a`` and ``b`` (size, spacing or origin in mm (x, y, z), direction),
    as ``"spacing (0.7, 0.7, 1) vs (0.7, 0.7, 2) mm"``; empty when they match within ``tol_mm``."""
    if a.GetSize() != b.GetSize():
        return f"size {a.GetSize()} vs {b.GetSize()}"
    for what, get, atol, unit in (("spacing", sitk.Image.GetSpacing, tol_mm, " mm"),
                                  ("origin", sitk.Image.GetOrigin, tol_mm, " mm"),
                                  ("direction", sitk.Image.GetDirection, 1e-5, "")):
        if not np.allclose(get(a), get(b), atol=atol):
            return f"{what} {numbers_text(get(a))} vs {numbers_text(get(b))}{unit}"
    return ""


def same_grid(a: sitk.Image, b: sitk.Image, tol_mm: float = 1e-3) -> bool:
    """True when both images share size, spacing, origin and direction (within ``tol_mm``)."""
    return not grid_difference(a, b, tol_mm)


def numbers_text(values) -> str:
    """A spacing, origin or direction tuple for a message, 4 significant digits: ``(0.7, 0.7, 1.25)``."""
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"
