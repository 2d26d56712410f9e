# Evaluation against reference masks and scan labels: `snakemake evaluate`.


rule evaluate:
    input:
        metrics=all_metrics,
        # the CT and masks of each metrics file, in the same order
        images=all_scans("image"),
        lungs=all_scans("lungs"),
        lesions=all_scans("lesions"),
        labels=config["evaluation"]["labels"] or [],
    output:
        cases=out("evaluation", "cases.csv"),
        scans=out("evaluation", "scans.csv"),
        summary=report(
            out("evaluation", "summary.csv"),
            caption="../report/evaluation_summary.rst",
            category="Evaluation",
            labels={"page": "summary"},
        ),
        html=report(
            out("evaluation", "evaluation.html"),
            caption="../report/evaluation.rst",
            category="Evaluation",
            labels={"page": "evaluation"},
        ),
    log:
        log("evaluate"),
    benchmark:
        bench("evaluate")
    conda:
        "../../envs/core.yaml"
    params:
        options=cli_options("evaluate"),
        reference=f"--reference-dir {shlex.quote(REFERENCE_DIR)}" if REFERENCE_DIR else "",
        out_dir=lambda wildcards, output: Path(output.html).parent,
    shell:
        "lungtrack evaluate {input.metrics} --images {input.images} --lungs {input.lungs} --lesions {input.lesions}"
        " {params.options} {params.reference} --out-dir {params.out_dir:q} > {log} 2>&1"
