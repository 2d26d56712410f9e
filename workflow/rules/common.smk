# Config validation, the case table and the one path builder every rule uses.
import csv
from pathlib import Path

import yaml
from snakemake.utils import validate

from lungtrack.workflow_config import typed_config

with open(workflow.source_path("../schemas/config.schema.yaml")) as f:
    config.update(typed_config(dict(config), yaml.safe_load(f)))
validate(config, "../schemas/config.schema.yaml")

RESULTS = Path(config["results_dir"])
DICOM_DIR = Path(config["dicom_dir"])
DEMO_DIR = Path(config["demo"]["dir"])
IS_DEMO = DICOM_DIR.resolve() == (DEMO_DIR / "dicom").resolve()
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


def cases():
    """Rows of the case table (patient_id, study_date, timepoint), once the inventory exists."""
    with open(checkpoints.inventory.get().output.cases, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def patient_cases(wildcards):
    return [c for c in cases() if c["patient_id"] == wildcards.patient]


def all_metrics(wildcards):
    return [out("metrics", c["patient_id"], f"{c['timepoint']}.json") for c in cases()]


def patient_metrics(wildcards):
    return [out("metrics", c["patient_id"], f"{c['timepoint']}.json") for c in patient_cases(wildcards)]


def patient_reports(wildcards):
    return sorted({out("reports", f"{c['patient_id']}.html") for c in cases()})


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
