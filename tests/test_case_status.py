"""Case status: `lungtrack convert --status`, the case status table, failures in the cohort table, the reports, and the tree fingerprint."""

import json
import os

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from lungtrack.cli import main
from lungtrack.errors import InputError
from lungtrack.ingest.fingerprint import tree_fingerprint
from lungtrack.ingest.status import failures_table, read_status, reason_text, write_status
from lungtrack.phantom.dicom_writer import axial_positions, write_series
from lungtrack.measure.cohort import cohort_table
from lungtrack.report.overview import overview_report


def _series(folder):
    positions = axial_positions(6, 2.0)
    return write_series(folder, np.full((6, 16, 16), -800, np.int16), positions, pixel_spacing=(0.7, 0.7))


def _inventory(tmp_path, dicom):
    main(["inventory", str(dicom), str(tmp_path / "inventory.tsv"), "--files", str(tmp_path / "files.tsv"),
          "--cases", str(tmp_path / "cases.tsv"), "--min-slices", "3"])
    return pd.read_csv(tmp_path / "cases.tsv", sep="\t", dtype=str).iloc[0]


def _convert(tmp_path, dicom, case, status):
    return main(["convert", "--files", str(tmp_path / "files.tsv"), "--root", str(dicom), "--series",
                 case["series_uid"], str(tmp_path / "images" / "ct.nii.gz"), "--sidecar",
                 str(tmp_path / "images" / "ct.json"), "--cases", str(tmp_path / "cases.tsv"), "--status", str(status)])


def test_convert_writes_image_then_ok_or_only_failed_with_the_reason_and_no_folder_names(tmp_path):
    dicom = tmp_path / "Doe^Jane" / "dicom"
    paths = _series(dicom / "study")
    case = _inventory(tmp_path, dicom)
    status, image, sidecar = tmp_path / "status.json", tmp_path / "images" / "ct.nii.gz", tmp_path / "images" / "ct.json"
    assert _convert(tmp_path, dicom, case, status) == 0
    record = read_status(status)
    assert record["status"] == "ok" and record["timepoint"] == case["timepoint"]
    assert sitk.GetArrayFromImage(sitk.ReadImage(str(image))).shape == (6, 16, 16)  # the one decode's image
    assert json.loads(sidecar.read_text())["timepoint"] == case["timepoint"]

    os.truncate(paths[3], paths[3].stat().st_size - 64)  # pixel data cut short
    assert _convert(tmp_path, dicom, case, status) == 0  # a bad series is a result, not a crash
    record = read_status(status)
    assert record["status"] == "failed" and record["failed_step"] == "convert"
    assert record["reason"].startswith(f"{paths[3].name}: ") and "pixel data" in record["reason"]
    assert "Doe" not in record["reason"] and str(tmp_path) not in record["reason"]
    # nothing of the earlier run's image is left as if it were this series' result
    assert not image.exists() and not sidecar.exists()
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == []


def test_status_table_lists_every_case_in_order(tmp_path):
    ok, failed = tmp_path / "b.json", tmp_path / "a.json"
    write_status(ok, {"patient_id": "B", "study_date": "2020-03-01", "timepoint": "20200301"}, "convert")
    write_status(failed, {"patient_id": "A", "study_date": "2020-03-02", "timepoint": "20200302"}, "convert",
                 "a.dcm: cannot decode pixel data")
    table = tmp_path / "cases.tsv"
    assert main(["case-status", str(ok), str(failed), "--out", str(table)]) == 0
    rows = pd.read_csv(table, sep="\t", dtype=str, keep_default_na=False).to_dict("records")
    assert rows == [
        {"patient_id": "A", "study_date": "2020-03-02", "timepoint": "20200302", "status": "failed",
         "failed_step": "convert", "reason": "a.dcm: cannot decode pixel data"},
        {"patient_id": "B", "study_date": "2020-03-01", "timepoint": "20200301", "status": "ok",
         "failed_step": "", "reason": ""},
    ]


def test_reason_text_outside_root_keeps_only_the_file_name(tmp_path):
    error = InputError(tmp_path / "Smith^John" / "x.dcm", "cannot decode pixel data")
    assert reason_text(error, tmp_path / "other") == "x.dcm: cannot decode pixel data"
    assert reason_text(InputError(None, "broken")) == "broken"


