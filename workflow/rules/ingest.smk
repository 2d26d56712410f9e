# Inventory of the DICOM tree (one chosen series per study), a check of every chosen series, and
# conversion to NIfTI in HU of those that pass. With ingest.samples set, the inventory reads that
# sample sheet of NIfTI volumes instead and `convert` validates and copies each volume.
#
# Reruns stay incremental: the inventory reruns when the tree changes (its fingerprint is a param),
# and the per-case rules read the inventory as ancient(), so a case reruns only when its own series
# (a param) changes, not each time the inventory is rewritten.
import shlex

from lungtrack.ingest.fingerprint import tree_fingerprint

INGEST = config["ingest"]
SAMPLES = INGEST["samples"]


def inventory_options():
    """Command-line options of `lungtrack inventory` from config section ingest."""
    options = [f"--min-slices {INGEST['min_slices']}", f"--tilt {INGEST['tilt']}",
               f"--nonuniform {INGEST['nonuniform']}"]
    if INGEST["series_description_pattern"]:
        options.append("--series-description-pattern=" + shlex.quote(INGEST["series_description_pattern"]))
    options += [f"--series-uid={shlex.quote(uid)}" for uid in INGEST["series_uids"]]
    if INGEST["pseudonymize"]:
        # the salt itself never goes on a command line (logs and .snakemake/ record them): a file
        # named by the config, else $LUNGTRACK_PSEUDONYM_SALT inherited from the snakemake process
        options.append("--pseudonymize")
        if INGEST["pseudonym_salt_file"]:
            options.append("--salt-file " + shlex.quote(INGEST["pseudonym_salt_file"]))
    return " ".join(options)


checkpoint inventory:
    input:
        source=SAMPLES or str(DICOM_DIR),
    output:
        inventory=out("ingest", "inventory.tsv"),
        files=out("ingest", "files.tsv"),
        cases=out("ingest", "cases.tsv"),
    params:
        options=inventory_options(),
        # the demo tree is the output of rule demo, which tracks its changes itself
        tree=lambda wildcards: "" if SAMPLES or IS_DEMO else tree_fingerprint(DICOM_DIR),
    log:
        log("inventory"),
    benchmark:
        bench("inventory")
    shell:
        "lungtrack inventory {input.source:q} {output.inventory:q}"
        " --files {output.files} --cases {output.cases} {params.options} > {log} 2>&1"


def case_row(wildcards):
    for c in cases():
        if c["patient_id"] == wildcards.patient and c["timepoint"] == wildcards.timepoint:
            return c
    raise ValueError(f"no case {wildcards.patient}/{wildcards.timepoint} in the inventory")


def convert_source(wildcards):
    """The NIfTI volume of the case (sample sheet), or the files of its chosen DICOM series."""
    case = case_row(wildcards)
    if SAMPLES:
        return shlex.quote(case["path"])
    files = out("ingest", "files.tsv")
    return f"--files {shlex.quote(files)} --root {shlex.quote(str(DICOM_DIR))} --series={shlex.quote(case['series_uid'])}"


# What check_series and convert both read: the inventory (ancient, see above) and the case's series.
SERIES_INPUT = dict(
    inventory=ancient(out("ingest", "inventory.tsv")),
    files=ancient(out("ingest", "files.tsv")),
    cases=ancient(out("ingest", "cases.tsv")),
    volume=lambda wildcards: [case_row(wildcards)["path"]] if SAMPLES else [],
)
SERIES_PARAMS = dict(source=convert_source, tilt=INGEST["tilt"], nonuniform=INGEST["nonuniform"])


checkpoint check_series:
    input:
        **SERIES_INPUT,
    output:
        status=out("status", "{patient}", "{timepoint}.json"),
    params:
        **SERIES_PARAMS,
    resources:
        mem_mb=case_memory("check_series"),
        runtime=15,
    group:
        "check"
    log:
        log("check_series", "{patient}", "{timepoint}"),
    benchmark:
        bench("check_series", "{patient}", "{timepoint}")
    shell:
        "lungtrack convert {params.source} --check {output.status}"
        " --cases {input.cases} --tilt {params.tilt} --nonuniform {params.nonuniform} > {log} 2>&1"


rule convert:
    input:
        **SERIES_INPUT,
    output:
        image=out("images", "{patient}", "{timepoint}.nii.gz"),
        sidecar=out("images", "{patient}", "{timepoint}.json"),
    params:
        **SERIES_PARAMS,
    resources:
        mem_mb=case_memory("convert"),
        runtime=15,
    group:
        "case"
    log:
        log("convert", "{patient}", "{timepoint}"),
    benchmark:
        bench("convert", "{patient}", "{timepoint}")
    shell:
        "lungtrack convert {params.source} {output.image} --sidecar {output.sidecar}"
        " --cases {input.cases} --tilt {params.tilt} --nonuniform {params.nonuniform} > {log} 2>&1"
