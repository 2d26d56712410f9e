"""Bad input at ingest: every study ends as a case, ok with trustworthy numbers or failed with a one-line reason.

Small generated DICOM series (lungtrack.phantom.dicom_writer) and NIfTI volumes, corrupted with pydicom or
by hand; each test asserts the failed status and its reason and that the good cases stay ok.
"""

import os
import shutil
import struct

import jsonschema
import numpy as np
import pandas as pd
import pydicom
import pytest
import SimpleITK as sitk
import yaml

from lungtrack.cli import main
from lungtrack.config_checks import config_problems
from lungtrack.ingest import headers as headers_module
from lungtrack.ingest.fingerprint import tree_fingerprint
from lungtrack.ingest.privacy import file_key, patient_key
from lungtrack.ingest.status import read_status
from lungtrack.phantom.dicom_writer import axial_positions, write_series
from lungtrack.settings import SCHEMA_PATH

N = 12  # slices of every test series (default ingest.min_slices is 10)


def ct(n=N, size=16):
    """(z, y, x) HU: air around a soft-tissue block."""
    volume = np.full((n, size, size), -1000, np.int16)
    volume[:, 4:12, 4:12] = 40
    return volume


def study(root, name, patient, date="20200301", seed=0, **kwargs):
    """One CT series in root/<name>/ (its own study); returns the file paths."""
    header = {"PatientID": patient, "StudyInstanceUID": pydicom.uid.generate_uid(), "StudyDate": date,
              **kwargs.pop("header", {})}
    volume = kwargs.pop("volume", ct())
    return write_series(root / name, volume, kwargs.pop("positions", axial_positions(len(volume), 2.0)),
                        pixel_spacing=kwargs.pop("pixel_spacing", (0.8, 0.8)), header=header, seed=seed, **kwargs)


def inventory(tmp_path, source, *options):
    out = tmp_path / "ingest"
    assert main(["inventory", str(source), str(out / "inventory.tsv"), "--files", str(out / "files.tsv"),
                 "--cases", str(out / "cases.tsv"), *options]) == 0
    return (pd.read_csv(out / "cases.tsv", sep="\t", dtype=str, keep_default_na=False),
            pd.read_csv(out / "files.tsv", sep="\t", dtype=str, keep_default_na=False))


def check_all(tmp_path, dicom, cases):
    """Status record of every case, by patient_id (lungtrack convert --status as rule convert runs it)."""
    records = {}
    for case in cases.itertuples():
        status = tmp_path / "status" / f"{case.patient_id}_{case.timepoint}.json"
        image = tmp_path / "images" / f"{case.patient_id}_{case.timepoint}.nii.gz"
        assert main(["convert", "--files", str(tmp_path / "ingest" / "files.tsv"), "--root", str(dicom),
                     f"--series={case.series_uid}", str(image), "--cases", str(tmp_path / "ingest" / "cases.tsv"),
                     "--status", str(status)]) == 0
        records[case.patient_id] = read_status(status)
        # one decode: an ok case has its image, a failed one none
        assert image.exists() == (records[case.patient_id]["status"] == "ok"), case.patient_id
    return records


