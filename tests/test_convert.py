"""Conversion of one DICOM series to HU NIfTI: sorting, rescale, geometry, compression, tilt, gaps, refusals."""

import json

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.cli import main
from lungtrack.errors import InputError
from lungtrack.ingest.convert import Policy, convert
from lungtrack.ingest.privacy import file_key
from lungtrack.phantom.dicom_writer import axial_positions, write_series

SPACING_XY = (0.8, 0.6)  # DICOM PixelSpacing: between rows (y), between columns (x), mm


def linear_hu(points):
    """A HU field linear in LPS mm, so that linear interpolation reproduces it exactly."""
    points = np.asarray(points, float)
    return -600.0 + 4.0 * points[..., 0] - 3.0 * points[..., 1] + 2.0 * points[..., 2]


def sample(positions, shape_yx, orientation=(1, 0, 0, 0, 1, 0)):
    """linear_hu at every voxel of slices at ``positions``: (z, y, x) array (rounded HU)."""
    row, col = np.asarray(orientation[:3], float), np.asarray(orientation[3:], float)
    j, i = np.mgrid[: shape_yx[0], : shape_yx[1]]
    planes = [p + i[..., None] * SPACING_XY[1] * row + j[..., None] * SPACING_XY[0] * col for p in positions]
    return np.rint(linear_hu(np.stack(planes))).astype(np.int16)


def world_points(image):
    """LPS mm of every voxel of ``image`` as a (z, y, x, 3) array."""
    size = image.GetSize()
    k, j, i = np.meshgrid(*[np.arange(n) for n in size[::-1]], indexing="ij")
    index = np.stack([i, j, k], axis=-1) * np.array(image.GetSpacing())
    direction = np.array(image.GetDirection()).reshape(3, 3)
    return np.array(image.GetOrigin()) + index @ direction.T


def test_sorts_by_position_and_applies_rescale(tmp_path):
    positions = axial_positions(12, 2.5, origin=(-10.0, -20.0, -100.0))
    volume = sample(positions, (20, 24))
    paths = write_series(tmp_path, volume, positions, pixel_spacing=SPACING_XY, slope=2.0, intercept=-1000.0)
    result = convert(paths[::-1])  # file order and InstanceNumber carry no meaning
    image = result.image
    assert image.GetPixelID() == sitk.sitkInt16
    assert image.GetSpacing() == pytest.approx((0.6, 0.8, 2.5))
    assert image.GetOrigin() == pytest.approx((-10.0, -20.0, -100.0))
    assert image.GetDirection() == pytest.approx((1, 0, 0, 0, 1, 0, 0, 0, 1))
    # slope 2 stores every other HU: values agree within one stored step
    assert np.abs(sitk.GetArrayFromImage(image).astype(int) - volume).max() <= 1
    assert not result.resampled and result.warnings == []


def test_feet_first_stack_is_sorted_along_the_normal(tmp_path):
    positions = axial_positions(10, -2.0, origin=(0.0, 0.0, 50.0))  # descending z, as many exports
    volume = sample(positions, (8, 8))
    paths = write_series(tmp_path, volume, positions, pixel_spacing=SPACING_XY)
    image = convert(paths).image
    assert image.GetOrigin()[2] == pytest.approx(32.0)  # the most inferior slice
    np.testing.assert_array_equal(sitk.GetArrayFromImage(image), volume[::-1])


@pytest.mark.parametrize("syntax", ["rle", "jpeg2000", "jpeg-lossless"])
def test_compressed_transfer_syntaxes(tmp_path, syntax):
    positions = axial_positions(3, 1.0)
    volume = np.random.default_rng(1).integers(-1024, 3000, (3, 32, 40)).astype(np.int16)
    paths = write_series(tmp_path, volume, positions, syntax=syntax)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(convert(paths).image), volume)


def tilted_positions(n, step_mm, tilt_deg, origin=(-5.0, -5.0, -40.0)):
    """Slices of a gantry tilted about x: in-plane axes rotated, table stepping along z."""
    t = np.radians(tilt_deg)
    orientation = (1, 0, 0, 0, np.cos(t), -np.sin(t))
    return axial_positions(n, step_mm, origin=origin), orientation


def test_gantry_tilt_is_resampled_onto_an_orthogonal_grid(tmp_path):
    positions, orientation = tilted_positions(10, 2.5, 18.5)
    volume = sample(positions, (24, 16), orientation)
    paths = write_series(tmp_path, volume, positions, pixel_spacing=SPACING_XY, orientation=orientation)
    result = convert(paths)
    image = result.image
    direction = np.array(image.GetDirection()).reshape(3, 3)
    np.testing.assert_allclose(direction.T @ direction, np.eye(3), atol=1e-9)
    assert result.tilt_deg == pytest.approx(18.5, abs=0.01)
    assert result.resampled and "gantry tilt of 18.5 deg" in result.warnings[0]
    # 9 steps of 2.5 mm shift the last slice by 9*2.5*sin(18.5) = 7.14 mm = 9 rows of 0.8 mm more
    assert image.GetSize() == (16, 24 + 9, 10)
    assert image.GetSpacing()[2] == pytest.approx(2.5 * np.cos(np.radians(18.5)))
    values = sitk.GetArrayFromImage(image).astype(float)
    expected = linear_hu(world_points(image))
    inside = values > values.min()  # voxels outside the sheared field of view hold the minimum
    assert inside.mean() > 0.7
    assert np.abs(values - expected)[inside].max() <= 1.0


def test_gantry_tilt_refused_on_request(tmp_path):
    positions, orientation = tilted_positions(4, 2.5, 12.0)
    volume = sample(positions, (8, 8), orientation)
    paths = write_series(tmp_path, volume, positions, pixel_spacing=SPACING_XY, orientation=orientation)
    with pytest.raises(InputError, match=r"gantry tilt of 12\.0 deg \(ingest\.tilt: refuse\)"):
        convert(paths, Policy(tilt="refuse"))


