# The built-in demo cohort, generated only when dicom_dir is the demo folder.

if IS_DEMO:

    rule demo_cohort:
        output:
            dicom=directory(str(DEMO_DIR / "dicom")),
            truth=directory(str(DEMO_DIR / "truth")),
        log:
            log("demo_cohort"),
        benchmark:
            bench("demo_cohort")
        conda:
            "../../envs/core.yaml"
        params:
            n=config["demo"]["patients"],
            t=config["demo"]["timepoints"],
            seed=config["demo"]["seed"],
            folder=lambda wildcards, output: Path(output.dicom).parent,
        shell:
            "lungtrack phantom {params.folder:q} --patients {params.n} --timepoints {params.t}"
            " --seed {params.seed} > {log} 2>&1"
