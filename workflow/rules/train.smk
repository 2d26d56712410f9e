# nnU-Net models: `snakemake train` trains one and installs it at nnunet.model; with
# segmentation.backend nnunet, one job per CT predicts its lungs and lesions (and lobes) with it. Training
# runs only when asked for: segmentation reads the model's files, not rule train's output, and stops at
# once when the model folder does not exist.
from snakemake.exceptions import WorkflowError

from lungtrack.errors import InputError
from lungtrack.segment.nnunet import gives_lobes
from lungtrack.segment.nnunet.presets import preset_folder

NNUNET = config["nnunet"]
TRAINING = config["training"]
NNUNET_BACKEND = config["segmentation"]["backend"] == "nnunet"


def nnunet_model():
    """The model folder the segment rule reads: a preset's folder in its weights folder, else nnunet.model."""
    if not (NNUNET_BACKEND and NNUNET["preset"]):
        return NNUNET["model"]
    try:
        return str(preset_folder(NNUNET["preset"], NNUNET["model"]))
    except InputError as exc:
        raise WorkflowError(str(exc)) from None


NNUNET_MODEL = nnunet_model()
# Whether the model gives lobes (decided when the workflow is read): masks/<p>/<tp>_lobes.nii.gz then.
NNUNET_LOBES = NNUNET_BACKEND and gives_lobes(NNUNET_MODEL, NNUNET["labels"], NNUNET["preset"])


def training_inputs(wildcards):
    """The labelled case folders of the training section (none for the phantom cohort)."""
    return [TRAINING[k] for k in ("images", "lungs", "lesions") if TRAINING[k]]


def nnunet_model_files(wildcards):
    """The files of nnunet.model (its preset's folder with a preset) and nnunet.lesion_model that a
    prediction reads (tracked as its inputs).

    None with the threshold backend. Stops the run, naming the key and the path, when a model folder
    does not exist (rule all asks first, so that a run stops before the inventory).
    """
    if not NNUNET_BACKEND:
        return []
    files = []
    for key, folder in (("model", NNUNET_MODEL), ("lesion_model", NNUNET["lesion_model"])):
        if folder is None:
            continue
        if not Path(folder).is_dir():
            raise WorkflowError(f"nnunet.{key}: model folder {folder} does not exist; correct the path, "
                                "or train a model there with `snakemake train`")
        files += sorted(str(p) for name in ("checkpoint_final.pth", "dataset.json", "plans.json")
                        for p in Path(folder).rglob(name))
    return files


rule train:
    input:
        training_inputs,
    output:
        model=directory(NNUNET["model"]),
    params:
        options=cli_options("train"),
    threads: NNUNET["workers"]
    resources:
        gpu=1 if TRAINING["device"] == "cuda" else 0,
        mem_mb=8000,
        runtime=24 * 60,
    log:
        log("train"),
    benchmark:
        bench("train")
    shell:
        # --workers from threads, not params: a new worker count must not retrain the model
        "lungtrack train {output.model} {params.options} --workers {threads} > {log} 2>&1"


if config["segmentation"]["backend"] == "nnunet":

    ruleorder: segment_nnunet > segment_lungs
    ruleorder: segment_nnunet > segment_lesions

    rule segment_nnunet:
        input:
            image=out("images", "{patient}", "{timepoint}.nii.gz"),
            model=nnunet_model_files,
        output:
            lungs=out("masks", "{patient}", "{timepoint}_lungs.nii.gz"),
            lesions=out("masks", "{patient}", "{timepoint}_lesions.nii.gz"),
            status=step_status("segment_nnunet"),
            **({"lobes": out("masks", "{patient}", "{timepoint}_lobes.nii.gz")} if NNUNET_LOBES else {}),
        params:
            model=NNUNET_MODEL,
            options=cli_options("segment"),
            lobes=lambda wc, output: f"--lobes {output.lobes}" if NNUNET_LOBES else "",
        threads: NNUNET["workers"]
        resources:
            gpu=1 if NNUNET["device"] == "cuda" else 0,
            # default 3d_fullres plans on a 300x512x512 CT: ~3.2 GB and ~30 min per fold on 2 CPU cores
            mem_mb=4000,
            runtime=60,
        group:
            "case"
        log:
            log("segment_nnunet", "{patient}", "{timepoint}"),
        benchmark:
            bench("segment_nnunet", "{patient}", "{timepoint}")
        shell:
            # the image first: --labels and --folds take several values; --workers from threads, not
            # params, so that a new worker count does not segment every CT again
            "lungtrack segment {input.image} --model {params.model} --workers {threads} {params.options}"
            " --lungs {output.lungs} --lesions {output.lesions} {params.lobes} --status {output.status}"
            " > {log} 2>&1"
