# Per-patient progression reports and the cohort overview (self-contained HTML, also in `snakemake --report`).


rule patient_report:
    input:
        metrics=patient_metrics,
        # the slices are drawn from the CT and masks of each metrics file (same order) and the transforms
        images=patient_scans("image"),
        lungs=patient_scans("lungs"),
        lesions=patient_scans("lesions"),
        status=patient_status,
        tracking=out("tracking", "{patient}"),
    output:
        html=report(
            out("reports", "{patient}.html"),
            caption="../report/patient.rst",
            category="Patients",
            labels={"patient": "{patient}"},
        ),
    log:
        log("patient_report", "{patient}"),
    benchmark:
        bench("patient_report", "{patient}")
    group:
        "patient"
    conda:
        "../../envs/core.yaml"
    params:
        options=cli_options("report"),
    shell:
        "lungtrack report --patient-id {wildcards.patient} {input.metrics} --images {input.images}"
        " --lungs {input.lungs} --lesions {input.lesions} --tracking {input.tracking}/tracking.json"
        " {params.options} --status {input.status} --out {output.html} > {log} 2>&1"


rule cohort_overview:
    input:
        cohort=out("cohort.csv"),
        # the checkpoint whose table decides the patients, as an input: a dry run with a case to convert
        # again otherwise stops in Snakemake's group bookkeeping (snakemake/snakemake#4202)
        cases=out("status", "cases.tsv"),
        tracking=lambda wc: [out("tracking", patient) for patient in analysed_patients()],
    output:
        html=report(
            out("reports", "index.html"),
            caption="../report/overview.rst",
            category="Cohort",
            labels={"page": "overview"},
        ),
        regions=report(
            out("cohort_regions.csv"),
            caption="../report/regions.rst",
            category="Cohort",
            labels={"page": "regional measures"},
        ),
    log:
        log("cohort_overview"),
    benchmark:
        bench("cohort_overview")
    group:
        "cohort"
    conda:
        "../../envs/core.yaml"
    params:
        tracking=lambda wildcards, input: [f"{folder}/tracking.json" for folder in input.tracking],
        options=cli_options("overview"),
    shell:
        "lungtrack overview {input.cohort} --tracking {params.tracking} --regions-csv {output.regions}"
        " {params.options} --out {output.html} > {log} 2>&1"


rule cohort_tables:
    input:
        cohort=out("cohort.csv"),
        failures=out("failures.tsv"),
    output:
        html=report(
            out("reports", "cohort_table.html"),
            caption="../report/cohort_table.rst",
            category="Cohort",
            labels={"page": "cohort table"},
        ),
    log:
        log("cohort_tables"),
    benchmark:
        bench("cohort_tables")
    group:
        "cohort"
    conda:
        "../../envs/core.yaml"
    shell:
        "lungtrack table {input.cohort} {input.failures} --title 'Cohort table' --out {output.html} > {log} 2>&1"