def test_wrong_dicom_numbers_fail_at_the_check_and_good_series_stay_ok(tmp_path):
    dicom = tmp_path / "DOE_JOHN"
    study(dicom, "good", "GOOD")
    study(dicom, "gap", "GAP", seed=1)
    os.remove(sorted((dicom / "gap").iterdir())[5])  # a true acquisition gap: no file at that position
    study(dicom, "huge", "HUGE", pixel_spacing=(1e6, 1e6), seed=2)
    study(dicom, "zero", "ZERO", pixel_spacing=(0, 0), seed=3)
    study(dicom, "flat", "FLAT", positions=axial_positions(N, 0.05), seed=4)
    raw = study(dicom, "raw", "RAW", intercept=0.0, volume=ct() + 1024, seed=5)  # unsigned, stored = HU + 1024
    for path in raw:
        ds = pydicom.dcmread(path)
        del ds.RescaleSlope, ds.RescaleIntercept
        ds.save_as(path)
    empty = study(dicom, "empty", "EMPTY", seed=6)[3]
    empty.write_bytes(b"")
    cut = study(dicom, "cut", "CUT", seed=7)[4]
    cut.write_bytes(cut.read_bytes()[:600])  # header truncated before the pixel data
    garbage = study(dicom, "garbage", "GARBAGE", seed=8)[2]
    garbage.write_bytes(b"\x00\x01 not a dicom file at all")
    (dicom / "good" / "README.txt").write_text("export notes")  # a document beside the slices is no slice

    cases, files = inventory(tmp_path, dicom)
    records = check_all(tmp_path, dicom, cases)
    assert {p for p, r in records.items() if r["status"] == "ok"} == {"GOOD", "GAP"}
    reasons = {p: r["reason"] for p, r in records.items() if r["status"] == "failed"}
    assert set(reasons) == {"HUGE", "ZERO", "FLAT", "RAW", "EMPTY", "CUT", "GARBAGE"}
    assert reasons["HUGE"].startswith("implausible pixel spacing 1e+06 mm")
    assert reasons["ZERO"].startswith("implausible pixel spacing 0 mm")
    assert reasons["FLAT"].startswith("implausible slice spacing 0.05 mm")
    assert "no air near -1000 HU" in reasons["RAW"] and "RescaleSlope and RescaleIntercept are absent" in reasons["RAW"]
    assert reasons["EMPTY"] == f"{empty.name}: a file of this series cannot be read: empty file (0 bytes)"
    assert reasons["CUT"] == f"{cut.name}: a file of this series cannot be read: file ends before its pixel data " \
                             "(truncated)"
    assert reasons["GARBAGE"].startswith(f"{garbage.name}: a file of this series cannot be read: not a DICOM file")
    for reason in reasons.values():  # one line, no folder names, no ITK source paths
        assert "\n" not in reason and "DOE" not in reason and str(tmp_path) not in reason and ".cxx" not in reason
    broken = files[files["reason"] != ""].set_index("path")
    assert broken.loc[f"empty/{empty.name}", "series_uid"] == cases.set_index("patient_id").loc["EMPTY", "series_uid"]
    assert broken.loc["good/README.txt", "series_uid"] == ""


