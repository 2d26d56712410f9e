# nnU-Net models: `snakemake train` trains one and installs it at nnunet.model; with
# segmentation.backend nnunet, rule segment_nnunet makes each CT's lungs and lesions (and lobes) with it:
# with nnunet.batch_cases > 0 from the label maps that rule segment_nnunet_batch predicted for a batch of CTs
# in one process (one model load; group "batch": one SLURM job per batch), else predicting the CT itself.
# Training runs only when asked for: segmentation reads the model's files, not rule train's output, and
# stops at once when the model folder does not exist.
rule train:
    input:
        training_inputs,
    output:
        model=directory(NNUNET["model"]),
    log:
        log("train"),
    benchmark:
        bench("train")
    conda:
        "../../envs/nnunet.yaml"
    threads: NNUNET["workers"]
    resources:
        gpu=1 if TRAINING["device"] == "cuda" else 0,
        mem_mb=8000,
        runtime=24 * 60,
    params:
        options=cli_options("train"),
    shell:
        # --workers from threads, not params: a new worker count must not retrain the model
        "lungtrack train {output.model} {params.options} --workers {threads} > {log} 2>&1"


if config["segmentation"]["backend"] == "nnunet":

    ruleorder: segment_nnunet > segment_lungs
    ruleorder: segment_nnunet > segment_lesions

    rule segment_nnunet:
        input:
            image=case_file(image_path),
            # the case's status, rule convert's declared output: a case converted again is segmented again
            case=status_path("{patient}", "{timepoint}"),
            model=nnunet_model_files,
            predictions=nnunet_predictions,
        output:
            **({"lobes": out("masks", "{patient}", "{timepoint}_lobes.nii.gz")} if NNUNET_LOBES else {}),
            lungs=out("masks", "{patient}", "{timepoint}_lungs.nii.gz"),
            lesions=out("masks", "{patient}", "{timepoint}_lesions.nii.gz"),
            status=step_status("segment_nnunet"),
        log:
            log("segment_nnunet", "{patient}", "{timepoint}"),
        benchmark:
            bench("segment_nnunet", "{patient}", "{timepoint}")
        group:
            CASE_GROUP
        conda:
            "../../envs/nnunet.yaml"
        # from a batch's label maps no network runs: one thread, no GPU
        threads: 1 if NNUNET_BATCH else NNUNET["workers"]
        resources:
            gpu=1 if NNUNET["device"] == "cuda" and not NNUNET_BATCH else 0,
            # default 3d_fullres plans on a 300x512x512 CT: ~3.2 GB and ~30 min per fold on 2 CPU cores
            mem_mb=4000,
            runtime=10 if NNUNET_BATCH else 60,
        params:
            model=NNUNET_MODEL,
            options=cli_options("segment"),
            predicted=nnunet_predicted,
            lobes=lambda wc, output: f"--lobes {output.lobes}" if NNUNET_LOBES else "",
        shell:
            # the image first: --labels and --folds take several values; --workers from threads, not
            # params, so that a new worker count does not segment every CT again
            "lungtrack segment {input.image} --model {params.model} --workers {threads} {params.options}"
            " {params.predicted} --lungs {output.lungs} --lesions {output.lesions} {params.lobes}"
            " --status {output.status} > {log} 2>&1"


if NNUNET_BATCH:

    rule segment_nnunet_batch:
        input:
            images=nnunet_batch_images,
            cases=nnunet_batch_status,
            model=nnunet_model_files,
        output:
            # <patient>/<timepoint>_model.nii.gz (the model's label map), _status.json; rule segment_nnunet reads them
            predictions=temp(directory(out("nnunet_batches", "{batch}"))),
        log:
            log("segment_nnunet_batch", "{batch}"),
        benchmark:
            bench("segment_nnunet_batch", "{batch}")
        group:
            CASE_GROUP
        conda:
            "../../envs/nnunet.yaml"
        threads: NNUNET["workers"]
        resources:
            gpu=1 if NNUNET["device"] == "cuda" else 0,
            mem_mb=4000,
            # per CT: the 60 min of a CPU prediction (give a GPU's with set-resources)
            runtime=lambda wildcards: 60 * len(nnunet_batch(wildcards)),
        params:
            model=NNUNET_MODEL,
            options=cli_options("segment"),
            cases=nnunet_batch_cases,
        shell:
            "lungtrack segment --model {params.model} --workers {threads} {params.options} {params.cases}"
            " > {log} 2>&1"
