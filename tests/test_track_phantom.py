"""Tracking a phantom patient (realistic synthetic CT with known motion between scans) with its true masks."""

import json

import pandas as pd
import pytest

from lungtrack.cli import main
from lungtrack.io.scan_files import ScanFiles
from lungtrack.measure.metrics import measure_case
from lungtrack.track.pipeline import track_patient


@pytest.mark.slow
def test_phantom_follow_ups_are_registered(tmp_path):
    assert main(["phantom", str(tmp_path), "--patients", "1", "--timepoints", "2", "--seed", "11",
                 "--matrix", "128", "--pixel-mm", "2.6", "--slice-mm", "4"]) == 0
    manifest = pd.read_csv(tmp_path / "truth" / "manifest.csv", dtype=str)
    metrics, files = [], []
    for row in manifest.itertuples():
        image, sidecar = tmp_path / f"{row.timepoint}.nii.gz", tmp_path / f"{row.timepoint}.json"
        assert main(["convert", str(tmp_path / row.dicom_dir), str(image), "--sidecar", str(sidecar)]) == 0
        record = measure_case(image, tmp_path / row.lungs, tmp_path / row.lesions, sidecar)
        path = tmp_path / f"{row.timepoint}_metrics.json"
        path.write_text(json.dumps(record))
        metrics.append(path)
        files.append(ScanFiles(image, tmp_path / row.lungs, tmp_path / row.lesions))
    result = track_patient(metrics, files, row.patient_id, tmp_path / "tracking")
    (registration,) = result["registration"]
    assert registration["dice_lungs_after"] > max(0.93, registration["dice_lungs_before"])
    baseline = [r for r in result["lesions"] if r["event"] == "baseline"]
    assert 1 <= len(baseline) <= int(manifest["visible_lesions"].iloc[0])
    assert {r["lung"] for r in result["lesions"]} <= {"right", "left"}
