"""Inventory of a DICOM tree: grouping, series choice, reasons, timepoints, overrides, unreadable files."""

import numpy as np
import pandas as pd
import pytest

from lungtrack.cli import main
from lungtrack.ingest.headers import scan
from lungtrack.errors import InputError
from lungtrack.ingest.inventory import Rules, build, series_files
from lungtrack.phantom.dicom_writer import axial_positions, write_series

STUDY_A1 = "1.2.826.0.1.3680043.8.498.101"
STUDY_A2 = "1.2.826.0.1.3680043.8.498.102"
STUDY_A3 = "1.2.826.0.1.3680043.8.498.103"
STUDY_B1 = "1.2.826.0.1.3680043.8.498.201"
THIN = "1.2.826.0.1.3680043.8.498.1011"


def write_study(root, patient, study_uid, date, time="100000", thin_uid=None, seed=0):
    """A study as scanners export it: scout, thin and thick axial series, a screen shot."""
    volume = np.full((12, 8, 8), -800, np.int16)
    base = {"PatientID": patient, "StudyInstanceUID": study_uid, "StudyDate": date, "StudyTime": time}
    folder = root / patient / f"{date}_{time}"
    write_series(folder / "s1", volume[:1], axial_positions(1, 1.0),
                 header={**base, "SeriesNumber": 1, "SeriesDescription": "Topogram 0.6",
                         "ImageType": ["ORIGINAL", "PRIMARY", "LOCALIZER"]}, seed=seed)
    write_series(folder / "s2", volume, axial_positions(12, 5.0),
                 header={**base, "SeriesNumber": 2, "SeriesDescription": "Body 5.0"}, seed=seed + 1)
    thin = {"SeriesInstanceUID": thin_uid} if thin_uid else {}
    write_series(folder / "s3", volume, axial_positions(12, 1.0),
                 header={**base, **thin, "SeriesNumber": 3, "SeriesDescription": "Lung 1.0"}, seed=seed + 2)
    write_series(folder / "s4", volume[:1], axial_positions(1, 1.0),
                 header={**base, "SeriesNumber": 99, "SeriesDescription": "Dose Report",
                         "ImageType": ["DERIVED", "SECONDARY", "SCREEN SAVE"]}, seed=seed + 3)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("dicom")
    # patient A: two studies on one date (afternoon written first) and one later; patient B in between
    write_study(root, "A", STUDY_A2, "20200310", time="150000", seed=10)
    write_study(root, "A", STUDY_A1, "20200310", time="080000", thin_uid=THIN, seed=20)
    write_study(root, "A", STUDY_A3, "20200402", seed=30)
    write_study(root, "B", STUDY_B1, "20200305", seed=40)
    (root / "A" / "notes.txt").write_text("not an image")
    (root / "A" / "broken.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00")
    return root


@pytest.fixture(scope="module")
def inventory(tree):
    headers, skipped = scan(tree, progress=False)
    return build(headers, skipped)


def test_one_thin_axial_series_chosen_per_study(inventory):
    table, cases, _ = inventory
    series = table[table["series_uid"].notna()]
    assert len(series) == 16
    for _, study in series.groupby("study_uid"):
        status = dict(zip(study["series_description"], study["status"]))
        assert status == {
            "Topogram 0.6": "localizer/scout",
            "Body 5.0": "not chosen: series 3 has thinner slices",
            "Lung 1.0": "chosen",
            "Dose Report": "dose report or derived screen shot",
        }
    assert list(cases.columns[:4]) == ["patient_id", "study_date", "timepoint", "series_uid"]
    assert (cases["series_description"] == "Lung 1.0").all()


def test_patients_and_studies_ordered_by_date_with_same_day_suffix(inventory):
    _, cases, _ = inventory
    assert cases[["patient_id", "study_date", "timepoint"]].values.tolist() == [
        ["B", "2020-03-05", "20200305"],
        ["A", "2020-03-10", "20200310"],
        ["A", "2020-03-10", "20200310_2"],
        ["A", "2020-04-02", "20200402"],
    ]
    assert cases.loc[1, "series_uid"] == THIN  # the morning study comes first


def test_unreadable_files_are_listed_and_skipped(inventory):
    table, _, files = inventory
    skipped = table[table["series_uid"].isna()].set_index("path")["status"]
    assert skipped["A/notes.txt"] == "skipped: not a DICOM file"
    assert skipped["A/broken.dcm"].startswith("skipped: ")
    readable = files[files["reason"] == ""]
    assert len(readable) == 4 * (1 + 12 + 12 + 1) and not readable["path"].str.contains("notes.txt").any()
    listed = files[files["reason"] != ""].set_index("path")
    assert listed.loc["A/notes.txt", "reason"] == "not a DICOM file"
    assert (listed["series_uid"] == "").all(), "no series has its images in A/"


