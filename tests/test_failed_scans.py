"""Scans that fail at segmentation, measurement or quality control: failed rows, warnings, skipped by tracking."""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from test_report import write_metrics

from lungtrack.cli import main
from lungtrack.cli.segment_lungs import segment_or_record
from lungtrack.ingest.status import read_status, write_status
from lungtrack.io.images import write_image
from lungtrack.measure.analysed import nothing_analysed
from lungtrack.measure.cohort import BASE_COLUMNS, cohort_table
from lungtrack.measure import qc
from lungtrack.measure.outcome import case_outcome, failed_record
from lungtrack.report.overview import overview_report
from lungtrack.report.patient import patient_report
from lungtrack.segment import segment_lungs

SCANS = [("2020-03-01", 5.0, 200.0, 4000.0), ("2020-03-08", 12.0, 430.0, 3600.0), ("2020-03-15", 8.0, 300.0, 3700.0)]
CUT = "lungs cut off by the field of view at the apex (last slice at the head end): POI of a partial lung"
NO_LUNGS = "lung volume 0 mL is below 1000 mL: not a whole chest, or no lungs found"


def _patient(folder):
    """Metrics files of one patient: a QC warning on the first scan, QC fail on the second, the third fine."""
    paths = write_metrics(folder, scans=SCANS)
    for path, verdict, reasons in zip(paths, ["warn", "fail", "pass"], [[CUT], [NO_LUNGS, CUT], []], strict=True):
        record = json.loads(path.read_text())
        record.update(qc=verdict, qc_reasons=reasons, status="failed" if verdict == "fail" else "ok")
        if verdict == "fail":
            record.update(failed_step="qc", reason="; ".join(reasons))
        path.write_text(json.dumps(record))
    return paths


def test_qc_fail_is_a_failed_row_with_empty_measurements(tmp_path):
    records = [json.loads(p.read_text()) for p in _patient(tmp_path)]
    table = cohort_table(records, min_poi_pp=2.0)
    assert list(table.columns[: len(BASE_COLUMNS)]) == BASE_COLUMNS
    assert list(table.columns[-5:]) == ["qc", "qc_reasons", "status", "failed_step", "reason"]
    assert table["status"].tolist() == ["ok", "failed", "ok"]
    failed = table.iloc[1]
    assert failed["failed_step"] == "qc" and failed["qc"] == "fail"
    assert failed["reason"] == f"{NO_LUNGS}; {CUT}" == failed["qc_reasons"]
    assert failed[["lung_ml", "lesion_ml", "poi", "poi_right", "ggo_ml"]].isna().all()
    assert table["qc"].tolist() == ["warn", "fail", "pass"] and table["qc_reasons"].iloc[0] == CUT
    # the third scan is called against the first (5 -> 8 %, 200 -> 300 mL): progression, not the failed one's
    assert table["change_vs_previous"].tolist() == ["", "", "progression"]


def test_segmentation_failure_is_a_failed_row(tmp_path):
    records = [json.loads(p.read_text()) for p in write_metrics(tmp_path, scans=SCANS[:2])]
    broken = failed_record({"patient_id": "P001", "study_date": "2020-03-20", "timepoint": "20200320"}, "segment",
                           "ValueError: no body found")
    table = cohort_table([*records, broken])
    assert table["status"].tolist() == ["ok", "ok", "failed"]
    assert table.iloc[2][["failed_step", "reason"]].tolist() == ["segment", "ValueError: no body found"]
    assert "qc" not in table.columns
    assert case_outcome(broken)["status"] == "failed"


def test_cohort_cli_lists_check_and_metrics_failures(tmp_path):
    paths = _patient(tmp_path)
    status = tmp_path / "status.json"
    write_status(status, {"patient_id": "P002", "study_date": "2020-01-01", "timepoint": "20200101"}, "convert",
                 "IM1.dcm: unreadable DICOM")
    out, failures = tmp_path / "cohort.csv", tmp_path / "failures.tsv"
    assert main(["cohort", *map(str, paths), "--status", str(status), "--failures", str(failures),
                 "--out", str(out)]) == 0
    listed = pd.read_csv(failures, sep="\t")
    assert listed[["patient_id", "failed_step"]].values.tolist() == [["P001", "qc"], ["P002", "convert"]]
    assert listed["reason"].tolist() == [f"{NO_LUNGS}; {CUT}", "IM1.dcm: unreadable DICOM"]
    assert pd.read_csv(out)["status"].tolist() == ["ok", "failed", "ok", "failed"]
    assert nothing_analysed(out) is None


