# Lungs (1 right, 2 left) and lesions (1 GGO, 2 consolidation) on each CT's own grid.
# A segmentation that fails records why in its step status (status/<patient>/<timepoint>.<rule>.json)
# and leaves empty masks, so that `measure` writes a failed record and the run goes on.


rule segment_lungs:
    input:
        image=case_file(image_path),
        # the case's status, rule convert's declared output: a case converted again is segmented again
        case=status_path("{patient}", "{timepoint}"),
    output:
        lungs=out("masks", "{patient}", "{timepoint}_lungs.nii.gz"),
        status=step_status("segment_lungs"),
    log:
        log("segment_lungs", "{patient}", "{timepoint}"),
    benchmark:
        bench("segment_lungs", "{patient}", "{timepoint}")
    group:
        "case"
    conda:
        "../../envs/core.yaml"
    resources:
        mem_mb=case_memory("segment_lungs"),
        runtime=30,
    params:
        backend=config["segmentation"]["backend"],
    shell:
        "lungtrack segment-lungs {input.image} {output.lungs} --backend {params.backend}"
        " --status {output.status} > {log} 2>&1"


rule segment_lesions:
    input:
        image=case_file(image_path),
        lungs=out("masks", "{patient}", "{timepoint}_lungs.nii.gz"),
    output:
        lesions=out("masks", "{patient}", "{timepoint}_lesions.nii.gz"),
        status=step_status("segment_lesions"),
    log:
        log("segment_lesions", "{patient}", "{timepoint}"),
    benchmark:
        bench("segment_lesions", "{patient}", "{timepoint}")
    group:
        "case"
    conda:
        "../../envs/core.yaml"
    resources:
        mem_mb=case_memory("segment_lesions"),
        runtime=30,
    params:
        backend=config["segmentation"]["backend"],
    shell:
        "lungtrack segment-lesions {input.image} {input.lungs} {output.lesions}"
        " --backend {params.backend} --status {output.status} > {log} 2>&1"
