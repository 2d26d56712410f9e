# Inventory of the DICOM tree (one chosen series per study), a check of every chosen series, and
# conversion to NIfTI in HU of those that pass. With ingest.samples set, the inventory reads that
# sample sheet of NIfTI volumes instead and `convert` validates and copies each volume.
#
# Reruns stay incremental: the inventory reruns when the tree changes (its fingerprint is a param),
# and the per-case rules read the inventory as ancient(), so a case reruns only when its own series
# (a param) changes, not each time the inventory is rewritten.
checkpoint inventory:
    input:
        source=SAMPLES or str(DICOM_DIR),
    output:
        inventory=out("ingest", "inventory.tsv"),
        files=out("ingest", "files.tsv"),
        cases=out("ingest", "cases.tsv"),
    log:
        log("inventory"),
    benchmark:
        bench("inventory")
    conda:
        "../../envs/core.yaml"
    params:
        # the salt itself never goes on a command line (logs and .snakemake/ record them): a file named
        # by ingest.pseudonym_salt_file, else $LUNGTRACK_PSEUDONYM_SALT inherited from the snakemake process
        options=cli_options("inventory"),
        # the demo tree is the output of rule demo, which tracks its changes itself
        tree=lambda wildcards: "" if SAMPLES or IS_DEMO else tree_fingerprint(DICOM_DIR),
    shell:
        "lungtrack inventory {input.source:q} {output.inventory:q}"
        " --files {output.files} --cases {output.cases} {params.options} > {log} 2>&1"


checkpoint check_series:
    input:
        **SERIES_INPUT,
    output:
        status=out("status", "{patient}", "{timepoint}.json"),
    log:
        log("check_series", "{patient}", "{timepoint}"),
    benchmark:
        bench("check_series", "{patient}", "{timepoint}")
    group:
        "check"
    conda:
        "../../envs/core.yaml"
    resources:
        mem_mb=case_memory("check_series"),
        runtime=15,
    params:
        **SERIES_PARAMS,
    shell:
        "lungtrack convert {params.source} --check {output.status}"
        " --cases {input.cases} {params.options} > {log} 2>&1"


rule convert:
    input:
        **SERIES_INPUT,
    output:
        image=out("images", "{patient}", "{timepoint}.nii.gz"),
        sidecar=out("images", "{patient}", "{timepoint}.json"),
    log:
        log("convert", "{patient}", "{timepoint}"),
    benchmark:
        bench("convert", "{patient}", "{timepoint}")
    group:
        CASE_GROUP
    conda:
        "../../envs/core.yaml"
    resources:
        mem_mb=case_memory("convert"),
        runtime=15,
    params:
        **SERIES_PARAMS,
    shell:
        "lungtrack convert {params.source} {output.image} --sidecar {output.sidecar}"
        " --cases {input.cases} {params.options} > {log} 2>&1"
