# Per-timepoint volumes and POI, and the cohort table. Every analysed case gets a metrics JSON:
# status ok, or failed (segmentation or measurement failed, or QC said fail) with the step and reason.
# The cohort table, tracking and reports read it and leave the failed ones out of every number.

SEGMENT_STEPS = ["segment_nnunet"] if config["segmentation"]["backend"] == "nnunet" else ["segment_lungs",
                                                                                          "segment_lesions"]


rule measure:
    input:
        image=out("images", "{patient}", "{timepoint}.nii.gz"),
        sidecar=out("images", "{patient}", "{timepoint}.json"),
        lungs=out("masks", "{patient}", "{timepoint}_lungs.nii.gz"),
        lesions=out("masks", "{patient}", "{timepoint}_lesions.nii.gz"),
        lobes=lambda wc: lobe_map(wc.patient, wc.timepoint),
        steps=[step_status(step) for step in SEGMENT_STEPS],
    output:
        metrics=out("metrics", "{patient}", "{timepoint}.json"),
    params:
        reference=reference_args,
        lobes=lambda wc, input: f"--lobes {input.lobes}" if input.lobes else "",
    resources:
        mem_mb=case_memory("measure"),
        runtime=10,
    group:
        "case"
    log:
        log("measure", "{patient}", "{timepoint}"),
    shell:
        "lungtrack measure {input.image} {input.lungs} {input.lesions} --sidecar {input.sidecar}"
        " {params.reference} {params.lobes} --steps {input.steps} --record-failure --out {output.metrics}"
        " > {log} 2>&1"


rule cohort:
    input:
        metrics=all_metrics,
        status=all_status,
    output:
        csv=out("cohort.csv"),
        failures=out("failures.tsv"),
    params:
        min_poi=config["tracking"]["min_poi_change_pp"],
        min_volume=config["tracking"]["min_lesion_volume_change_pct"],
    group:
        "cohort"
    log:
        log("cohort"),
    shell:
        # the same change thresholds as the patient reports (rule patient_report)
        "lungtrack cohort {input.metrics} --status {input.status} --failures {output.failures}"
        " --min-poi-change {params.min_poi} --min-volume-change {params.min_volume} --out {output.csv} > {log} 2>&1"
