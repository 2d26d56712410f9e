# Longitudinal tracking of each patient: registration to the baseline, lesion events, zones.


rule track:
    input:
        # read through the paths inside the metrics files; listed so that Snakemake tracks them
        images=patient_scans("image"),
        lungs=patient_scans("lungs"),
        lesions=patient_scans("lesions"),
        metrics=patient_metrics,
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
        mem_mb=8000,
        runtime=60,
    params:
        options=cli_options("track"),
        lobes=lambda wc: f"--lobes-dir {lobes_dir()}" if lobes_dir() else "",
    shell:
        "lungtrack track --patient-id {wildcards.patient} --out-dir {output.tracking}"
        " {params.options} {params.lobes} {input.metrics} > {log} 2>&1"
