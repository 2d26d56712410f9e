# Per-timepoint volumes and POI, and the cohort table. Every analysed case gets a metrics JSON:
# status ok, or failed (segmentation or measurement failed, or QC said fail) with the step and reason.
# The cohort table, tracking and reports read it and leave the failed ones out of every number.


rule measure:
    input:
        image=case_file(image_path),
        sidecar=case_file(sidecar_path),
        lungs=out("masks", "{patient}", "{timepoint}_lungs.nii.gz"),
        lesions=out("masks", "{patient}", "{timepoint}_lesions.nii.gz"),
        lobes=lambda wc: lobe_map(wc.patient, wc.timepoint),
        steps=[step_status(step) for step in SEGMENT_STEPS],
        ref_lungs=reference_mask("lungs"),
        ref_lesions=reference_mask("lesions"),
    output:
        metrics=out("metrics", "{patient}", "{timepoint}.json"),
    log:
        log("measure", "{patient}", "{timepoint}"),
    benchmark:
        bench("measure", "{patient}", "{timepoint}")
    group:
        CASE_GROUP
    conda:
        "../../envs/core.yaml"
    resources:
        mem_mb=case_memory("measure"),
        runtime=10,
    params:
        reference=reference_args,
        lobes=lambda wc, input: f"--lobes {input.lobes}" if input.lobes else "",
    shell:
        "lungtrack measure {input.image} {input.lungs} {input.lesions} --sidecar {input.sidecar}"
        " {params.reference} {params.lobes} --steps {input.steps} --record-failure --out {output.metrics}"
        " > {log} 2>&1"


rule cohort:
    input:
        metrics=all_metrics,
        status=all_status,
        # the table that decides which cases have metrics (see rule cohort_overview)
        cases=out("status", "cases.tsv"),
    output:
        csv=report(
            out("cohort.csv"),
            caption="../report/cohort.rst",
            category="Cohort",
            labels={"page": "cohort table (CSV)"},
        ),
        failures=report(
            out("failures.tsv"),
            caption="../report/failures.rst",
            category="Cohort",
            labels={"page": "failed scans (TSV)"},
        ),
    log:
        log("cohort"),
    benchmark:
        bench("cohort")
    group:
        "cohort"
    conda:
        "../../envs/core.yaml"
    params:
        options=cli_options("cohort"),
    shell:
        # the same change thresholds as the patient reports (rule patient_report)
        "lungtrack cohort {input.metrics} --status {input.status} --failures {output.failures}"
        " {params.options} --out {output.csv} > {log} 2>&1"
