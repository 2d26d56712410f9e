# Results back to PACS (config export.dicom): a DICOM SEG of the masks and a DICOM SR (TID 1500) of the
# measurements of every analysed scan whose input was DICOM. Sample sheet (NIfTI) inputs have no source
# series to reference and are skipped.
from snakemake.logging import logger

EXPORT = config["export"]
if EXPORT["dicom"] and SAMPLES:
    logger.info("export.dicom: the inputs are NIfTI volumes of ingest.samples, not DICOM; no DICOM SEG/SR written")


def dicom_exports(wildcards):
    """SEG and SR of every analysed case, when export.dicom is on and the inputs are DICOM."""
    if not EXPORT["dicom"] or SAMPLES:
        return []
    return [out("dicom", c["patient_id"], f"{c['timepoint']}_{kind}.dcm") for c in ok_cases() for kind in ("seg", "sr")]


def previous_metrics(wildcards):
    """Metrics of the patient's previous analysed scan (cases are in date order), [] at baseline."""
    timepoints = [c["timepoint"] for c in patient_cases(wildcards)]
    index = timepoints.index(wildcards.timepoint)
    return [out("metrics", wildcards.patient, f"{timepoints[index - 1]}.json")] if index > 0 else []


rule export_dicom:
    input:
        # the masks are read through the paths inside the metrics file; listed so that Snakemake tracks them
        metrics=out("metrics", "{patient}", "{timepoint}.json"),
        lungs=out("masks", "{patient}", "{timepoint}_lungs.nii.gz"),
        lesions=out("masks", "{patient}", "{timepoint}_lesions.nii.gz"),
        files=ancient(out("ingest", "files.tsv")),
        previous=previous_metrics,
    output:
        seg=out("dicom", "{patient}", "{timepoint}_seg.dcm"),
        sr=out("dicom", "{patient}", "{timepoint}_sr.dcm"),
    params:
        root=str(DICOM_DIR),
        options=cli_options("export-dicom"),
        previous=lambda wildcards, input: f"--previous {shlex.quote(input.previous[0])}" if input.previous else "",
    resources:
        mem_mb=4000,
        runtime=15,
    log:
        log("export_dicom", "{patient}", "{timepoint}"),
    benchmark:
        bench("export_dicom", "{patient}", "{timepoint}")
    shell:
        "lungtrack export-dicom {input.metrics} --files {input.files} --root {params.root:q}"
        " --seg {output.seg} --sr {output.sr} {params.options} {params.previous} > {log} 2>&1"
