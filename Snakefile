# lungtrack: serial chest CT -> lung and lesion volumes, POI, tracking and reports.
# The rules live by stage in workflow/rules/; common.smk validates config and reads the case table.
import os
import sys

from snakemake.exceptions import WorkflowError

try:
    import lungtrack
except ImportError:
    # a snakemake without lungtrack (--sdm conda: the rules' environments install it): the package
    # beside this Snakefile; what the workflow imports while it is read needs no more than snakemake
    sys.path.insert(0, str(workflow.current_basedir))
    try:
        import lungtrack
    except ImportError:
        raise WorkflowError(
            f"lungtrack is not importable and not beside the Snakefile in {workflow.current_basedir}: "
            "install it where snakemake runs (pip install lungtrack from this workflow's repository)"
        ) from None
from lungtrack.measure.analysed import nothing_analysed
from lungtrack.workflow_scheduler import cancel_pending_timers

# What the rules' conda environments (envs/*.yaml) install lungtrack from: this workflow's own source,
# unless the caller names another (a pip requirement, e.g. a git URL at this version).
os.environ.setdefault("LUNGTRACK_SOURCE", str(workflow.current_basedir))


configfile: "config.yaml"


include: "workflow/rules/common.smk"


# every rule also has its conda environment (envs/); with --sdm apptainer they all run in this image
# (config key container, whose default common.smk fills in; set before the rules that take it)
container: config["container"]


include: "workflow/rules/demo.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/segment.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/track.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/export.smk"


report: "workflow/report/workflow.rst"


rule all:
    input:
        # the nnunet backend's model files: a model folder that does not exist stops the run at once
        model=nnunet_model_files,
        # every case's conversion up front (they run side by side); the failed ones end up in failures.tsv
        checks=all_status,
        cohort_csv=out("cohort.csv"),
        reports=patient_reports,
        overview=out("reports", "index.html"),
        tables=out("reports", "cohort_table.html"),
        dicom=dicom_exports,


onsuccess:
    # the scheduler's wake-up timers (see workflow/profiles/local) would hold the process until they expire
    cancel_pending_timers()
    # the default target: a run that could analyse nothing at all (an empty dicom_dir, every scan
    # failed) says so in one line and exits non-zero; its tables and overview stay
    if not workflow.dag_settings.targets and (why := nothing_analysed(out("cohort.csv"))):
        print(f"lungtrack: nothing analysed: {why}", file=sys.stderr)
        sys.exit(1)


onerror:
    cancel_pending_timers()
