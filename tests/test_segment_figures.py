"""The threshold backend's masks and measurements of two demo scans equal the recorded figures.

Speed work must leave the results alone: the masks voxel for voxel (a SHA-256 of each label
array) and every volume, POI and QC verdict of ``measure``. The figures in
``segment_figures.json`` were recorded from the code before the speed changes (issue 13); volumes
may differ by floating-point noise only (1e-9 mL). A change that is meant to change the masks (an
accuracy change) records them again, and says so in its commit:

    python tests/test_segment_figures.py --record
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.measure.metrics import case_qc
from lungtrack.measure.volumes import lung_lesion_volumes
from lungtrack.phantom import make_case
from lungtrack.phantom.cohort import patient_seed
from lungtrack.segment import segment_lesions, segment_lungs

FIGURES = Path(__file__).with_name("segment_figures.json")
SCANS = [(0, 0), (1, 2)]  # (patient index, timepoint) of the demo cohort (seed 7, 3 timepoints)
ML_NOISE = 1e-9  # mL


def scan_figures(patient: int, timepoint: int) -> dict:
    """Mask checksums, label counts, volumes (mL), POI (%) and QC of one demo scan."""
    case = make_case(patient_seed(7, patient), timepoint=timepoint, n_timepoints=3)
    image = case.image()
    lungs_image = segment_lungs(image)
    lungs = sitk.GetArrayFromImage(lungs_image)
    lesions = sitk.GetArrayFromImage(segment_lesions(image, lungs_image))
    voxel_ml = float(np.prod(image.GetSpacing())) / 1000.0
    return {
        "lungs_sha256": hashlib.sha256(np.ascontiguousarray(lungs).tobytes()).hexdigest(),
        "lesions_sha256": hashlib.sha256(np.ascontiguousarray(lesions).tobytes()).hexdigest(),
        "lung_voxels": [int((lungs == k).sum()) for k in (1, 2)],
        "lesion_voxels": [int((lesions == k).sum()) for k in (1, 2)],
        "volumes": lung_lesion_volumes(lungs, lesions, voxel_ml),
        "qc": case_qc(image, lungs, lesions),
    }


@pytest.fixture(scope="module")
def recorded():
    return json.loads(FIGURES.read_text())


@pytest.mark.parametrize("patient,timepoint", SCANS)
def test_masks_and_measurements_as_recorded(recorded, patient, timepoint):
    expected = recorded[f"{patient}/{timepoint}"]
    found = scan_figures(patient, timepoint)
    assert found["lung_voxels"] == expected["lung_voxels"]
    assert found["lesion_voxels"] == expected["lesion_voxels"]
    assert found["lungs_sha256"] == expected["lungs_sha256"]
    assert found["lesions_sha256"] == expected["lesions_sha256"]
    for key, value in expected["volumes"].items():
        assert found["volumes"][key] == pytest.approx(value, abs=ML_NOISE), key
    assert found["qc"] == expected["qc"]
    assert expected["lesion_voxels"][0] > 0 and expected["lung_voxels"][1] > 0  # scans with lesions and lungs


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    FIGURES.write_text(json.dumps({f"{p}/{t}": scan_figures(p, t) for p, t in SCANS}, indent=2) + "\n")
    print(f"recorded {FIGURES}")
