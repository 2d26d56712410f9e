# Config validation, the case table and the one path builder every rule uses.
import csv
import os
from pathlib import Path

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from lungtrack.config_checks import config_problems
from lungtrack.ingest.status import read_status
from lungtrack.workflow_config import typed_config
from lungtrack.workflow_resources import image_mem_mb, series_mem_mb

with open(workflow.source_path("../schemas/config.schema.yaml")) as f:
    config.update(typed_config(dict(config), yaml.safe_load(f)))
if config_problems(config):
    raise WorkflowError("config: " + "; ".join(config_problems(config)))
validate(config, "../schemas/config.schema.yaml")

RESULTS = Path(config["results_dir"])
DICOM_DIR = Path(config["dicom_dir"])
DEMO_DIR = Path(config["demo"]["dir"])
IS_DEMO = DICOM_DIR.resolve() == (DEMO_DIR / "dicom").resolve()
if not config["ingest"]["samples"] and RESULTS.resolve().is_relative_to(DICOM_DIR.resolve()):
    raise WorkflowError(f"results_dir {RESULTS} lies inside dicom_dir {DICOM_DIR}: the inventory would read "
                        "the results as input on every run; choose a results_dir outside dicom_dir")
REFERENCE_DIR = config["reference_dir"] or (str(DEMO_DIR / "truth") if IS_DEMO else None)

wildcard_constraints:
    patient="[A-Za-z0-9._-]+",
    timepoint="[0-9]{8}(_[0-9]+)?",


def out(*parts):
    """Path of a result below results_dir."""
    return str(RESULTS.joinpath(*parts))


def log(name, *wildcards):
    """Log file of a job, below results_dir/logs."""
    return str(RESULTS.joinpath("logs", name, *wildcards)) + ".log"


def bench(name, *wildcards):
    """Benchmark file of a job, below results_dir/benchmarks."""
    return str(RESULTS.joinpath("benchmarks", name, *wildcards)) + ".tsv"


_CASES = {}


def cases():
    """Rows of the case table (patient_id, study_date, timepoint, ...), once the inventory exists.

    Read once per version of the file: input functions ask for it once per job.
    """
    path = checkpoints.inventory.get().output.cases
    key = (path, os.stat(path).st_mtime_ns)
    if key not in _CASES:
        with open(path, newline="") as f:
            _CASES[key] = list(csv.DictReader(f, delimiter="\t"))
    return _CASES[key]


def step_status(step):
    """Status file of a per-case step after check_series (ok, or failed with the reason; see rule measure)."""
    return out("status", "{patient}", "{timepoint}." + step + ".json")


def status_path(case):
    """The case status file of a case (rule check_series)."""
    return out("status", case["patient_id"], f"{case['timepoint']}.json")


def all_status(wildcards):
    """Status files of every case: asked for up front so that the checks run side by side."""
    return [status_path(c) for c in cases()]


def patient_status(wildcards):
    return [status_path(c) for c in cases() if c["patient_id"] == wildcards.patient]


_STATUS = {}


def is_ok(case):
    """Whether the case can be analysed (its check_series checkpoint must have run).

    Each status file is read once per version: every aggregating job's input function asks.
    """
    path = checkpoints.check_series.get(patient=case["patient_id"], timepoint=case["timepoint"]).output.status
    key = (path, os.stat(path).st_mtime_ns)
    if key not in _STATUS:
        _STATUS[key] = read_status(path)["status"] == "ok"
    return _STATUS[key]


def ok_cases():
    """Cases that passed their check; the failed ones are reported, not analysed."""
    return [c for c in cases() if is_ok(c)]


def patient_cases(wildcards):
    return [c for c in ok_cases() if c["patient_id"] == wildcards.patient]


def all_metrics(wildcards):
    return [out("metrics", c["patient_id"], f"{c['timepoint']}.json") for c in ok_cases()]


def patient_metrics(wildcards):
    return [out("metrics", c["patient_id"], f"{c['timepoint']}.json") for c in patient_cases(wildcards)]


def analysed_patients():
    """Patients with at least one analysed case (they get tracking and a report)."""
    return sorted({c["patient_id"] for c in ok_cases()})


def patient_reports(wildcards):
    return [out("reports", f"{patient}.html") for patient in analysed_patients()]


def reference_args(wildcards):
    """--ref-lungs/--ref-lesions arguments of a case where reference masks exist, else ''."""
    if not REFERENCE_DIR:
        return ""
    folder = Path(REFERENCE_DIR) / wildcards.patient / wildcards.timepoint.split("_")[0]
    lungs, lesions = folder / "lungs.nii.gz", folder / "lesions.nii.gz"
    args = []
    if lungs.exists():
        args.append(f"--ref-lungs {lungs}")
    if lesions.exists():
        args.append(f"--ref-lesions {lesions}")
    return " ".join(args)


def lobes_dir():
    """Folder of lobe maps <patient>/<timepoint>_lobes.nii.gz: tracking.lobes_dir, else the model's (masks/), else None."""
    return config["tracking"]["lobes_dir"] or (out("masks") if NNUNET_LOBES else None)


def lobe_map(patient, timepoint):
    """A case's lobe map as a list: made by the segment rule, or found in tracking.lobes_dir; [] when none."""
    if not lobes_dir():
        return []
    path = Path(lobes_dir()) / patient / f"{timepoint}_lobes.nii.gz"
    made_here = NNUNET_LOBES and not config["tracking"]["lobes_dir"]
    return [str(path)] if made_here or path.exists() else []



def case_memory(step):
    """resources: mem_mb of a per-case job of `step` from its CT's size as known before any of the case's jobs
    runs (a group job is sized when it is submitted): the series' slice count, or a sample's volume header."""

    def mem_mb(wildcards):
        case = case_row(wildcards)
        return image_mem_mb(step, case["path"]) if SAMPLES else series_mem_mb(step, case["n_images"])

    return mem_mb
