# Config validation, the case table, the one path builder every rule uses, and the input and
# parameter functions of every rule (the rule files hold rules only). What is imported from lungtrack
# here needs only the standard library and snakemake's own dependencies (yaml, jsonschema).
import csv
import os
import shlex
from pathlib import Path

from snakemake.exceptions import IncompleteCheckpointException, WorkflowError
from snakemake.io import checkpoint_target
from snakemake.logging import logger
from snakemake.utils import validate

from lungtrack import workflow_options
from lungtrack.config_checks import config_problems
from lungtrack.ingest.fingerprint import tree_fingerprint
from lungtrack.io.names import lobe_map_path
from lungtrack.measure.reference_files import reference_paths
from lungtrack.settings import SCHEMA_PATH, schema
from lungtrack.workflow_config import typed_config
from lungtrack.workflow_resources import image_mem_mb, patient_mem_mb, series_mem_mb

# the schema lives in the package (lungtrack/schemas/), so that the CLI takes its defaults from it too
config.update(typed_config(dict(config), schema()))
if config_problems(config):
    raise WorkflowError(f"config: {'; '.join(config_problems(config))}")
validate(config, str(SCHEMA_PATH))

RESULTS = Path(config["results_dir"])
DICOM_DIR = Path(config["dicom_dir"])
DEMO_DIR = Path(config["demo"]["dir"])
IS_DEMO = DICOM_DIR.resolve() == (DEMO_DIR / "dicom").resolve()
if not config["ingest"]["samples"] and RESULTS.resolve().is_relative_to(DICOM_DIR.resolve()):
    raise WorkflowError(
        f"results_dir {RESULTS} lies inside dicom_dir {DICOM_DIR}: the inventory would read "
        "the results as input on every run; choose a results_dir outside dicom_dir"
    )
REFERENCE_DIR = config["reference_dir"] or (str(DEMO_DIR / "truth") if IS_DEMO else None)


wildcard_constraints:
    patient="[A-Za-z0-9._-]+",
    timepoint="[0-9]{8}(_[0-9]+)?",


def cli_options(command):
    """The flags of `lungtrack <command>` that carry its config keys, named like the keys (--min-poi-change-pp).

    For params: (a changed key reruns the jobs); see lungtrack.workflow_options.
    """
    return workflow_options.cli_options(config, command)


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


def _case_table():
    """(version key, rows, {(patient_id, timepoint): row}) of the case table, read once per version of the file."""
    path = checkpoints.inventory.get().output.cases
    key = (path, os.stat(path).st_mtime_ns)
    if key not in _CASES:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        _CASES[key] = (key, rows, {(r["patient_id"], r["timepoint"]): r for r in rows})
    return _CASES[key]


def cases():
    """Rows of the case table (patient_id, study_date, timepoint, ...), once the inventory exists.

    Read once per version of the file: input functions ask for it once per job.
    """
    return _case_table()[1]


def step_status(step):
    """Status file of a per-case step after convert (ok, or failed with the reason; see rule measure)."""
    return out("status", "{patient}", f"{{timepoint}}.{step}.json")


def status_path(patient, timepoint):
    """The case status file of a case (rule convert); wildcards as "{patient}", "{timepoint}" for a rule's output."""
    return out("status", patient, f"{timepoint}.json")


def image_path(patient, timepoint):
    """The case's CT in HU (written by rule convert when the case's series could be read)."""
    return out("images", patient, f"{timepoint}.nii.gz")


def sidecar_path(patient, timepoint):
    """The acquisition facts of the case's CT (JSON beside the image)."""
    return out("images", patient, f"{timepoint}.json")


def case_file(path):
    """Input function: the case's image or sidecar (``image_path``, ``sidecar_path``), once checkpoint
    case_status has run. The convert jobs write them without declaring them, as a failed case has none."""

    def file(wildcards):
        case_statuses()
        return path(wildcards.patient, wildcards.timepoint)

    return file


def all_status(wildcards):
    """Status files of every case: asked for up front so that the conversions run side by side."""
    return [status_path(c["patient_id"], c["timepoint"]) for c in cases()]