def test_series_files_lists_images_and_refuses_a_series_with_an_unreadable_file(tmp_path):
    rows = [("1.2.3", "P/s3/IM1", ""), ("1.2.3", "P/s3/IM2", ""), ("1.2.4", "P/s4/IM1", ""),
            ("1.2.4", "P/s4/IM2", "empty file (0 bytes)"), ("", "P/notes.txt", "not a DICOM file")]
    files = tmp_path / "files.tsv"
    pd.DataFrame(rows, columns=["series_uid", "path", "reason"]).to_csv(files, sep="\t", index=False)
    assert series_files(files, tmp_path / "dicom", "1.2.3") == [tmp_path / "dicom/P/s3/IM1",
                                                                tmp_path / "dicom/P/s3/IM2"]
    with pytest.raises(InputError, match="IM2: a file of this series cannot be read: empty file") as error:
        series_files(files, tmp_path / "dicom", "1.2.4")
    assert "P/s4" not in str(error.value), "named relative to the series' folder"
    with pytest.raises(InputError, match="no files of series 1.2.5"):
        series_files(files, tmp_path / "dicom", "1.2.5")


def test_single_slice_series_of_a_study_are_refused_with_reason(tmp_path):
    write_series(tmp_path / "ax", np.zeros((1, 8, 8), np.int16), axial_positions(1, 1.0),
                 header={"PatientID": "C", "StudyInstanceUID": "1.2.3.4", "SeriesNumber": 2})
    write_series(tmp_path / "cor", np.zeros((1, 8, 8), np.int16), axial_positions(1, 1.0),
                 orientation=(1, 0, 0, 0, 0, -1), header={"PatientID": "C", "StudyInstanceUID": "1.2.3.4"}, seed=3)
    table, cases, _ = build(*scan(tmp_path, progress=False))
    assert sorted(table["status"]) == ["single axial slice: not a volume", "single coronal slice: not a volume"]
    assert len(cases) == 1 and cases["refused"].iloc[0].startswith("no series can be analysed: series ")
    assert "single coronal slice" in cases["refused"].iloc[0] and "single axial slice" in cases["refused"].iloc[0]


def test_description_pattern_and_explicit_uid_override_the_choice(tree):
    headers, _ = scan(tree, progress=False)
    table, cases, _ = build(headers, rules=Rules(description_pattern=r"body"))
    assert (cases["series_description"] == "Body 5.0").all() and len(cases) == 4
    assert (table.loc[table["series_description"] == "Lung 1.0", "status"]
            == "SeriesDescription does not match ingest.series_description_pattern").all()
    thick_a1 = table[(table["study_uid"] == STUDY_A1) & (table["series_description"] == "Body 5.0")]
    uid = thick_a1["series_uid"].iloc[0]
    _, cases, _ = build(headers, rules=Rules(series_uids=(uid,)))
    assert cases.set_index("timepoint").loc["20200310", "series_uid"] == uid
    assert (cases["series_description"] == "Lung 1.0").sum() == 3


def test_too_few_slices_and_refused_tilt(tmp_path):
    t = np.radians(20)
    orientation = (1, 0, 0, 0, np.cos(t), -np.sin(t))
    write_series(tmp_path / "tilted", np.zeros((12, 8, 8), np.int16), axial_positions(12, 2.0),
                 orientation=orientation, header={"PatientID": "D", "SeriesNumber": 2})
    headers, _ = scan(tmp_path, progress=False)
    assert build(headers)[0]["status"].tolist() == ["chosen"]
    assert build(headers, rules=Rules(tilt="refuse"))[0]["status"].tolist() == [
        "gantry tilt 20.0 deg (ingest.tilt: refuse)"]
    assert build(headers, rules=Rules(min_slices=20))[0]["status"].tolist() == [
        "12 slices: fewer than ingest.min_slices (20)"]


def test_cli_tables_feed_convert(tree, tmp_path, caplog):
    inv, files, cases = tmp_path / "inventory.tsv", tmp_path / "files.tsv", tmp_path / "cases.tsv"
    with caplog.at_level("INFO"):
        assert main(["inventory", str(tree), str(inv), "--files", str(files), "--cases", str(cases)]) == 0
    assert ("inventory: 106 files (2 skipped), 2 patients, 4 studies, 16 series, 4 chosen, 8 refused"
            in caplog.text)
    table = pd.read_csv(inv, sep="\t", dtype=str, keep_default_na=False)
    assert {"patient_id", "study_date", "series_number", "series_description", "n_images",
            "slice_thickness_mm", "kernel", "status"} <= set(table.columns)
    case = pd.read_csv(cases, sep="\t", dtype=str).iloc[2]
    out, side = tmp_path / "img.nii.gz", tmp_path / "img.json"
    assert main(["convert", "--files", str(files), "--root", str(tree), "--series", case["series_uid"],
                 str(out), "--sidecar", str(side), "--cases", str(cases)]) == 0
    assert f'"timepoint": "{case["timepoint"]}"' in side.read_text() and case["timepoint"] == "20200310_2"
