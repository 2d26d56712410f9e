"""Agreement with dcm2niix (test-time reference) on the real series of ../shared/data/dicom.

For every CT volume that dcm2niix converts, lungtrack gives the same HU (max |difference| <= 1 after
resampling dcm2niix's volume onto lungtrack's grid) and the same world position of the corner voxels
(within 0.05 mm; SimpleITK reads both NIfTI files into LPS). For tilted or unevenly spaced series the
reference is dcm2niix's corrected output (_Tilt, _Eq, _Tilt_Eq).
"""

import shutil
import subprocess
import sys
from itertools import product
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from lungtrack.cli import main

pytestmark = [pytest.mark.shared, pytest.mark.slow]

VOLUMES = [
    "siemens-ct-abdomen-jpeg2000",
    "chest-ct-slices-lungmask",
    "philips-ct-head-multiseries/S21570/S2010",
    "philips-ct-head-multiseries/S21610/S2010",
    "ge-tilted-variable-spacing-head",
    "dicom2nifti-edge-cases/gantrytilting",
    "dicom2nifti-edge-cases/sliceincrement/001",
    "dicom2nifti-edge-cases/sliceincrement/002",
]
CORRECTED = ("_Tilt_Eq_1", "_Eq_1", "_Tilt_1")
OUTSIDE = -30000.0


def dcm2niix(series: Path, out: Path) -> Path:
    """Run dcm2niix on one folder; the corrected volume when it wrote one, else its plain volume."""
    exe = shutil.which("dcm2niix") or str(Path(sys.executable).with_name("dcm2niix"))
    if not Path(exe).exists():
        pytest.skip("dcm2niix (PyPI package, test-time reference) is not installed")
    out.mkdir()
    subprocess.run([exe, "-z", "y", "-b", "n", "-f", "ref", "-o", str(out), str(series)],
                   check=True, capture_output=True)
    found = sorted(out.glob("ref*.nii.gz"))
    for suffix in CORRECTED:
        corrected = [p for p in found if p.name.endswith(f"{suffix}.nii.gz")]
        if corrected:
            return corrected[0]
    assert len(found) == 1, [p.name for p in found]
    return found[0]


def corners(image: sitk.Image) -> np.ndarray:
    """(8, 3) LPS mm of the corner voxels, in a canonical order (sorted)."""
    size = image.GetSize()
    points = [image.TransformIndexToPhysicalPoint([(n - 1) * c for n, c in zip(size, corner)])
              for corner in product((0, 1), repeat=3)]
    return np.array(sorted(np.round(points, 3).tolist()))


def compare(ours: sitk.Image, reference: sitk.Image):
    """(max |HU difference| inside both fields of view, max corner distance mm, fraction compared).

    lungtrack's volume is resampled onto dcm2niix's grid: nearest neighbour where both grids hold
    the same voxels (same size up to axis order), linear where dcm2niix chose another slice spacing
    (linear interpolation of lungtrack's linearly interpolated slices then reproduces dcm2niix's).
    """
    same_lattice = sorted(ours.GetSize()) == sorted(reference.GetSize())
    interpolator = sitk.sitkNearestNeighbor if same_lattice else sitk.sitkLinear
    ours_min = float(sitk.GetArrayViewFromImage(ours).min())
    on_ref = sitk.Resample(sitk.Cast(ours, sitk.sitkFloat32), reference, sitk.Transform(), interpolator,
                           OUTSIDE, sitk.sitkFloat32)
    a = sitk.GetArrayFromImage(on_ref).astype(float)
    b = sitk.GetArrayFromImage(reference).astype(float)
    # both converters fill voxels outside a tilted field of view with the series minimum. At its edge
    # they differ by half a pixel (dcm2niix reads rows [0, n), SimpleITK [-0.5, n - 0.5)), and where
    # uneven slices are interpolated, the edges of the two neighbouring slices lie up to ~5 rows
    # apart (GE series: 7 mm gap x tan 18.5 deg / 0.49 mm): voxels within 7 voxels of the fill are
    # left out of the comparison.
    valid = (a > OUTSIDE / 2) & (a > ours_min) & (b > b.min())
    valid = ndimage.binary_erosion(valid, np.ones((1, 15, 15), bool), border_value=1)
    corner_mm = np.linalg.norm(corners(ours) - corners(reference), axis=1).max()
    return float(np.abs(a - b)[valid].max()), float(corner_mm), float(valid.mean())


@pytest.mark.parametrize("name", VOLUMES)
def test_same_voxels_and_corners_as_dcm2niix(shared_data, tmp_path, name):
    series = shared_data / "dicom" / name
    reference = sitk.ReadImage(str(dcm2niix(series, tmp_path / "ref")))
    out = tmp_path / "ours.nii.gz"
    assert main(["convert", str(series), str(out)]) == 0
    ours = sitk.ReadImage(str(out))
    max_hu, corner_mm, fraction = compare(ours, reference)
    print(f"{name}: max |HU diff| {max_hu:g}, corner distance {corner_mm:.4f} mm, compared {fraction:.0%}")
    assert fraction > 0.5
    assert max_hu <= 1.0
    assert corner_mm <= 0.05


REFUSED = {
    "dicom2nifti-edge-cases/notavolume": "4 images at 1 slice position(s)",
    "dicom2nifti-edge-cases/slicecount": "modality MR, not CT",
    "dicom2nifti-edge-cases/sliceorientation": "modality MR, not CT",
    "covid-ny-sbu-longitudinal-slices/A002304/axial/19001231-076.dcm": "single axial slice: not a volume",
    "covid-ny-sbu-longitudinal-slices/A002304/coronal/19001231-076.dcm": "single coronal slice: not a volume",
    "philips-ct-head-multiseries/S21570/S1000": "single sagittal slice: not a volume",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_series_give_one_line_reason(shared_data, tmp_path, capsys, name):
    out = tmp_path / "out.nii.gz"
    assert main(["convert", str(shared_data / "dicom" / name), str(out)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("lungtrack convert: error: ") and REFUSED[name] in errors[0]
    assert not out.exists()
