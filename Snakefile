# lungtrack: serial chest CT -> lung and lesion volumes, POI, tracking and reports.
# The rules live by stage in workflow/rules/; common.smk validates config and reads the case table.

import sys

from lungtrack.measure.cohort import nothing_analysed


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/segment.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/track.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/export.smk"


rule all:
    input:
        # the nnunet backend's model files: a model folder that does not exist stops the run at once
        model=nnunet_model_files,
        # every case's check up front (they run side by side); the failed ones end up in failures.tsv
        checks=all_status,
        cohort_csv=out("cohort.csv"),
        reports=patient_reports,
        overview=out("reports", "index.html"),
        dicom=dicom_exports,


onsuccess:
    # the default target: a run that could analyse nothing at all (an empty dicom_dir, every scan
    # failed) says so in one line and exits non-zero; its tables and overview stay
    if not workflow.dag_settings.targets and (why := nothing_analysed(out("cohort.csv"))):
        print(f"lungtrack: nothing analysed: {why}", file=sys.stderr)
        sys.exit(1)
