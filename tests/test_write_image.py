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


def test_a_gz_image_holds_the_bytes_that_simpleitk_writes_and_leaves_no_temporary(tmp_path):
    import gzip

    rng = np.random.default_rng(3)
    image = sitk.GetImageFromArray(rng.integers(-1024, 2000, (7, 9, 11)).astype(np.int16))
    image.SetSpacing((0.7, 0.8, 2.5))
    image.SetOrigin((-10.5, 3.0, 40.0))
    image.SetDirection((0, 1, 0, 1, 0, 0, 0, 0, -1))
    write_image(image, tmp_path / "ct.nii.gz")
    sitk.WriteImage(image, str(tmp_path / "plain.nii"), useCompression=False)
    assert gzip.decompress((tmp_path / "ct.nii.gz").read_bytes()) == (tmp_path / "plain.nii").read_bytes()
    back, plain = (sitk.ReadImage(str(tmp_path / name)) for name in ("ct.nii.gz", "plain.nii"))
    np.testing.assert_array_equal(sitk.GetArrayFromImage(back), sitk.GetArrayFromImage(image))
    assert (back.GetSpacing(), back.GetOrigin(), back.GetDirection()) == \
        (plain.GetSpacing(), plain.GetOrigin(), plain.GetDirection())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ct.nii.gz", "plain.nii"]
    # no name and no time in the gzip header (flags and mtime zero): writing again gives the same bytes
    assert (tmp_path / "ct.nii.gz").read_bytes()[3:8] == bytes(5)
    first = (tmp_path / "ct.nii.gz").read_bytes()
    write_image(image, tmp_path / "ct.nii.gz")
    assert (tmp_path / "ct.nii.gz").read_bytes() == first
