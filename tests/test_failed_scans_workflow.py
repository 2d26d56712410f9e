"""End to end: a CT without lungs in a small cohort ends as a failed row; the rest completes, exit 0.

A real snakemake run (2 cores) on 2 phantom patients × 2 scans plus one CT of a water cylinder in air
(valid DICOM, no lungs) given to LT0002 between its two scans.
"""

import datetime as dt
import re
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pydicom
import pytest

from lungtrack.phantom.dicom_writer import Study, write_axial_series

pytestmark = pytest.mark.slow


def water_cylinder_study(folder, like, study_date: str) -> None:
    """A 96 × 96 × 30 CT (3.5 × 3.5 × 5 mm) of a water cylinder (0 HU) in air (−1000 HU), as DICOM.

    Patient attributes as in the DICOM file ``like`` (the same person, so the study joins their timeline).
    """
    header = pydicom.dcmread(like, stop_before_pixels=True)
    patient_id = header.PatientID
    z, y, x = np.mgrid[:30, :96, :96]
    ct = np.where((y - 48) ** 2 + (x - 48) ** 2 < 40 ** 2, 0, -1000).astype(np.int16)
    ct += np.random.default_rng(0).normal(0, 10, ct.shape).astype(np.int16)
    case = SimpleNamespace(ct=ct, spacing_zyx=(5.0, 3.5, 3.5), origin=(-168.0, -168.0, -75.0))
    study = Study(patient_id=patient_id, patient_name=str(header.PatientName), birth_date=header.PatientBirthDate,
                  sex=header.PatientSex, study_date=study_date, study_time="120000", accession="W1",
                  institution="NOWHERE", uid_seed=("water", patient_id, study_date))
    write_axial_series(case, study, folder)


def test_lungless_ct_is_a_failed_row_and_the_rest_completes(snakemake_cmd, tmp_path):
    subprocess.run([sys.executable, "-m", "lungtrack", "phantom", str(tmp_path / "demo"), "--patients", "2",
                    "--timepoints", "2", "--seed", "11"], check=True, capture_output=True)
    dicom, results = tmp_path / "demo" / "dicom", tmp_path / "results"
    first, second = sorted(p.name for p in (dicom / "LT0002").iterdir())
    middle = (dt.date.fromisoformat(f"{first[:4]}-{first[4:6]}-{first[6:]}") + dt.timedelta(days=2)).strftime("%Y%m%d")
    assert first < middle < second
    water_cylinder_study(dicom / "LT0002" / middle / "002", next((dicom / "LT0002" / first).rglob("*.dcm")), middle)
    config = {"dicom_dir": str(dicom), "results_dir": str(results),
              # an interval that the default 2 pp would call a change reads stable in the CSV and the report alike
              "tracking": {"min_poi_change_pp": 50.0}}

    res = subprocess.run(snakemake_cmd(tmp_path / "run", config, "--cores", "2"), capture_output=True, text=True)

    assert res.returncode == 0, res.stderr[-4000:]
    table = pd.read_csv(results / "cohort.csv", dtype={"timepoint": str})
    assert len(table) == 5
    assert list(table.columns[-5:]) == ["qc", "qc_reasons", "status", "failed_step", "reason"]
    failed = table[table["status"] == "failed"]
    assert list(failed["patient_id"]) == ["LT0002"] and list(failed["timepoint"]) == [middle]
    row = failed.iloc[0]
    assert row["failed_step"] == "qc" and row["qc"] == "fail"
    assert "lung volume 0 mL is below 1000 mL" in row["reason"] and "\n" not in row["reason"]
    assert failed[["lung_ml", "lesion_ml", "poi", "change_vs_previous"]].isna().all(axis=None)
    analysed = table[table["status"] == "ok"]
    assert len(analysed) == 4 and analysed[["lung_ml", "poi"]].notna().all(axis=None)
    assert (analysed["lung_ml"] > 1000).all()
    # the scan after the failed one is called against the last analysed one, with the config's threshold
    calls = table.set_index(["patient_id", "timepoint"])["change_vs_previous"]
    assert calls["LT0002", second] == "stable" and calls["LT0001"].fillna("").tolist() == ["", "stable"]

    failures = pd.read_csv(results / "failures.tsv", sep="\t", dtype={"timepoint": str})
    assert list(failures["timepoint"]) == [middle] and list(failures["failed_step"]) == ["qc"]
    assert failures["reason"].iloc[0] == row["reason"]

    report = (results / "reports" / "LT0002.html").read_text()
    assert re.search(r"scan not analysed, qc failed: lung volume 0 mL is below 1000 mL", report)
    assert re.search(r'last interval <span class="call call-stable">', report)
    tracking = (results / "tracking" / "LT0002" / "tracking.json").read_text()
    assert middle not in tracking, "the failed scan was tracked"
    assert (results / "reports" / "LT0001.html").is_file()
    overview = (results / "reports" / "index.html").read_text()
    assert "Scans not analysed" in overview and "lung volume 0 mL" in overview
