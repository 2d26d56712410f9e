# Inventory of the DICOM tree (one chosen series per study) and conversion to NIfTI in HU.


checkpoint inventory:
    input:
        dicom=str(DICOM_DIR),
    output:
        inventory=out("ingest", "inventory.tsv"),
        files=out("ingest", "files.tsv"),
        cases=out("ingest", "cases.tsv"),
    log:
        log("inventory"),
    benchmark:
        bench("inventory")
    shell:
        "lungtrack inventory {input.dicom} {output.inventory} --files {output.files}"
        " --cases {output.cases} > {log} 2>&1"


def series_uid(wildcards):
    for c in cases():
        if c["patient_id"] == wildcards.patient and c["timepoint"] == wildcards.timepoint:
            return c["series_uid"]
    raise ValueError(f"no case {wildcards.patient}/{wildcards.timepoint} in the inventory")


rule convert:
    input:
        files=out("ingest", "files.tsv"),
    output:
        image=out("images", "{patient}", "{timepoint}.nii.gz"),
        sidecar=out("images", "{patient}", "{timepoint}.json"),
    params:
        series=series_uid,
        root=str(DICOM_DIR),
    log:
        log("convert", "{patient}", "{timepoint}"),
    benchmark:
        bench("convert", "{patient}", "{timepoint}")
    shell:
        "lungtrack convert --files {input.files} --root {params.root} --series {params.series}"
        " {output.image} --sidecar {output.sidecar} > {log} 2>&1"
