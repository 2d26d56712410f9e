# nnU-Net models: `snakemake train` trains one and installs it at nnunet.model; with
# segmentation.backend nnunet, one job per CT predicts its lungs and lesions (and lobes) with it. Training
# runs only when asked for: segmentation reads the model's files, not rule train's output, and stops at
# once when the model folder does not exist.
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
            "case"
        conda:
            "../../envs/nnunet.yaml"
        threads: NNUNET["workers"]
        resources:
            gpu=1 if NNUNET["device"] == "cuda" else 0,
            # default 3d_fullres plans on a 300x512x512 CT: ~3.2 GB and ~30 min per fold on 2 CPU cores
            mem_mb=4000,
            runtime=60,
        params:
            model=NNUNET_MODEL,
            options=cli_options("segment"),
            lobes=lambda wc, output: f"--lobes {output.lobes}" if NNUNET_LOBES else "",
        shell:
            # the image first: --labels and --folds take several values; --workers from threads, not
            # params, so that a new worker count does not segment every CT again
            "lungtrack segment {input.image} --model {params.model} --workers {threads} {params.options}"
            " --lungs {output.lungs} --lesions {output.lesions} {params.lobes} --status {output.status}"
            " > {log} 2>&1"
