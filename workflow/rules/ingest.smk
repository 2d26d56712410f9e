# Inventory of the DICOM tree (one chosen series per study), then each chosen series checked and
# converted to NIfTI in HU in one pass. With ingest.samples set, the inventory reads that
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


# One job per case reads its series once: it checks and converts it, writes the CT and its sidecar, and
# last the case status (status/<patient>/<timepoint>.json, its declared output: a job stopped half-way
# reruns). A series that cannot be read gets its failed status and no image, so the image is not a
# declared output (Snakemake has no optional outputs); the rules that read it ask for it through
# case_file(), which waits for checkpoint case_status. That one checkpoint gathers every case's status
# once all are in: Snakemake evaluates the DAG again once per run, not once per case.
rule convert:
    input:
        **SERIES_INPUT,
    output:
        status=status_path("{patient}", "{timepoint}"),
    log:
        log("convert", "{patient}", "{timepoint}"),
    benchmark:
        bench("convert", "{patient}", "{timepoint}")
    group:
        "check"
    conda:
        "../../envs/core.yaml"
    resources:
        mem_mb=case_memory("convert"),
        runtime=15,
    params:
        **SERIES_PARAMS,
        image=image_path("{patient}", "{timepoint}"),
        sidecar=sidecar_path("{patient}", "{timepoint}"),
    shell:
        "lungtrack convert {params.source} {params.image} --sidecar {params.sidecar} --status {output.status}"
        " --cases {input.cases} {params.options} > {log} 2>&1"


# a table of a few lines from files the convert jobs left: no cluster job of its own
localrules:
    case_status,


checkpoint case_status:
    input:
        status=all_status,
    output:
        table=out("status", "cases.tsv"),
    log:
        log("case_status"),
    benchmark:
        bench("case_status")
    conda:
        "../../envs/core.yaml"
    shell:
        "lungtrack case-status {input.status} --out {output.table} > {log} 2>&1"
