"""A real snakemake run over a cohort with bad ingest input, pseudonymized: failed rows, no leaks.

One small phantom patient is analysed; beside it a study with an empty slice file, a localizer-only
study and a symbolic link loop, all below a folder named like a patient. The salt comes from a file
outside the working folder; afterwards no file of the run (results, logs, .snakemake/) holds the
salt, a real PatientID, or (outside the ingest tables that map results back to input files) the
folder name.
"""

import shutil
import subprocess
import sys

import pandas as pd
import pydicom
import pytest

pytestmark = pytest.mark.slow

SALT = "s3cret-pepper-2718"
FOLDER = "DOE_JOHN"


def _rewrite(folder, **values):
    for path in folder.rglob("*.dcm"):
        ds = pydicom.dcmread(path)
        for keyword, value in values.items():
            setattr(ds, keyword, value)
        ds.save_as(path)


def test_bad_input_ends_as_failed_rows_without_leaks(tmp_path, snakemake_cmd, repo_root):
    phantom = tmp_path / "phantom"
    subprocess.run([sys.executable, "-m", "lungtrack", "phantom", str(phantom), "--patients", "2", "--timepoints",
                    "1", "--matrix", "128", "--pixel-mm", "2.7", "--slice-mm", "5", "--seed", "5"],
                   check=True, capture_output=True)
    dicom = tmp_path / "dicom" / FOLDER
    (good,) = sorted((phantom / "dicom" / "LT0001").iterdir())
    (broken,) = sorted((phantom / "dicom" / "LT0002").iterdir())
    shutil.copytree(good, dicom / "a")
    shutil.copytree(broken, dicom / "b")
    empty = sorted((dicom / "b" / "002").iterdir())[7]
    empty.write_bytes(b"")
    shutil.copytree(good / "001", dicom / "scout" / "001")  # a study with a localizer only
    _rewrite(dicom / "scout", PatientID="MRN-SCOUT-9", StudyInstanceUID=pydicom.uid.generate_uid(),
             SeriesInstanceUID=pydicom.uid.generate_uid(), StudyDate="20200505")
    (dicom / "loop").symlink_to(dicom / "loop")
    salt_file = tmp_path / "salt.txt"
    salt_file.write_text(SALT + "\n")
    results, workdir = tmp_path / "results", tmp_path / "run"
    config = {"dicom_dir": str(tmp_path / "dicom"), "results_dir": str(results),
              "ingest": {"pseudonymize": True, "pseudonym_salt_file": str(salt_file)}}
    cmd = snakemake_cmd(workdir, config, "--profile", str(repo_root / "workflow/profiles/local"), "--cores", "2")
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, run.stderr[-6000:]

    table = pd.read_csv(results / "cohort.csv", dtype=str, keep_default_na=False)
    assert len(table) == 3, "every study has a row"
    ok, failed = table[table["status"] == "ok"], table[table["status"] == "failed"]
    assert len(ok) == 1 and float(ok["lung_ml"].iloc[0]) > 1000 and ok["patient_id"].iloc[0].startswith("P")
    reasons = dict(zip(failed["failed_step"], failed["reason"]))
    assert reasons["convert"] == f"{empty.name}: a file of this series cannot be read: empty file (0 bytes)"
    assert reasons["inventory"].startswith("no series can be analysed: series 1: localizer/scout")
    failures = pd.read_csv(results / "failures.tsv", sep="\t", dtype=str)
    assert sorted(failures["failed_step"]) == ["convert", "inventory"]
    files = pd.read_csv(results / "ingest" / "files.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert files.set_index("path").loc[f"{FOLDER}/loop", "reason"].startswith("cannot read (Too many levels")
    assert (results / "reports" / "index.html").is_file()

    ingest_tables = {results / "ingest" / "files.tsv", results / "ingest" / "inventory.tsv"}
    for path in [p for p in (*results.rglob("*"), *workdir.rglob("*")) if p.is_file()]:
        text = path.read_bytes().decode("latin-1")
        assert SALT not in text, path
        assert not [patient for patient in ("LT0001", "LT0002", "MRN-SCOUT-9") if patient in text], path
        if path not in ingest_tables:
            assert FOLDER not in text, path
