"""The segment-lungs and segment-lesions commands: files written, one-line errors."""

import numpy as np
import SimpleITK as sitk
from test_segment_chest import synthetic_chest

from lungtrack.cli import main


def test_segment_commands_write_label_maps_on_the_image_grid(tmp_path):
    image, lungs, lesions, _ = synthetic_chest(spacing=(3.0, 3.0, 6.0), seed=6)
    ct = tmp_path / "ct.nii.gz"
    sitk.WriteImage(image, str(ct))
    assert main(["segment-lungs", str(ct), str(tmp_path / "lungs.nii.gz"), "--backend", "threshold"]) == 0
    assert main(["segment-lesions", str(ct), str(tmp_path / "lungs.nii.gz"), str(tmp_path / "les.nii.gz")]) == 0
    for name, values in (("lungs.nii.gz", {0, 1, 2}), ("les.nii.gz", {0, 1, 2})):
        out = sitk.ReadImage(str(tmp_path / name))
        assert out.GetPixelID() == sitk.sitkUInt8
        assert out.GetSize() == image.GetSize() and np.allclose(out.GetOrigin(), image.GetOrigin())
        assert set(np.unique(sitk.GetArrayFromImage(out))) == values
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ct.nii.gz", "les.nii.gz", "lungs.nii.gz"]


def test_missing_image_is_one_line_error(tmp_path, capsys):
    code = main(["segment-lungs", str(tmp_path / "nope.nii.gz"), str(tmp_path / "out.nii.gz")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0 and err.startswith("lungtrack segment-lungs: error:") and "nope.nii.gz" in err
    assert not list(tmp_path.iterdir())


def test_lungs_on_another_grid_are_refused(tmp_path, capsys):
    image, *_ = synthetic_chest(spacing=(4.0, 4.0, 8.0), seed=7)
    ct, lungs = tmp_path / "ct.nii.gz", tmp_path / "lungs.nii.gz"
    sitk.WriteImage(image, str(ct))
    sitk.WriteImage(sitk.Image(10, 10, 10, sitk.sitkUInt8), str(lungs))
    code = main(["segment-lesions", str(ct), str(lungs), str(tmp_path / "les.nii.gz")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "not on the grid" in err
    assert not (tmp_path / "les.nii.gz").exists()


def test_two_dimensional_image_is_refused(tmp_path, capsys):
    png = tmp_path / "slice.png"
    sitk.WriteImage(sitk.Image(32, 32, sitk.sitkUInt8), str(png))
    assert main(["segment-lungs", str(png), str(tmp_path / "out.nii.gz")]) == 2
    assert "expected a 3D" in capsys.readouterr().err