def test_nothing_analysed_says_why(tmp_path):
    empty, failed = tmp_path / "empty.csv", tmp_path / "failed.csv"
    cohort_table([], failures=[]).to_csv(empty, index=False)
    assert "no CT study was found" in nothing_analysed(empty)
    paths = write_metrics(tmp_path, scans=SCANS[:1])
    record = json.loads(paths[0].read_text()) | {"qc": "fail", "qc_reasons": [NO_LUNGS]}
    cohort_table([record]).to_csv(failed, index=False)
    assert nothing_analysed(failed) == "none of the 1 scans could be analysed (see failures.tsv)"


def test_report_warns_of_failed_and_qc_warned_scans(tmp_path):
    html = patient_report(_patient(tmp_path), "P001")
    assert f"2020-03-08: scan not analysed, qc failed: {NO_LUNGS}; {CUT}" in html
    assert f"2020-03-01: quality control: {CUT}" in html
    assert "2 CT scans from 2020-03-01 to 2020-03-15" in html  # the failed scan is in no number
    assert re.search(r'last interval <span class="call call-progression">', html)


def test_report_of_a_patient_whose_every_scan_failed(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(failed_record({"patient_id": "P9", "study_date": "2020-01-02", "timepoint": "20200102"},
                                             "segment", "ValueError: no body found")))
    html = patient_report([path], "P9")
    assert "None of this patient's 1 CT scan could be analysed" in html
    assert "2020-01-02: scan not analysed, segment failed: ValueError: no body found" in html


def test_overview_lists_failed_and_warned_scans(tmp_path):
    csv = tmp_path / "cohort.csv"
    cohort_table([json.loads(p.read_text()) for p in _patient(tmp_path)], failures=[]).to_csv(csv, index=False)
    html = overview_report(csv)
    failures = html[html.index('id="failures"'):html.index('id="qc-warnings"')]
    assert "2020-03-08" in failures and NO_LUNGS in failures
    warned = html[html.index('id="qc-warnings"'):html.index('id="trajectories"')]
    assert "2020-03-01" in warned and CUT in warned and "2020-03-15" not in warned


def test_change_thresholds_read_the_same_in_csv_and_report(tmp_path):
    scans = [("2020-03-01", 5.0, 200.0, 4000.0), ("2020-03-08", 8.0, 320.0, 4000.0)]  # +3 pp, +60 % lesion
    paths = [str(p) for p in write_metrics(tmp_path, scans=scans)]
    out, html = tmp_path / "cohort.csv", tmp_path / "P001.html"
    for threshold, call in (("5", "stable"), ("2", "progression")):
        assert main(["cohort", *paths, "--min-poi-change-pp", threshold, "--out", str(out)]) == 0
        assert main(["report", *paths, "--patient-id", "P001", "--min-poi-change-pp", threshold,
                     "--out", str(html)]) == 0
        assert pd.read_csv(out)["change_vs_previous"].tolist()[1] == call
        assert f'last interval <span class="call call-{call}">' in html.read_text()


def _ct(path, shape=(12, 40, 40)):
    image = sitk.GetImageFromArray(np.full(shape, -1000, np.int16))
    image.SetSpacing((2.0, 2.0, 3.0))
    write_image(image, path)
    return image


