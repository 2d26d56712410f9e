# Longitudinal tracking of each patient: registration to the baseline, lesion events, zones.


rule track:
    input:
        metrics=patient_metrics,
        # the CT and masks of each metrics file, in the same order (patient_cases)
        images=patient_scans("image"),
        lungs=patient_scans("lungs"),
        lesions=patient_scans("lesions"),
        lobes=lambda wc: [p for c in patient_cases(wc) for p in lobe_map(wc.patient, c["timepoint"])],
    output:
        tracking=directory(out("tracking", "{patient}")),
    log:
        log("track", "{patient}"),
    benchmark:
        bench("track", "{patient}")
    group:
        "patient"
    conda:
        "../../envs/core.yaml"
    resources:
        mem_mb=patient_memory("track"),
        runtime=60,
    params:
        options=cli_options("track"),
        lobes=lambda wc: f"--lobes-dir {lobes_dir()}" if lobes_dir() else "",
    shell:
        "lungtrack track --patient-id {wildcards.patient} --out-dir {output.tracking}"
        " {params.options} {params.lobes} {input.metrics} --images {input.images} --lungs {input.lungs}"
        " --lesions {input.lesions} > {log} 2>&1"
