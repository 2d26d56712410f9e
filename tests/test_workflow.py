"""End to end: snakemake on a tiny demo cohort, cohort.csv checked against the phantom's truth.

The run's cohort.csv, CTs and masks must also equal the figures in ``workflow_figures.json``,
recorded from the workflow before the ingest was folded into one decode per case and one
checkpoint per cohort (issue 13): a change of the rule layout leaves every result alone. A change
meant to change the results records them again from a demo run of this module's fixture (its
results folder), and says so in its commit:

    python tests/test_workflow.py --record RESULTS_DIR
"""

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest
import SimpleITK as sitk
import yaml

from test_browser_report import CHROMEDRIVER, CHROMIUM, browser  # noqa: F401 - the Chromium fixture

from lungtrack.measure.cohort import BASE_COLUMNS
from lungtrack.measure.volumes import lung_lesion_volumes

pytestmark = pytest.mark.slow
FIGURES = Path(__file__).with_name("workflow_figures.json")


@pytest.fixture(scope="module")
def demo_run(repo_root, snakemake_cmd, tmp_path_factory):
    """Run the whole default DAG on a 2-patient × 2-timepoint demo cohort in a temporary folder."""
    tmp = tmp_path_factory.mktemp("workflow")
    demo, results = tmp / "demo", tmp / "results"
    config = yaml.safe_load((repo_root / "config.yaml").read_text())
    config.update(results_dir=str(results), dicom_dir=str(demo / "dicom"),
                  demo={"dir": str(demo), "patients": 2, "timepoints": 2, "seed": 11})
    res = subprocess.run(snakemake_cmd(tmp, config, "--cores", "2"), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]
    return demo, results, res


def _truth_volumes(demo, patient_id, study_date):
    folder = demo / "truth" / patient_id / study_date.replace("-", "")
    lungs = sitk.ReadImage(str(folder / "lungs.nii.gz"))
    lesions = sitk.GetArrayFromImage(sitk.ReadImage(str(folder / "lesions.nii.gz")))
    voxel_ml = float(np.prod(lungs.GetSpacing())) / 1000
    return lung_lesion_volumes(sitk.GetArrayFromImage(lungs), lesions, voxel_ml)


def test_cohort_csv_matches_truth(demo_run):
    demo, results, _ = demo_run
    table = pd.read_csv(results / "cohort.csv")
    assert list(table.columns[: len(BASE_COLUMNS)]) == BASE_COLUMNS
    assert len(table) == 4 and table["patient_id"].nunique() == 2
    assert (table.groupby("patient_id")["days_since_baseline"].min() == 0).all()
    assert (table.groupby("patient_id")["days_since_baseline"].max() > 0).all()
    for row in table.itertuples():
        truth = _truth_volumes(demo, row.patient_id, row.study_date)
        assert abs(row.lung_ml - truth["lung_ml"]) <= 0.03 * truth["lung_ml"]
        # never more lesion than the truth; less where consolidation lies on the diaphragm, which the
        # wall fill no longer takes back (README, Segmentation: the price of not filling healthy domes)
        assert -2.5 <= row.poi - truth["poi"] <= 1.0
        assert -4.0 <= row.poi_right - truth["poi_right"] <= 1.5
        assert -4.0 <= row.poi_left - truth["poi_left"] <= 1.5
        # the demo's truth is the reference, so the agreement columns are filled and agree
        assert row.dice_lung >= 0.95
        assert row.poi_error == pytest.approx(row.poi - truth["poi"], abs=1e-3)


def result_figures(results: Path) -> dict:
    """cohort.csv's text and a SHA-256 of the voxel array of every CT and mask, by path below ``results``."""
    arrays = {}
    for path in sorted((results / "images").rglob("*.nii.gz")) + sorted((results / "masks").rglob("*.nii.gz")):
        array = np.ascontiguousarray(sitk.GetArrayFromImage(sitk.ReadImage(str(path))))
        arrays[str(path.relative_to(results))] = hashlib.sha256(array.tobytes()).hexdigest()
    return {"cohort_csv": (results / "cohort.csv").read_text(), "arrays": arrays}