def test_read_status_names_a_bad_file(tmp_path):
    bad = tmp_path / "s.json"
    bad.write_text(json.dumps({"status": "maybe"}))
    with pytest.raises(InputError, match="s.json: case status 'maybe'"):
        read_status(bad)


def _metrics(pid, date, poi):
    return {"patient_id": pid, "study_date": date, "timepoint": date.replace("-", ""), "lung_ml": 4000.0,
            "lung_right_ml": 2000.0, "lung_left_ml": 2000.0, "lesion_ml": 40.0 * poi, "ggo_ml": 40.0 * poi,
            "consolidation_ml": 0.0, "poi": poi, "poi_right": poi, "poi_left": poi}


def _failed(tmp_path, pid, date):
    path = tmp_path / f"{pid}_{date}.json"
    write_status(path, {"patient_id": pid, "study_date": date, "timepoint": date.replace("-", "")}, "convert",
                 "a.dcm: cannot decode pixel data")
    return read_status(path)


def test_cohort_keeps_failed_rows_and_calls_change_across_them(tmp_path):
    failed = _failed(tmp_path, "A", "2020-03-08")
    table = cohort_table([_metrics("A", "2020-03-01", 1.0), _metrics("A", "2020-03-15", 6.0)],
                         failures=failures_table([failed]).to_dict("records"))
    assert list(table["status"]) == ["ok", "failed", "ok"]
    assert list(table["days_since_baseline"]) == [0, 7, 14]
    assert table.loc[1, ["lung_ml", "poi"]].isna().all() and "pixel data" in table.loc[1, "reason"]
    # the scan after the failed one is called against the last analysed one
    assert list(table["change_vs_previous"]) == ["", "", "progression"]
    assert list(table.columns[-3:]) == ["status", "failed_step", "reason"]


def test_cohort_cli_writes_failures_table_and_overview_lists_them(tmp_path):
    metrics = tmp_path / "m.json"
    metrics.write_text(json.dumps(_metrics("A", "2020-03-01", 2.0)))
    status = tmp_path / "B.json"
    write_status(status, {"patient_id": "B", "study_date": "2020-04-01", "timepoint": "20200401"}, "convert",
                 "x.dcm: cannot decode pixel data")
    out = tmp_path / "cohort.csv"
    assert main(["cohort", str(metrics), "--status", str(status), "--failures", str(tmp_path / "failures.tsv"),
                 "--out", str(out)]) == 0
    failures = pd.read_csv(tmp_path / "failures.tsv", sep="\t", dtype=str)
    assert list(failures["patient_id"]) == ["B"] and failures["reason"].iloc[0] == "x.dcm: cannot decode pixel data"
    html = overview_report(out)
    assert "Scans not analysed" in html and "x.dcm: cannot decode pixel data" in html
    assert 'href="B.html"' not in html and 'href="A.html"' in html  # B has no report to link


def test_fingerprint_changes_with_the_tree_only(tmp_path):
    (tmp_path / "p" / "s").mkdir(parents=True)
    (tmp_path / "p" / "s" / "1.dcm").write_bytes(b"x")
    first = tree_fingerprint(tmp_path)
    assert tree_fingerprint(tmp_path) == first
    (tmp_path / "p" / "t").mkdir()
    (tmp_path / "p" / "t" / "1.dcm").write_bytes(b"y")
    assert tree_fingerprint(tmp_path) != first
    (tmp_path / "p" / "t" / "1.dcm").unlink()
    assert tree_fingerprint(tmp_path) == first
    assert tree_fingerprint(tmp_path / "absent") == tree_fingerprint(tmp_path / "p" / "t")


def test_a_cohort_where_every_scan_failed_still_gets_its_table_and_overview(tmp_path):
    status = tmp_path / "A.json"
    write_status(status, {"patient_id": "A", "study_date": "2020-01-01", "timepoint": "20200101"}, "convert",
                 "x.dcm: unreadable DICOM")
    out = tmp_path / "cohort.csv"
    assert main(["cohort", "--status", str(status), "--failures", str(tmp_path / "f.tsv"), "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table["status"]) == ["failed"] and table["poi"].isna().all()
    html = overview_report(out)
    assert "x.dcm: unreadable DICOM" in html and "0 patients" in html
