"""A cohort that survives faults: a corrupt timepoint, a run killed mid-way, a timepoint added later.

Real snakemake runs (local profile, 2 cores) on a small phantom cohort copied per test.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def phantom(tmp_path_factory):
    """DICOM tree of 2 patients × 3 timepoints: dicom/<patient>/<YYYYMMDD>/<series>/*.dcm."""
    out = tmp_path_factory.mktemp("phantom")
    lungtrack = [sys.executable, "-m", "lungtrack"]
    subprocess.run([*lungtrack, "phantom", str(out), "--patients", "2", "--timepoints", "3", "--seed", "3"],
                   check=True, capture_output=True)
    return out / "dicom"


def _studies(dicom):
    """{patient: [study folders by date]}."""
    return {p.name: sorted(s for s in p.iterdir() if s.is_dir()) for p in sorted(dicom.iterdir()) if p.is_dir()}


def _copy_tree(phantom, dest, timepoints):
    """The first ``timepoints`` studies of every patient of the phantom, copied to ``dest``."""
    for patient, studies in _studies(phantom).items():
        for study in studies[:timepoints]:
            shutil.copytree(study, dest / patient / study.name)
    return dest


def _config(dicom, results):
    return {"dicom_dir": str(dicom), "results_dir": str(results)}


def _local(snakemake_cmd, repo_root, workdir, config, *args):
    return snakemake_cmd(workdir, config, "--profile", str(repo_root / "workflow/profiles/local"),
                         "--cores", "2", *args)


def _run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
    assert res.returncode == 0, res.stderr[-6000:]
    return res.stderr


def _mtimes(results):
    """Modification time (ns) of every result file, logs and benchmarks aside."""
    return {p: p.stat().st_mtime_ns for p in results.rglob("*")
            if p.is_file() and not {"logs", "benchmarks"} & set(p.relative_to(results).parts)}


def _jobs(log):
    """(outputs of finished jobs, outputs of jobs started but not finished) from a snakemake log."""
    outputs = {jobid: out for out, jobid in re.findall(r"^\s+output: (.+)\n(?:\s+\w+: .*\n)*?\s+jobid: (\d+)$",
                                                       log, re.M)}
    finished = set(re.findall(r"^Finished jobid: (\d+)", log, re.M))
    split = {jobid: {p for p in out.split(", ")} for jobid, out in outputs.items()}
    done = set().union(*(split[j] for j in finished if j in split))
    started = set().union(*(split[j] for j in split if j not in finished))
    return done, started


def _files_of(paths):
    """Files of the given output paths (directory outputs stand for the files inside)."""
    files = set()
    for p in map(Path, paths):
        files |= {f for f in p.rglob("*") if f.is_file()} if p.is_dir() else ({p} if p.exists() else set())
    return files


def test_corrupt_timepoint_is_reported_and_the_rest_completes(phantom, snakemake_cmd, repo_root, tmp_path):
    dicom, results = _copy_tree(phantom, tmp_path / "dicom", 2), tmp_path / "results"
    bad_study = _studies(dicom)["LT0002"][1]
    bad_file = max((f for f in bad_study.rglob("*.dcm")), key=lambda f: f.stat().st_size)
    os.truncate(bad_file, bad_file.stat().st_size // 2)

    _run(_local(snakemake_cmd, repo_root, tmp_path / "run", _config(dicom, results)))

    table = pd.read_csv(results / "cohort.csv", dtype={"timepoint": str})
    assert len(table) == 4, "the failed timepoint keeps its row"
    failed = table[table["status"] != "ok"]
    assert list(failed["patient_id"]) == ["LT0002"] and list(failed["timepoint"]) == [bad_study.name]
    assert "pixel data" in failed["reason"].iloc[0]
    assert failed[["lung_ml", "lesion_ml", "poi"]].isna().all(axis=None)
    assert table.loc[table["status"] == "ok", ["lung_ml", "poi"]].notna().all(axis=None)
    failures = pd.read_csv(results / "failures.tsv", sep="\t", dtype={"timepoint": str})
    assert list(failures["timepoint"]) == [bad_study.name] and "pixel data" in failures["reason"].iloc[0]
    report = (results / "reports" / "LT0002.html").read_text()
    assert "pixel data" in report
    assert (results / "reports" / "LT0001.html").is_file()
    assert len(list((results / "metrics").rglob("*.json"))) == 3


def test_sigkill_and_restart_completes_without_redoing_finished_work(phantom, snakemake_cmd, repo_root, tmp_path):
    dicom = _copy_tree(phantom, tmp_path / "dicom", 2)
    reference = tmp_path / "reference"
    _run(_local(snakemake_cmd, repo_root, tmp_path / "run_reference", _config(dicom, reference)))

    results, workdir = tmp_path / "results", tmp_path / "run"
    cmd = _local(snakemake_cmd, repo_root, workdir, _config(dicom, results))
    with open(tmp_path / "killed.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 900
    while not list((results / "metrics").rglob("*.json")):  # mid-way: the first case is measured
        assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # snakemake and the jobs it runs, as a crash would
    proc.wait()
    done, started = _jobs((tmp_path / "killed.log").read_text())
    assert done and started, "killed between two jobs: nothing half-done to check"
    assert not (results / "cohort.csv").exists()
    before = _mtimes(results)

    _run(snakemake_cmd(workdir, _config(dicom, results), "--unlock"))  # the killed run's lock
    _run(cmd)

    after = _mtimes(results)
    finished = _files_of(done)
    assert finished and all(after[f] == before[f] for f in finished), "finished work was redone"
    # whatever the killed jobs left is either redone or complete: the results are those of a clean run
    _assert_same_results(results, reference)


def _assert_same_results(results, reference):
    """Same result files, same voxels, same numbers (paths below the results folder aside)."""
    files, expected = _mtimes(results).keys(), _mtimes(reference).keys()
    mine, theirs = {f.relative_to(results) for f in files}, {f.relative_to(reference) for f in expected}
    assert mine == theirs, f"only after the kill: {sorted(mine - theirs)}, only in the clean run: {sorted(theirs - mine)}"
    for f in expected:
        mine = results / f.relative_to(reference)
        if f.name.endswith(".nii.gz"):
            a, b = (sitk.ReadImage(str(p)) for p in (mine, f))
            assert a.GetSpacing() == b.GetSpacing() and np.array_equal(sitk.GetArrayViewFromImage(a),
                                                                        sitk.GetArrayViewFromImage(b)), mine
        elif f.suffix in {".json", ".csv", ".tsv"}:
            assert mine.read_text().replace(str(results), "R") == f.read_text().replace(str(reference), "R"), mine


def test_new_timepoint_recomputes_only_that_patient(phantom, snakemake_cmd, repo_root, tmp_path):
    dicom, results = _copy_tree(phantom, tmp_path / "dicom", 2), tmp_path / "results"
    cmd = _local(snakemake_cmd, repo_root, tmp_path / "run", _config(dicom, results))
    _run(cmd)
    before = _mtimes(results)

    new_study = _studies(phantom)["LT0001"][2]
    shutil.copytree(new_study, dicom / "LT0001" / new_study.name)
    log = _run(cmd)

    ran = Counter(re.findall(r"^(?:local)?rule (\w+):$", log, re.M))
    for rule in ("convert", "segment_lungs", "segment_lesions", "measure", "track", "patient_report"):
        assert ran[rule] == 1, (rule, ran)
    after = _mtimes(results)
    untouched = [f for f in before if f.relative_to(results).parts[0] in {"images", "masks", "metrics"}
                 or "LT0002" in f.relative_to(results).parts or f.name == "LT0002.html"]
    assert untouched and all(after[f] == before[f] for f in untouched), "other cases were recomputed"
    assert (results / "metrics" / "LT0001" / f"{new_study.name}.json").is_file()
    table = pd.read_csv(results / "cohort.csv")
    assert len(table) == 5 and after[results / "cohort.csv"] != before[results / "cohort.csv"]
    assert after[results / "reports" / "LT0001.html"] != before[results / "reports" / "LT0001.html"]