def patient_status(wildcards):
    return [status_path(c["patient_id"], c["timepoint"]) for c in cases() if c["patient_id"] == wildcards.patient]


_STATUS = {}


def case_statuses():
    """{(patient_id, timepoint): "ok" or "failed"} of every case, from the table of checkpoint case_status
    (raises Snakemake's incomplete-checkpoint signal until every case's convert has run).

    Read once per version of the table: every aggregating job's input function asks.
    """
    path = checkpoints.case_status.get().output.table
    key = (path, os.stat(path).st_mtime_ns, _case_table()[0])
    if key not in _STATUS:
        with open(path, newline="") as f:
            statuses = {(r["patient_id"], r["timepoint"]): r["status"] for r in csv.DictReader(f, delimiter="\t")}
        # whether it has exactly the inventory's cases: compared once per version of both tables
        _STATUS[key] = statuses if statuses.keys() == _case_table()[2].keys() else None
    if _STATUS[key] is None:
        # an earlier run's table (a scan added or removed since): wait for the checkpoint to write it again
        raise IncompleteCheckpointException(checkpoints.case_status.rule, checkpoint_target(path))
    return _STATUS[key]


def ok_cases():
    """Cases that can be analysed: their series was read and converted (rule convert's status ok); the
    failed ones are reported, not analysed."""
    statuses = case_statuses()
    return [c for c in cases() if statuses.get((c["patient_id"], c["timepoint"])) == "ok"]


def patient_cases(wildcards):
    return [c for c in ok_cases() if c["patient_id"] == wildcards.patient]


def all_metrics(wildcards):
    return [out("metrics", c["patient_id"], f"{c['timepoint']}.json") for c in ok_cases()]


def patient_metrics(wildcards):
    return [out("metrics", c["patient_id"], f"{c['timepoint']}.json") for c in patient_cases(wildcards)]


def scan_file(kind, case):
    """The case's CT (kind "image") or mask ("lungs", "lesions")."""
    folder, name = {
        "image": ("images", "{}.nii.gz"),
        "lungs": ("masks", "{}_lungs.nii.gz"),
        "lesions": ("masks", "{}_lesions.nii.gz"),
    }[kind]
    return out(folder, case["patient_id"], name.format(case["timepoint"]))


def patient_scans(kind):
    """Input function: the patient's analysed CTs or masks (scan_file), in the order of patient_metrics."""
    return lambda wildcards: [scan_file(kind, c) for c in patient_cases(wildcards)]


def all_scans(kind):
    """Input function: every analysed CT or mask (scan_file), in the order of all_metrics."""
    return lambda wildcards: [scan_file(kind, c) for c in ok_cases()]


def analysed_patients():
    """Patients with at least one analysed case (they get tracking and a report)."""
    return sorted({c["patient_id"] for c in ok_cases()})


def patient_reports(wildcards):
    return [out("reports", f"{patient}.html") for patient in analysed_patients()]


def reference_mask(name):
    """Input function: the case's reference mask ``name`` (lungs, lesions) as a list; [] when none.

    Found as `lungtrack evaluate` finds it (lungtrack.measure.reference_files).
    """

    def mask(wildcards):
        if not REFERENCE_DIR:
            return []
        found = reference_paths(REFERENCE_DIR, wildcards.patient, case_row(wildcards)["study_date"])
        return [str(found[name])] if name in found else []

    return mask


def reference_args(wildcards, input):
    """--ref-lungs/--ref-lesions arguments of the case's reference masks (inputs ref_lungs, ref_lesions)."""
    return " ".join(f"--ref-{name} {input[f'ref_{name}'][0]}" for name in ("lungs", "lesions") if input[f"ref_{name}"])


def lobes_dir():
    """Folder of lobe maps <patient>/<timepoint>_lobes.nii.gz: tracking.lobes_dir, else the model's (masks/), else None."""
    return config["tracking"]["lobes_dir"] or (out("masks") if NNUNET_LOBES else None)


def lobe_map(patient, timepoint):
    """A case's lobe map as a list: made by the segment rule, or found in tracking.lobes_dir; [] when none."""
    if not lobes_dir():
        return []
    path = lobe_map_path(lobes_dir(), patient, timepoint)
    made_here = NNUNET_LOBES and not config["tracking"]["lobes_dir"]
    return [str(path)] if made_here or path.exists() else []


