# lungtrack: serial chest CT -> lung and lesion volumes, POI, tracking and reports.
# The rules live by stage in workflow/rules/; common.smk validates config and reads the case table.

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
        # every case's check up front (they run side by side); the failed ones end up in failures.tsv
        checks=all_status,
        cohort_csv=out("cohort.csv"),
        reports=patient_reports,
        overview=out("reports", "index.html"),
        dicom=dicom_exports,
