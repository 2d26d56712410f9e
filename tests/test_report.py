"""Per-patient report: metrics JSONs -> one self-contained HTML file."""

import json
import re

import pytest

from lungtrack.cli import main
from lungtrack.errors import InputError
from lungtrack.measure.patient import load_patient
from lungtrack.report.data import breath_hold_warnings
from lungtrack.report.patient import patient_report

SCANS = [  # study date, POI %, lesion mL, lung mL
    ("2020-03-01", 5.0, 200.0, 4000.0),
    ("2020-03-08", 12.0, 430.0, 3600.0),
    ("2020-03-20", 4.0, 150.0, 3900.0),
]


def write_metrics(folder, patient_id="P001", scans=SCANS, extra_acquisition=None):
    """One metrics JSON per scan, as `lungtrack measure` writes them; returns the paths."""
    paths = []
    for date, poi, lesion, lung in scans:
        acquisition = {"patient_id": patient_id, "study_date": date, "slice_thickness_mm": 1.25, "kernel": "LUNG",
                       "spacing_mm": [0.7, 0.7, 1.25], "warnings": [], **(extra_acquisition or {})}
        record = {
            "patient_id": patient_id, "study_date": date, "timepoint": date.replace("-", ""),
            "lung_ml": lung, "lung_right_ml": lung * 0.55, "lung_left_ml": lung * 0.45,
            "lesion_ml": lesion, "ggo_ml": lesion * 0.7, "consolidation_ml": lesion * 0.3,
            "poi": poi, "poi_right": poi * 1.2, "poi_left": poi * 0.8, "acquisition": acquisition,
            "paths": {"image": "i.nii.gz", "lungs": "l.nii.gz", "lesions": "s.nii.gz"},
        }
        path = folder / f"{patient_id}_{date}.json"
        path.write_text(json.dumps(record))
        paths.append(path)
    return paths


def plotly_figures(html):
    """{div id: JSON text of the traces} of every figure drawn by Plotly.newPlot in the page."""
    return dict(re.findall(r'Plotly\.newPlot\(\s*"([\w-]+)",\s*(\[.*?\]),\s*\{', html, flags=re.S))


def test_timepoints_are_ordered_by_date(tmp_path):
    paths = write_metrics(tmp_path)
    table, records = load_patient([paths[2], paths[0], paths[1]], "P001")
    assert table["study_date"].tolist() == [s[0] for s in SCANS]
    assert [r["study_date"] for r in records] == [s[0] for s in SCANS]
    assert table["days_since_baseline"].tolist() == [0, 7, 19]


def test_report_is_self_contained_and_shows_the_data(tmp_path):
    html = patient_report(write_metrics(tmp_path), "P001")
    assert "Patient P001" in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"(?!data:)", html), "page references a file or URL"
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    figures = plotly_figures(html)
    assert set(figures) == {"poi-trend", "lesion-volumes"}
    assert '"both lungs"' in figures["poi-trend"] and '"right lung"' in figures["poi-trend"]
    assert '"consolidation"' in figures["lesion-volumes"]
    assert html.count("Plotly.newPlot") == 2
    assert html.count("window.PlotlyConfig") == 1, "plotly.js must be inlined exactly once"
    for date, *_ in SCANS:
        assert date in html
    # 5 % -> 12 % POI with 200 -> 430 mL is progression; 12 % -> 4 % with 430 -> 150 mL regression
    assert "progression" in html and "regression" in html


def test_report_shows_no_identifying_header(tmp_path):
    paths = write_metrics(tmp_path, extra_acquisition={"patient_name": "DOE^JANE", "PatientBirthDate": "19500101",
                                                       "institution_name": "General Hospital"})
    html = patient_report(paths, "P001")
    for secret in ("DOE^JANE", "19500101", "General Hospital"):
        assert secret not in html


def test_breath_hold_warning(tmp_path):
    table, _ = load_patient(write_metrics(tmp_path), "P001")
    warnings = breath_hold_warnings(table, max_change_pct=5.0)
    assert len(warnings) == 2 and "-10 %" in warnings[0]
    assert breath_hold_warnings(table, max_change_pct=15.0) == []


def test_files_of_two_patients_are_refused(tmp_path):
    paths = write_metrics(tmp_path, "P001") + write_metrics(tmp_path, "P002")
    with pytest.raises(InputError, match="several patients"):
        patient_report(paths, "P001")


def test_cli_writes_report_and_reports_bad_input(tmp_path, capsys):
    out = tmp_path / "reports" / "P001.html"
    assert main(["report", "--patient-id", "P001", *map(str, write_metrics(tmp_path)), "--out", str(out)]) == 0
    assert out.stat().st_size > 1_000_000  # plotly.js is inlined
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["report", "--patient-id", "P001", str(broken), "--out", str(tmp_path / "x.html")]) == 2
    assert "lungtrack report: error:" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
    # the CT and mask lists are one file per metrics file: the first metrics file without one is named
    paths = write_metrics(tmp_path)
    assert main(["report", "--patient-id", "P001", *map(str, paths), "--images", "ct.nii.gz", "--lungs", "l1", "l2",
                 "l3", "--lesions", "s1", "s2", "s3", "--out", str(tmp_path / "x.html")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"lungtrack report: error: {paths[1]}: 1 CT images given for 3 metrics files; "
        "give one per metrics file, in the same order")
    assert not (tmp_path / "x.html").exists()
