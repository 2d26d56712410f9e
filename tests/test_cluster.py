"""The demo cohort on a real one-node SLURM (Debian's slurmctld, slurmd, munge): same results as locally.

The cluster is the one .ci/slurm/start.sh starts; when none answers, the test starts it itself and
stops it afterwards. It skips only where the SLURM binaries are absent (.ci/slurm/install.sh).
"""

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

pytestmark = pytest.mark.slow

SLURM_BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo")
# The slurm profile with the settings of the CI cluster layered over it (.ci/slurm/profile); 2 cases
# per group job, so that 4 cases make 2 SLURM jobs of conversions and 2 of segmentation to metrics; SLURM's
# job logs kept for the conversions.
CLUSTER_ARGS = ["--group-components", "case=2", "check=2", "--slurm-keep-successful-logs"]


def _cluster_answers() -> bool:
    res = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    return res.returncode == 0 and any(s in res.stdout for s in ("idle", "mixed", "allocated"))


@pytest.fixture(scope="module")
def slurm_cluster(repo_root):
    """A running one-node SLURM; started (and stopped afterwards) here when none answers."""
    missing = [b for b in SLURM_BINARIES if shutil.which(b) is None]
    if missing:
        pytest.skip(f"SLURM binaries absent ({', '.join(missing)}); install them with .ci/slurm/install.sh")
    started = not _cluster_answers()
    if started:
        subprocess.run(["bash", str(repo_root / ".ci/slurm/start.sh")], check=True, timeout=300)
    yield
    if started:
        subprocess.run(["bash", str(repo_root / ".ci/slurm/stop.sh")], check=True, timeout=300)


def _config(tmp_path, results):
    demo = tmp_path / "demo"
    return {"results_dir": str(results), "dicom_dir": str(demo / "dicom"),
            "demo": {"dir": str(demo), "patients": 2, "timepoints": 2, "seed": 5}}


def _run(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
    assert res.returncode == 0, res.stderr[-6000:]
    return res.stderr


def _scontrol_job(job_id: str) -> dict:
    """scontrol's record of a job as a dict (jobs stay listed MinJobAge seconds after they end)."""
    res = subprocess.run(["scontrol", "-o", "show", "job", job_id], capture_output=True, text=True, check=True)
    return dict(item.split("=", 1) for item in res.stdout.split() if "=" in item)


def _slurmctld_log() -> str:
    config = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True, check=True).stdout
    path = re.search(r"^SlurmctldLogFile\s*=\s*(\S+)", config, re.M).group(1)
    with open(path, errors="replace") as f:
        return f.read()


def test_demo_cohort_on_slurm_matches_local_run(slurm_cluster, snakemake_cmd, repo_root, tmp_path):
    profiles = repo_root / "workflow" / "profiles"
    local, cluster = tmp_path / "results_local", tmp_path / "results_slurm"
    _run(snakemake_cmd(tmp_path / "run_local", _config(tmp_path, local), "--profile", str(profiles / "local"),
                       "--cores", "2"))
    log = _run(snakemake_cmd(tmp_path / "run_slurm", _config(tmp_path, cluster), "--profile",
                             str(profiles / "slurm"), "--workflow-profile", str(repo_root / ".ci/slurm/profile"),
                             *CLUSTER_ARGS))

    # every job went through sbatch: snakemake names the SLURM job ids, slurmctld ran them to completion
    run_id = re.search(r"SLURM run ID: (\S+)", log).group(1)
    job_ids = re.findall(r"has been submitted with SLURM jobid (\d+)", log)
    # the 4 conversions run in group jobs of group "check": 2 jobs of 2, or (Snakemake sizes the groups of
    # jobs that appear after a checkpoint as it finds them) 1 job of all 4; every conversion in exactly one
    slurm_logs = tmp_path / "run_slurm" / ".snakemake" / "slurm_logs"
    check_logs = sorted(slurm_logs.glob("group_check*/*.log"))
    checked = [re.findall(r"--status \S+/status/([^/\s]+/[^/\s]+)\.json", p.read_text()) for p in check_logs]
    assert sorted(set().union(*map(set, checked))) == sorted(
        f"{c['patient_id']}/{c['timepoint']}" for c in pd.read_csv(cluster / "ingest" / "cases.tsv", sep="\t",
                                                                   dtype=str).to_dict("records"))
    assert len(check_logs) in (1, 2)
    # inventory, the conversion jobs, 2 group jobs of 2 cases, 2 patient groups (track + report), 1 cohort
    # group (the checkpoint case_status runs in the snakemake process)
    assert len(job_ids) == 1 + len(check_logs) + 2 + 2 + 1, log[-4000:]
    ctld_log = _slurmctld_log()
    for job_id in job_ids:
        job = _scontrol_job(job_id)
        assert job["JobName"] == run_id and job["JobState"] == "COMPLETED", job
        assert re.search(rf"_job_complete: JobId={job_id} done", ctld_log), job_id
    # the per-case steps ran as 2 SLURM jobs, each the chain of 2 cases up to their metrics
    case_logs = sorted(slurm_logs.glob("group_case*/*.log"))
    assert len(case_logs) == 2
    measured = [set(re.findall(r"--out \S+/metrics/([^/\s]+)/([^/\s]+)\.json", p.read_text())) for p in case_logs]
    assert [len(m) for m in measured] == [2, 2] and len(measured[0] | measured[1]) == 4

    # the same results as the local run
    table_local = pd.read_csv(local / "cohort.csv")
    pd.testing.assert_frame_equal(table_local, pd.read_csv(cluster / "cohort.csv"))
    assert len(table_local) == 4
    masks = sorted(p.relative_to(local) for p in (local / "masks").rglob("*.nii.gz"))
    assert len(masks) == 8
    for rel in masks:
        a = sitk.GetArrayFromImage(sitk.ReadImage(str(local / rel)))
        b = sitk.GetArrayFromImage(sitk.ReadImage(str(cluster / rel)))
        assert np.array_equal(a, b), rel
    assert sorted(p.name for p in (cluster / "reports").glob("*.html")) == sorted(
        p.name for p in (local / "reports").glob("*.html"))