def test_measure_records_a_failed_step_or_its_own_failure(tmp_path, capsys):
    image = _ct(tmp_path / "ct.nii.gz")
    sidecar = tmp_path / "ct.json"
    sidecar.write_text(json.dumps({"patient_id": "P1", "study_date": "2020-01-01", "timepoint": "20200101"}))
    lungs = tmp_path / "lungs.nii.gz"
    write_image(sitk.Image(image.GetSize(), sitk.sitkUInt8), lungs)  # no origin/spacing: not on the CT's grid
    ok, bad = tmp_path / "ok.json", tmp_path / "bad.json"
    write_status(ok, {}, "segment")
    write_status(bad, {}, "segment", "ValueError: no body found")
    args = [str(tmp_path / "ct.nii.gz"), str(lungs), str(lungs), "--sidecar", str(sidecar)]
    out = tmp_path / "m.json"
    assert main(["measure", *args, "--steps", str(ok), str(bad), "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["status"] == "failed" and record["failed_step"] == "segment" and "lung_ml" not in record
    assert record["reason"] == "ValueError: no body found" and record["timepoint"] == "20200101"
    assert main(["measure", *args, "--steps", str(ok), "--record-failure", "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["failed_step"] == "measure" and "mask is not on the grid of its CT image" in record["reason"]
    out.unlink()
    assert main(["measure", *args, "--out", str(out)]) == 2 and not out.exists()  # standalone: a clear error
    assert "mask is not on the grid" in capsys.readouterr().err


def test_segmentation_error_is_recorded_with_empty_masks(tmp_path):
    image = _ct(tmp_path / "ct.nii.gz")
    masks, status = tmp_path / "lungs.nii.gz", tmp_path / "status.json"

    def segment():  # a backend that is not registered: the dispatcher raises
        write_image(segment_lungs(image, backend="no-such-backend"), masks)

    assert not segment_or_record(str(status), image, segment, [masks])
    record = read_status(status)
    assert record["status"] == "failed" and record["failed_step"] == "segment"
    assert "no-such-backend" in record["reason"] and "\n" not in record["reason"]
    empty = sitk.ReadImage(str(masks))
    assert empty.GetSize() == image.GetSize() and not sitk.GetArrayFromImage(empty).any()
    with pytest.raises(Exception, match="no-such-backend"):  # without a status file the error stops the step
        segment_or_record(None, image, segment, [masks])
    # the command line: a CT segmented with --status says ok
    cmd = [sys.executable, "-m", "lungtrack", "segment-lungs", str(tmp_path / "ct.nii.gz"), str(masks)]
    assert subprocess.run([*cmd, "--status", str(status)], capture_output=True).returncode == 0
    assert read_status(status)["status"] == "ok"


@pytest.mark.parametrize("case", ["results_inside_dicom", "missing_model"])
def test_config_errors_stop_the_run_at_once(case, snakemake_cmd, tmp_path):
    dicom = tmp_path / "dicom"
    dicom.mkdir()
    config = {"dicom_dir": str(dicom), "results_dir": str(tmp_path / "results")}
    if case == "results_inside_dicom":
        config["results_dir"] = str(dicom / "results")
        expected = f"results_dir {dicom / 'results'} lies inside dicom_dir {dicom}"
    else:
        config.update(segmentation={"backend": "nnunet"}, nnunet={"model": str(tmp_path / "modles")})
        expected = f"nnunet.model: model folder {tmp_path / 'modles'} does not exist"
    res = subprocess.run(snakemake_cmd(tmp_path / "run", config, "-n", "--cores", "1"), capture_output=True,
                         text=True)
    assert res.returncode != 0 and expected in res.stdout + res.stderr
    assert "rule train" not in res.stdout + res.stderr and not (tmp_path / "modles").exists()


def test_readme_lists_every_qc_rule_with_its_threshold(repo_root):
    readme = (repo_root / "README.md").read_text()
    section = readme[readme.index("## Quality control"):readme.index("## What happens to bad input")]
    for name in ("MIN_LUNG_ML", "MAX_LUNG_ML", "CUT_AREA_MM2", "MIN_SIDE_RATIO", "AIRWAY_LESION_ML",
                 "AIRWAY_MARGIN_MM", "AIRWAY_HU", "MAX_PIXEL_MM", "MAX_SLICE_MM"):
        value = getattr(qc, name)
        shown = f"{value:g}".replace("-", "−")
        assert re.search(rf"{re.escape(shown)} [^|]*\(`[^|]*{name}", section), (name, shown)


@pytest.mark.slow
def test_empty_dicom_dir_says_so_and_exits_non_zero(snakemake_cmd, tmp_path):
    (tmp_path / "dicom").mkdir()
    config = {"dicom_dir": str(tmp_path / "dicom"), "results_dir": str(tmp_path / "results")}
    res = subprocess.run(snakemake_cmd(tmp_path / "run", config, "--cores", "1"), capture_output=True, text=True)
    assert res.returncode == 1
    lines = [line for line in res.stderr.splitlines() if "nothing analysed" in line]
    assert lines == ["lungtrack: nothing analysed: no CT study was found in the input (see ingest/inventory.tsv)"]
    assert (tmp_path / "results" / "cohort.csv").is_file() and (tmp_path / "results" / "failures.tsv").is_file()
