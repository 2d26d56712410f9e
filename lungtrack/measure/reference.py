"""Reference masks: read from any grid and put onto the grid of the evaluated image.

Reference masks often come on another grid than the CT as converted (another origin, a crop,
resampled slices). They are resampled with nearest neighbour, so labels stay labels, onto the
image grid (LPS world mm); outside the reference's field of view the label is 0.
"""

import logging

import SimpleITK as sitk

from lungtrack.io.images import numbers_text, read_image, same_grid

log = logging.getLogger(__name__)


def resample_to_grid(mask: sitk.Image, image: sitk.Image, name: str = "reference mask") -> sitk.Image:
    """``mask`` as uint8 on the grid (size, spacing, origin, direction) of ``image``.

    Returned unchanged (apart from the cast to uint8) when it is already on that grid;
    otherwise resampled with nearest neighbour in world coordinates, which is logged under ``name``.
    """
    if mask.GetNumberOfComponentsPerPixel() != 1:
        raise ValueError("a mask must have one component per voxel")
    mask = _as_labels(mask)
    if same_grid(mask, image):
        return mask
    log.info(
        "%s resampled (nearest neighbour) from grid size %s spacing %s mm onto the image grid size %s spacing %s mm",
        name, mask.GetSize(), numbers_text(mask.GetSpacing()), image.GetSize(), numbers_text(image.GetSpacing()),
    )
    return sitk.Resample(mask, image, sitk.Transform(), sitk.sitkNearestNeighbor, 0.0, sitk.sitkUInt8)


def load_reference(path, image: sitk.Image) -> sitk.Image:
    """Read the reference mask at ``path`` and return it as uint8 on the grid of ``image``."""
    return resample_to_grid(read_image(path), image, name=str(path))


def _as_labels(mask: sitk.Image) -> sitk.Image:
    """Cast to uint8; labels stored as floats are rounded first (a cast alone truncates 0.999 to 0)."""
    if mask.GetPixelID() == sitk.sitkUInt8:
        return mask
    if mask.GetPixelID() in (sitk.sitkFloat32, sitk.sitkFloat64):
        mask = sitk.Round(mask)
    return sitk.Cast(mask, sitk.sitkUInt8)