# --- ingest

INGEST = config["ingest"]
SAMPLES = INGEST["samples"]


def case_row(wildcards):
    """The case table's row of the job's case."""
    row = _case_table()[2].get((wildcards.patient, wildcards.timepoint))
    if row is None:
        raise ValueError(f"no case {wildcards.patient}/{wildcards.timepoint} in the inventory")
    return row


def convert_source(wildcards):
    """The NIfTI volume of the case (sample sheet), or the files of its chosen DICOM series."""
    case = case_row(wildcards)
    if SAMPLES:
        return shlex.quote(case["path"])
    files = out("ingest", "files.tsv")
    return (
        f"--files {shlex.quote(files)} --root {shlex.quote(str(DICOM_DIR))} --series={shlex.quote(case['series_uid'])}"
    )


# What convert reads: the inventory (ancient, see ingest.smk) and the case's series.
SERIES_INPUT = dict(
    inventory=ancient(out("ingest", "inventory.tsv")),
    files=ancient(out("ingest", "files.tsv")),
    cases=ancient(out("ingest", "cases.tsv")),
    volume=lambda wildcards: [case_row(wildcards)["path"]] if SAMPLES else [],
)
SERIES_PARAMS = dict(source=convert_source, options=cli_options("convert"))


# --- nnU-Net models and training

NNUNET = config["nnunet"]
TRAINING = config["training"]
NNUNET_BACKEND = config["segmentation"]["backend"] == "nnunet"


def nnunet_model():
    """The model folder that segmentation reads: a preset's folder in its weights folder, else nnunet.model."""
    if not (NNUNET_BACKEND and NNUNET["preset"]):
        return NNUNET["model"]
    from lungtrack.errors import InputError
    from lungtrack.segment.nnunet.presets import preset_folder  # needs lungtrack's dependencies

    try:
        return str(preset_folder(NNUNET["preset"], NNUNET["model"]))
    except InputError as exc:
        raise WorkflowError(str(exc)) from None


NNUNET_MODEL = nnunet_model()
# Whether the model gives lobes (decided when the workflow is read): masks/<p>/<tp>_lobes.nii.gz then.
NNUNET_LOBES = False
if NNUNET_BACKEND:
    from lungtrack.segment.nnunet import gives_lobes  # needs lungtrack's dependencies

    NNUNET_LOBES = gives_lobes(NNUNET_MODEL, NNUNET["labels"], NNUNET["preset"])


def training_inputs(wildcards):
    """The labelled case folders of the training section (none for the phantom cohort)."""
    return [TRAINING[k] for k in ("images", "lungs", "lesions") if TRAINING[k]]


def nnunet_model_files(wildcards):
    """The files of nnunet.model (its preset's folder with a preset) and nnunet.lesion_model that a
    prediction reads (tracked as its inputs).

    None with the threshold backend. Stops the run, naming the key and the path, when a model folder
    does not exist (rule all asks first, so that a run stops before the inventory).
    """
    if not NNUNET_BACKEND:
        return []
    files = []
    for key, folder in (("model", NNUNET_MODEL), ("lesion_model", NNUNET["lesion_model"])):
        if folder is None:
            continue
        if not Path(folder).is_dir():
            raise WorkflowError(
                f"nnunet.{key}: model folder {folder} does not exist; correct the path, "
                "or train a model there with `snakemake train`"
            )
        files += sorted(
            str(p) for name in ("checkpoint_final.pth", "dataset.json", "plans.json") for p in Path(folder).rglob(name)
        )
    return files


# Batches (nnunet.batch_cases > 0): rule segment_nnunet_batch predicts the CTs of a batch with one model
# load, rule segment_nnunet makes each CT's masks from its label maps.
NNUNET_BATCH = NNUNET_BACKEND and NNUNET["batch_cases"] > 0
# The group of a CT's chain (convert -> segment -> measure): "case", bundled by group-components; with
# batches "batch", which also holds the batch's prediction, so that each batch is one group job (one
# SLURM job, one model load) whatever group-components says about "case".
CASE_GROUP = "batch" if NNUNET_BATCH else "case"