def test_results_identical_to_recorded(demo_run):
    _, results, _ = demo_run
    expected, found = json.loads(FIGURES.read_text()), result_figures(results)
    assert found["arrays"] == expected["arrays"]  # the same files, voxel for voxel
    # every value as recorded (the table is written with 4 decimals: floating-point noise cannot show)
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(found["cohort_csv"])),
                                  pd.read_csv(io.StringIO(expected["cohort_csv"])), check_exact=True)


def test_reports_are_offline_and_private(demo_run):
    demo, results, res = demo_run
    table = pd.read_csv(results / "cohort.csv")
    for pid in table["patient_id"].unique():
        html = (results / "reports" / f"{pid}.html").read_text()
        assert "plotly" in html.lower()
        # self-contained: no script, style or image is loaded from anywhere (the browser test also
        # checks that opening it makes no request)
        assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", html)
    header = pydicom.dcmread(next((demo / "dicom").rglob("*.dcm")), stop_before_pixels=True)
    secrets = [str(header.PatientName), str(header.PatientName).split("^")[-1], header.PatientBirthDate]
    assert all(len(s) >= 4 for s in secrets)
    every_output = [p for p in results.rglob("*") if p.is_file() and p.suffix in {".csv", ".tsv", ".json", ".html", ".log"}]
    assert len(every_output) > 10
    for path in every_output:
        text = path.read_text(errors="ignore")
        for secret in secrets:
            assert secret not in text, f"{path} carries {secret!r}"
    for path in results.rglob("*"):
        assert not any(secret in path.name for secret in secrets), path


@pytest.fixture(scope="module")
def report_dir(demo_run, snakemake_cmd):
    """`snakemake evaluate` on the demo run, then `snakemake all evaluate --report report.zip`, unpacked."""
    _, results, _ = demo_run
    workdir = results.parent
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    for args in (["evaluate", "--cores", "2"], ["all", "evaluate", "--report", str(workdir / "report.zip")]):
        res = subprocess.run(snakemake_cmd(workdir, config, *args), capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stderr[-4000:]
    with zipfile.ZipFile(workdir / "report.zip") as bundle:
        bundle.extractall(workdir / "unpacked")
    return results, workdir / "unpacked"


def test_report_holds_every_result(report_dir):
    results, unpacked = report_dir
    names = {p.name for p in unpacked.rglob("*") if p.is_file()}
    patients = pd.read_csv(results / "cohort.csv")["patient_id"].unique()
    expected = {"cohort.csv", "failures.tsv", "cohort_table.html", "index.html", "cohort_regions.csv",
                "evaluation.html", "summary.csv"}
    assert expected | {f"{pid}.html" for pid in patients} <= names
    (index,) = unpacked.glob("*/report.html")
    html = index.read_text()
    # the workflow description and the runtime statistics of the rules
    assert "lungtrack measured the lungs" in html
    assert all(rule in html for rule in ("segment_lungs", "measure", "cohort_overview"))


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="Chromium and chromedriver are not installed")
def test_report_opens_in_chromium(report_dir, browser):  # noqa: F811 - the fixture imported above
    results, unpacked = report_dir
    (index,) = unpacked.glob("*/report.html")
    browser.get(index.resolve().as_uri())
    browser.execute_async_script("const done = arguments[0]; setTimeout(done, 1500);")
    text = browser.find_element("tag name", "body").text
    for category in ("Cohort", "Patients", "Evaluation"):
        assert category in text, text[:2000]
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    # the cohort table as the report shows it: one table row per row of cohort.csv
    (page,) = unpacked.rglob("cohort_table.html")
    browser.get(page.resolve().as_uri())
    rows = browser.find_elements("css selector", "#cohort table.data tbody tr")
    table = pd.read_csv(results / "cohort.csv", dtype=str)
    assert [r.find_element("tag name", "td").text for r in rows] == list(table["patient_id"])


if __name__ == "__main__" and sys.argv[1:2] == ["--record"]:
    FIGURES.write_text(json.dumps(result_figures(Path(sys.argv[2])), indent=1) + "\n")