def test_missing_slice_is_resampled_to_uniform_spacing(tmp_path):
    positions = np.delete(axial_positions(8, 2.0, origin=(0.0, 0.0, 10.0)), 5, axis=0)
    volume = sample(positions, (8, 10))
    paths = write_series(tmp_path, volume, positions, pixel_spacing=SPACING_XY)
    result = convert(paths)
    image = result.image
    assert image.GetSize()[2] == 8 and image.GetSpacing()[2] == pytest.approx(2.0)
    assert "gap of 4.00 mm between slices at 18.00 and 22.00 mm" in result.warnings[0]
    values = sitk.GetArrayFromImage(image).astype(float)
    assert np.abs(values - linear_hu(world_points(image))).max() <= 1.0


def test_missing_slice_refused_names_the_gap(tmp_path):
    positions = np.delete(axial_positions(6, 5.0), 2, axis=0)
    paths = write_series(tmp_path, sample(positions, (6, 6)), positions, pixel_spacing=SPACING_XY)
    with pytest.raises(InputError, match=r"gap of 10\.00 mm between slices at 5\.00 and 15\.00 mm .*missing slice"):
        convert(paths, Policy(nonuniform="refuse"))


def _write_bad(kind, folder):
    """Series that must be refused, and the phrase of the reason."""
    flat = np.full((3, 8, 8), -1000, np.int16)
    if kind == "single slice":
        return write_series(folder, flat[:1], axial_positions(1, 1.0)), "single axial slice: not a volume"
    if kind == "coronal":
        positions = axial_positions(3, 1.0, step=(0.0, 1.0, 0.0))
        return (write_series(folder, flat, positions, orientation=(1, 0, 0, 0, 0, -1)),
                "coronal slices: only axial series are converted")
    if kind == "other modality":
        return write_series(folder, flat, axial_positions(3, 1.0), header={"Modality": "MR"}), "modality MR, not CT"
    if kind == "repeated positions":
        positions = np.repeat(axial_positions(2, 1.0), [2, 1], axis=0)
        return write_series(folder, flat, positions), "3 images at 2 slice position(s)"
    uid = "1.2.826.0.1.3680043.8.498.1"
    first = write_series(folder, flat[:2], axial_positions(2, 1.0), header={"SeriesInstanceUID": uid})
    if kind == "mixed sizes":
        other = write_series(folder, np.zeros((1, 6, 8), np.int16), axial_positions(1, 1.0, origin=(0, 0, 5)),
                             header={"SeriesInstanceUID": uid}, seed=1)
        return first + other, "mixed image sizes 8x6, 8x8"
    other = write_series(folder, flat[:1], axial_positions(1, 1.0, origin=(0, 0, 5)),
                         orientation=(0, 1, 0, 0, 0, -1), header={"SeriesInstanceUID": uid}, seed=1)
    return first + other, "mixed slice orientations (axial, sagittal)"


@pytest.mark.parametrize("kind", ["single slice", "coronal", "other modality", "repeated positions",
                                  "mixed sizes", "mixed orientations"])
def test_refusals_are_one_line_with_exit_code_2(tmp_path, capsys, kind):
    _, reason = _write_bad(kind, tmp_path / "series")
    out = tmp_path / "out.nii.gz"
    assert main(["convert", str(tmp_path / "series"), str(out)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("lungtrack convert: error: ") and reason in errors[0]
    assert not out.exists() and list(tmp_path.glob(".out*")) == []


def test_cli_writes_image_and_sidecar(tmp_path):
    positions = axial_positions(12, 1.25)
    write_series(tmp_path / "dicom" / "a" / "b", sample(positions, (10, 12)), positions,
                 pixel_spacing=SPACING_XY, header={"PatientID": "P/7", "SeriesDescription": "LUNG 1.25"})
    out, side = tmp_path / "ct.nii.gz", tmp_path / "ct.json"
    assert main(["convert", str(tmp_path / "dicom"), str(out), "--sidecar", str(side)]) == 0
    info = json.loads(side.read_text())
    assert info["patient_id"] == file_key("P/7") and info["patient_id"].startswith("P_7-") and info["study_date"] == "2020-03-01" and info["timepoint"] == "20200301"
    assert info["size"] == [12, 10, 12] and info["spacing_mm"] == pytest.approx([0.6, 0.8, 1.25])
    assert info["series_description"] == "LUNG 1.25" and info["kernel"] == "B30f"
    assert info["resampled"] is False and info["warnings"] == [] and info["tilt_deg"] == 0.0
    assert sitk.ReadImage(str(out)).GetPixelID() == sitk.sitkInt16


def test_folder_with_several_series_needs_series_uid(tmp_path, capsys):
    flat = np.full((3, 8, 8), -1000, np.int16)
    write_series(tmp_path / "a", flat, axial_positions(3, 1.0), header={"SeriesInstanceUID": "1.2.3.1"})
    write_series(tmp_path / "b", flat, axial_positions(3, 2.0), header={"SeriesInstanceUID": "1.2.3.2"}, seed=1)
    assert main(["convert", str(tmp_path), str(tmp_path / "x.nii.gz")]) == 2
    assert "2 series in this folder; choose one with --series (1.2.3.1, 1.2.3.2)" in capsys.readouterr().err
    assert main(["convert", str(tmp_path), str(tmp_path / "x.nii.gz"), "--series", "1.2.3.2"]) == 0
    assert sitk.ReadImage(str(tmp_path / "x.nii.gz")).GetSpacing()[2] == pytest.approx(2.0)
