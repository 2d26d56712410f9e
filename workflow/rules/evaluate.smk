# Evaluation against reference masks and scan labels: `snakemake evaluate`.


def evaluation_inputs(kind):
    """Input function: the per-case files of ``kind`` (images, lung masks, lesion masks) of every case."""
    layout = {
        "images": ("images", "{timepoint}.nii.gz"),
        "lungs": ("masks", "{timepoint}_lungs.nii.gz"),
        "lesions": ("masks", "{timepoint}_lesions.nii.gz"),
    }
    folder, name = layout[kind]
    return lambda wildcards: [out(folder, c["patient_id"], name.format(timepoint=c["timepoint"])) for c in ok_cases()]


rule evaluate:
    input:
        metrics=all_metrics,
        images=evaluation_inputs("images"),
        lungs=evaluation_inputs("lungs"),
        lesions=evaluation_inputs("lesions"),
        labels=config["evaluation"]["labels"] or [],
    output:
        cases=out("evaluation", "cases.csv"),
        scans=out("evaluation", "scans.csv"),
        summary=out("evaluation", "summary.csv"),
        html=out("evaluation", "evaluation.html"),
    params:
        options=cli_options("evaluate"),
        reference=f"--reference-dir {shlex.quote(REFERENCE_DIR)}" if REFERENCE_DIR else "",
        out_dir=out("evaluation"),
    log:
        log("evaluate"),
    benchmark:
        bench("evaluate")
    shell:
        "lungtrack evaluate {input.metrics} {params.options} {params.reference} --out-dir {params.out_dir}"
        " > {log} 2>&1"