wildcard_constraints:
    batch="[0-9]+",


def nnunet_batches():
    """The analysed cases in batches of nnunet.batch_cases, in order of study date (then patient): a new
    follow-up scan joins the last batch, so that only that batch is predicted again."""
    ordered = sorted(ok_cases(), key=lambda c: (c["timepoint"], c["patient_id"]))
    size = NNUNET["batch_cases"]
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]


def nnunet_batch(wildcards):
    """The cases of batch ``wildcards.batch``."""
    return nnunet_batches()[int(wildcards.batch)]


def nnunet_batch_images(wildcards):
    return [image_path(c["patient_id"], c["timepoint"]) for c in nnunet_batch(wildcards)]


def nnunet_batch_status(wildcards):
    """The case status of each CT of the batch, the declared outputs of its conversion, so that a CT
    converted again is predicted again."""
    return [status_path(c["patient_id"], c["timepoint"]) for c in nnunet_batch(wildcards)]


def nnunet_batch_cases(wildcards, output):
    """--case IMAGE PREFIX of each CT of the batch: its label maps and status go to <batch folder>/<patient>/<timepoint>_*."""
    return " ".join(
        f"--case {shlex.quote(image_path(c['patient_id'], c['timepoint']))}"
        f" {shlex.quote(str(Path(output.predictions, c['patient_id'], c['timepoint'])))}"
        for c in nnunet_batch(wildcards)
    )


def nnunet_predictions(wildcards):
    """The batch folder holding the case's label maps, as a list; [] without batches."""
    if not NNUNET_BATCH:
        return []
    for index, batch in enumerate(nnunet_batches()):
        if any(c["patient_id"] == wildcards.patient and c["timepoint"] == wildcards.timepoint for c in batch):
            return [out("nnunet_batches", str(index))]
    raise ValueError(f"case {wildcards.patient}/{wildcards.timepoint} is in no batch (not analysed)")


def nnunet_predicted(wildcards, input):
    """--predicted PREFIX of the case's label maps in its batch folder; "" without batches."""
    if not input.predictions:
        return ""
    return f"--predicted {shlex.quote(str(Path(input.predictions[0], wildcards.patient, wildcards.timepoint)))}"


# --- measure

SEGMENT_STEPS = (
    ["segment_nnunet"] if config["segmentation"]["backend"] == "nnunet" else ["segment_lungs", "segment_lesions"]
)


# --- DICOM export

EXPORT = config["export"]
if EXPORT["dicom"] and SAMPLES:
    logger.info("export.dicom: the inputs are NIfTI volumes of ingest.samples, not DICOM; no DICOM SEG/SR written")


def dicom_exports(wildcards):
    """SEG and SR of every analysed case, when export.dicom is on and the inputs are DICOM."""
    if not EXPORT["dicom"] or SAMPLES:
        return []
    return [out("dicom", c["patient_id"], f"{c['timepoint']}_{kind}.dcm") for c in ok_cases() for kind in ("seg", "sr")]


def previous_metrics(wildcards):
    """Metrics of the patient's previous analysed scan (cases are in date order), [] at baseline."""
    timepoints = [c["timepoint"] for c in patient_cases(wildcards)]
    index = timepoints.index(wildcards.timepoint)
    return [out("metrics", wildcards.patient, f"{timepoints[index - 1]}.json")] if index > 0 else []


def case_memory(step):
    """resources: mem_mb of a per-case job of `step` from its CT's size as known before any of the case's jobs
    runs (a group job is sized when it is submitted): the series' slice count, or a sample's volume header."""

    def mem_mb(wildcards):
        case = case_row(wildcards)
        return image_mem_mb(step, case["path"]) if SAMPLES else series_mem_mb(step, case["n_images"])

    return mem_mb


def patient_memory(step):
    """resources: mem_mb of a patient's job of `step` from the sizes of its CTs (input.images, written by then)."""

    def mem_mb(wildcards, input):
        return patient_mem_mb(step, input.images)

    return mem_mb
