# Per-timepoint volumes and POI, and the cohort table.


rule measure:
    input:
        image=out("images", "{patient}", "{timepoint}.nii.gz"),
        sidecar=out("images", "{patient}", "{timepoint}.json"),
        lungs=out("masks", "{patient}", "{timepoint}_lungs.nii.gz"),
        lesions=out("masks", "{patient}", "{timepoint}_lesions.nii.gz"),
        lobes=lambda wc: lobe_map(wc.patient, wc.timepoint),
    output:
        metrics=out("metrics", "{patient}", "{timepoint}.json"),
    params:
        reference=reference_args,
        lobes=lambda wc, input: f"--lobes {input.lobes}" if input.lobes else "",
    resources:
        mem_mb=3000,
        runtime=10,
    group:
        "case"
    log:
        log("measure", "{patient}", "{timepoint}"),
    shell:
        "lungtrack measure {input.image} {input.lungs} {input.lesions} --sidecar {input.sidecar}"
        " {params.reference} {params.lobes} --out {output.metrics} > {log} 2>&1"


rule cohort:
    input:
        metrics=all_metrics,
        status=all_status,
    output:
        csv=out("cohort.csv"),
        failures=out("failures.tsv"),
    group:
        "cohort"
    log:
        log("cohort"),
    shell:
        "lungtrack cohort {input.metrics} --status {input.status} --failures {output.failures}"
        " --out {output.csv} > {log} 2>&1"