def test_refused_studies_become_failed_cases(tmp_path):
    dicom = tmp_path / "dicom"
    study(dicom, "ok", "KEEP")
    study(dicom, "scout", "SCOUT", header={"ImageType": ["ORIGINAL", "PRIMARY", "LOCALIZER"]})
    study(dicom, "twice", "TWICE", positions=np.repeat(axial_positions(N // 2, 2.0), 2, axis=0), seed=1)
    copy = study(dicom, "copy", "COPY", seed=2)
    shutil.copy(copy[0], copy[0].with_name("copy_of_first"))  # an exact duplicate file
    mixed = study(dicom, "mixed", "MIXED", seed=3)
    ds = pydicom.dcmread(mixed[0])
    ds.Rows, ds.Columns, ds.PixelData = 8, 8, np.zeros((8, 8), np.uint16).tobytes()
    ds.save_as(mixed[0])

    cases, _ = inventory(tmp_path, dicom)
    assert sorted(cases["patient_id"]) == ["COPY", "KEEP", "MIXED", "SCOUT", "TWICE"], "no study vanishes"
    records = check_all(tmp_path, dicom, cases)
    assert records["KEEP"]["status"] == "ok"
    for patient, expected in [("SCOUT", "localizer/scout"), ("TWICE", "slice position(s)"),
                              ("COPY", "slice position(s)"), ("MIXED", "mixed image sizes")]:
        record = records[patient]
        assert (record["status"], record["failed_step"]) == ("failed", "inventory")
        assert record["reason"].startswith("no series can be analysed: series 2: ") and expected in record["reason"]


def test_identifiers_become_safe_stable_keys(tmp_path):
    for raw in ["..", ".", "-rf", "--patient-id", "A/B", "A_B", " spaced ", "ÄÖ", "LT0001"]:
        key = file_key(raw)
        assert key not in (".", "..") and key[0] not in ".-" and set(key) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"), raw
    assert file_key("LT0001") == "LT0001" and file_key("A_B") == "A_B"
    assert file_key("A/B").startswith("A_B-") and file_key("A/B") != file_key("A_B")
    assert file_key("A/B") == file_key("A/B") != file_key("A:B")
    dicom = tmp_path / "dicom"
    study(dicom, "dotdot", "..")
    study(dicom, "dash", "-x", seed=1)
    study(dicom, "slash", "A/B", seed=2)
    keys_alone = set(inventory(tmp_path / "alone", dicom)[0]["patient_id"])
    study(dicom, "underscore", "A_B", seed=3)  # a new patient changes no existing key
    keys = set(inventory(tmp_path / "more", dicom)[0]["patient_id"])
    assert keys_alone < keys and keys - keys_alone == {"A_B"}


def test_missing_or_shared_patient_id(tmp_path, caplog):
    dicom = tmp_path / "dicom"
    study(dicom, "anon1", "")
    study(dicom, "anon2", "", seed=1)
    study(dicom, "jane", "MRN1", header={"PatientName": "Doe^Jane", "PatientBirthDate": "19450203"}, seed=2)
    study(dicom, "john", "MRN1", date="20200308", seed=3,
          header={"PatientName": "Roe^Johnathan", "PatientBirthDate": "19611117"})
    with caplog.at_level("WARNING"):
        cases, _ = inventory(tmp_path, dicom)
    anon = cases[cases["patient_id"].str.startswith("anon-")]
    assert len(anon) == 2 and anon["patient_id"].nunique() == 2, "one patient per study without PatientID"
    assert (anon["patient_id_source"] == "StudyInstanceUID (no PatientID)").all()
    shared = cases[cases["patient_id"].str.startswith("MRN1-")]
    assert shared["patient_id"].nunique() == 2 and shared["patient_id_source"].str.contains("shared by 2").all()
    assert "PatientID MRN1 is shared by 2 people" in caplog.text
    written = "".join(p.read_text() for p in (tmp_path / "ingest").iterdir()) + caplog.text
    assert not any(secret in written for secret in ("Doe", "Jane", "Roe", "Johnathan", "19450203", "19611117"))
    records = check_all(tmp_path, dicom, cases)
    assert all(r["status"] == "ok" for r in records.values())


def test_symlink_loop_and_unreadable_folder_are_listed(tmp_path, monkeypatch):
    dicom = tmp_path / "dicom"
    study(dicom, "ok", "KEEP")
    (dicom / "loop").symlink_to(dicom / "loop")
    (dicom / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path="."):  # the tests run as root, who can read any folder: refuse this one as the OS would
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert len(tree_fingerprint(dicom)) == 40
    cases, files = inventory(tmp_path, dicom)
    reasons = files.set_index("path")["reason"]
    assert reasons["loop"] == "cannot read (Too many levels of symbolic links)"
    assert reasons["locked"] == "folder cannot be read (Permission denied)"
    assert list(cases["patient_id"]) == ["KEEP"]


def write_volume(path, array, spacing=(0.8, 0.8, 2.0)):
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    sitk.WriteImage(image, str(path))


def test_wrong_nifti_numbers_fail_at_the_check(tmp_path):
    volume = ct().astype(np.float32)
    write_volume(tmp_path / "good.nii.gz", volume)
    nan = volume.copy()
    nan[2:4] = np.nan
    write_volume(tmp_path / "nan.nii.gz", nan)
    almost = np.full_like(volume, np.nan)
    almost[0, 0, 0] = 0
    write_volume(tmp_path / "almost.nii.gz", almost)
    write_volume(tmp_path / "zero_z.nii", volume)
    header = bytearray((tmp_path / "zero_z.nii").read_bytes())
    header[88:92] = struct.pack("<f", 0.0)  # pixdim[3] = 0, which SimpleITK would read as 1 mm
    (tmp_path / "zero_z.nii").write_bytes(header)
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("patient_id\tstudy_date\tpath\n" + "".join(
        f"{name}\t2020-03-01\t{name}.nii{'.gz' if name != 'zero_z' else ''}\n"
        for name in ("good", "nan", "almost", "zero_z")))
    cases, _ = inventory(tmp_path, sheet)
    records = {}
    for case in cases.itertuples():
        status = tmp_path / f"{case.patient_id}.json"
        assert main(["convert", case.path, str(tmp_path / "images" / f"{case.patient_id}.nii.gz"), "--cases",
                     str(tmp_path / "ingest" / "cases.tsv"), "--status", str(status)]) == 0
        records[case.patient_id] = read_status(status)
    assert records["good"]["status"] == "ok"
    assert records["nan"]["reason"] == f"nan.nii.gz: {2 * 16 * 16} of {N * 16 * 16} voxels are NaN or infinite"
    assert records["almost"]["reason"].startswith(f"almost.nii.gz: {N * 16 * 16 - 1} of ")
    assert records["zero_z"]["reason"].startswith("zero_z.nii: implausible slice spacing 0 mm")


@pytest.mark.parametrize(("rows", "message"), [
    ("A\t2020-03-01\tv.nii.gz\n\t2020-03-02\tw.nii.gz\n", "line 3: empty patient_id"),
    ("A\t2020-03-01\tv.nii.gz\nA\t2020-03-01\tv.nii.gz\n", "line 3: volume v.nii.gz is already listed on line 2"),
    ("A\t03/04/2020\tv.nii.gz\n", "line 2: study_date '03/04/2020' is not an ISO date (YYYY-MM-DD)"),
    ("A\t2020-02-30\tv.nii.gz\n", "line 2: study_date '2020-02-30' is not an ISO date"),
])
def test_bad_sample_sheet_rows_are_refused_with_the_line(tmp_path, capsys, rows, message):
    write_volume(tmp_path / "v.nii.gz", ct().astype(np.float32))
    write_volume(tmp_path / "w.nii.gz", ct().astype(np.float32))
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("patient_id\tstudy_date\tpath\n" + rows)
    assert main(["inventory", str(sheet), str(tmp_path / "inventory.tsv")]) == 2
    assert f"{sheet}: {message}" in capsys.readouterr().err


def test_config_problems_name_the_key(repo_root, tmp_path):
    base = yaml.safe_load((repo_root / "config.yaml").read_text())
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    assert config_problems(base, environ={}) == []
    bad_regex = {**base, "ingest": {**base["ingest"], "series_description_pattern": "lung[0-9"}}
    assert config_problems(bad_regex, environ={})[0].startswith(
        "ingest.series_description_pattern 'lung[0-9' is not a regular expression")
    no_salt = {**base, "ingest": {**base["ingest"], "pseudonymize": True}}
    assert "set ingest.pseudonym_salt_file" in config_problems(no_salt, environ={})[0]
    assert config_problems(no_salt, environ={"LUNGTRACK_PSEUDONYM_SALT": "s"}) == []
    salt_file = tmp_path / "salt"
    salt_file.write_text("")
    with_file = {**base, "ingest": {**no_salt["ingest"], "pseudonym_salt_file": str(salt_file)}}
    assert config_problems(with_file, environ={}) == [f"ingest.pseudonym_salt_file {salt_file}: the file is empty"]
    old_key = {**base, "ingest": {**base["ingest"], "pseudonym_salt": "secret"}}
    assert config_problems(old_key, environ={})[0].startswith("ingest.pseudonym_salt is not read any more")
    with pytest.raises(jsonschema.ValidationError, match="-1"):
        jsonschema.validate({**base, "evaluation": {**base["evaluation"], "threshold": -1}}, schema)


def test_cli_bad_files_give_one_line_and_exit_2(tmp_path, capsys):
    image = tmp_path / "img.nii.gz"
    write_volume(image, ct().astype(np.int16))
    not_a_folder = tmp_path / "plain_file"
    not_a_folder.write_text("")
    commands = [
        (["segment-lungs", str(image), str(tmp_path / "out.txt")], "out.txt: an image must be written as .nii.gz"),
        (["measure", str(image), str(image), str(image), "--sidecar", str(tmp_path / "missing.json"),
          "--out", str(tmp_path / "m.json")], "missing.json: No such file or directory"),
        (["convert", "--files", str(tmp_path / "missing.tsv"), "--root", str(tmp_path), "--series", "1",
          str(tmp_path / "o.nii.gz")], "missing.tsv: not a readable TSV table (No such file or directory)"),
        (["convert", "--files", str(image), "--root", str(tmp_path), "--series", "1", str(tmp_path / "o.nii.gz")],
         "img.nii.gz: not a readable TSV table"),
        (["convert", str(image), str(not_a_folder / "o.nii.gz")], "plain_file: "),
        (["inventory", str(tmp_path), str(tmp_path / "i.tsv"), "--series-description-pattern", "(unclosed"],
         "--series-description-pattern '(unclosed': not a regular expression"),
    ]
    for argv, message in commands:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (argv, err)


def test_salt_file_is_read_and_never_needed_on_the_command_line(tmp_path, monkeypatch):
    dicom = tmp_path / "dicom"
    study(dicom, "s", "MRN-REAL-77")
    salt = tmp_path / "salt.txt"
    salt.write_text("pepper-and-salt\n")
    monkeypatch.delenv("LUNGTRACK_PSEUDONYM_SALT", raising=False)
    cases, _ = inventory(tmp_path, dicom, "--pseudonymize", "--pseudonym-salt-file", str(salt))
    assert list(cases["patient_id"]) == [patient_key("MRN-REAL-77", "pepper-and-salt")]
    assert main(["inventory", str(dicom), str(tmp_path / "x.tsv"), "--pseudonymize"]) == 2


def test_headers_module_reads_no_identifying_value():
    fields = set(headers_module.SliceHeader.__dataclass_fields__)
    assert not fields & {"patient_name", "birth_date", "name"} and "identity" in fields
