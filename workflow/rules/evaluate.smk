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


def evaluation_args():
    """Command-line options of `lungtrack evaluate` from the config's evaluation section."""
    settings = config["evaluation"]
    args = [
        f"--score {settings['score']}",
        f"--threshold {settings['threshold']}",
        "--tolerance-mm " + " ".join(str(t) for t in settings["tolerances_mm"]),
        f"--bootstrap {settings['bootstrap']}",
        f"--seed {settings['seed']}",
    ]
    if REFERENCE_DIR:
        args.append(f"--reference-dir '{REFERENCE_DIR}'")
    if settings["labels"]:
        args.append(f"--labels '{settings['labels']}'")
    return " ".join(args)


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
        args=evaluation_args(),
        out_dir=out("evaluation"),
    log:
        log("evaluate"),
    benchmark:
        bench("evaluate")
    shell:
        "lungtrack evaluate {input.metrics} {params.args} --out-dir {params.out_dir} > {log} 2>&1"
