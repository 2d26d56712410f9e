"""read_mask: a mask off its CT's grid is refused in one line naming the file and what differs; read_grid reads
the header only."""

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.io.images import grid_difference, read_grid, read_mask, write_image


def _image(shape=(4, 5, 6), spacing=(0.7, 0.7, 2.0), origin=(-10.0, 5.0, 30.0), dtype=np.uint8) -> sitk.Image:
    """A (z, y, x) = ``shape`` image; spacing and origin (x, y, z) mm."""
    image = sitk.GetImageFromArray(np.arange(np.prod(shape)).reshape(shape).astype(dtype))
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    return image


def test_a_mask_on_the_grid_is_read_with_its_labels(tmp_path):
    ct = _image(dtype=np.int16)
    write_image(_image(), tmp_path / "lungs.nii.gz")
    mask = read_mask(tmp_path / "lungs.nii.gz", ct)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(mask), sitk.GetArrayFromImage(_image()))


@pytest.mark.parametrize(("other", "difference"), [
    (_image(shape=(5, 5, 6)), "size (6, 5, 5) vs (6, 5, 4)"),
    (_image(spacing=(0.7, 0.7, 1.0)), "spacing (0.7, 0.7, 1) vs (0.7, 0.7, 2) mm"),
    (_image(origin=(-10.0, 5.0, 31.5)), "origin (-10, 5, 31.5) vs (-10, 5, 30) mm"),
])
def test_a_mask_off_the_grid_names_the_file_and_what_differs(tmp_path, other, difference):
    write_image(other, tmp_path / "lesions.nii.gz")
    with pytest.raises(InputError) as error:
        read_mask(tmp_path / "lesions.nii.gz", _image(), "lesion mask", "the lung mask")
    message = str(error.value)
    assert message.count("\n") == 0 and "lesions.nii.gz" in message
    assert message.endswith(f"lesion mask is not on the grid of the lung mask ({difference})")


def test_direction_and_tolerance():
    flipped = _image()
    flipped.SetDirection((-1, 0, 0, 0, 1, 0, 0, 0, 1))
    assert grid_difference(flipped, _image()).startswith("direction (-1, 0, 0,")
    assert grid_difference(_image(origin=(-10.0005, 5.0, 30.0)), _image()) == ""  # within 1e-3 mm


def test_read_grid_gives_the_geometry_without_the_voxels(tmp_path):
    write_image(_image(dtype=np.int16), tmp_path / "ct.nii.gz")
    grid = read_grid(tmp_path / "ct.nii.gz")
    assert grid_difference(grid, _image()) == "" and grid.GetPixelID() == sitk.sitkUInt8
    with pytest.raises(InputError, match="absent.nii.gz: file does not exist"):
        read_grid(tmp_path / "absent.nii.gz")
