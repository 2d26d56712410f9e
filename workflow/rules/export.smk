# Results back to PACS (config export.dicom): a DICOM SEG of the masks and a DICOM SR (TID 1500) of the
# measurements of every analysed scan whose input was DICOM. Sample sheet (NIfTI) inputs have no source
# series to reference and are skipped.
rule export_dicom:
    input:
        metrics=out("metrics", "{patient}", "{timepoint}.json"),
        lungs=out("masks", "{patient}", "{timepoint}_lungs.nii.gz"),
        lesions=out("masks", "{patient}", "{timepoint}_lesions.nii.gz"),
        files=ancient(out("ingest", "files.tsv")),
        previous=previous_metrics,
        lobes=lambda wc: lobe_map(wc.patient, wc.timepoint),
    output:
        seg=out("dicom", "{patient}", "{timepoint}_seg.dcm"),
        sr=out("dicom", "{patient}", "{timepoint}_sr.dcm"),
    log:
        log("export_dicom", "{patient}", "{timepoint}"),
    benchmark:
        bench("export_dicom", "{patient}", "{timepoint}")
    conda:
        "../../envs/core.yaml"
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        root=str(DICOM_DIR),
        options=cli_options("export-dicom"),
        previous=lambda wildcards, input: f"--previous {shlex.quote(input.previous[0])}" if input.previous else "",
    shell:
        "lungtrack export-dicom {input.metrics} --lungs {input.lungs} --lesions {input.lesions}"
        " --files {input.files} --root {params.root:q}"
        " --seg {output.seg} --sr {output.sr} {params.options} {params.previous} > {log} 2>&1"
