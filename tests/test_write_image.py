"""write_image: a 2D label map may be a .png; a 3D one is refused there (SimpleITK would keep one slice)."""

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.io.images import write_image


def test_a_2d_label_map_is_written_as_png_and_a_3d_one_is_refused(tmp_path):
    labels = np.zeros((4, 5), np.uint8)
    labels[1, 2] = 2
    write_image(sitk.GetImageFromArray(labels), tmp_path / "slice.png")
    np.testing.assert_array_equal(sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "slice.png"))), labels)
    with pytest.raises(InputError, match=r"volume\.png: a 3D image cannot be written as \.png"):
        write_image(sitk.GetImageFromArray(np.zeros((3, 4, 5), np.uint8)), tmp_path / "volume.png")
    assert not (tmp_path / "volume.png").exists()
