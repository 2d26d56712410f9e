# The built-in demo cohort, generated only when dicom_dir is the demo folder.

if IS_DEMO:

    rule demo_cohort:
        output:
            dicom=directory(str(DEMO_DIR / "dicom")),
            truth=directory(str(DEMO_DIR / "truth")),
        params:
            n=config["demo"]["patients"],
            t=config["demo"]["timepoints"],
            seed=config["demo"]["seed"],
        log:
            log("demo_cohort"),
        benchmark:
            bench("demo_cohort")
        shell:
            "lungtrack phantom {DEMO_DIR} --patients {params.n} --timepoints {params.t}"
            " --seed {params.seed} > {log} 2>&1"
