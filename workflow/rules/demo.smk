# The built-in demo cohort, generated only when dicom_dir is the demo folder.

if IS_DEMO:

    rule demo_cohort:
        output:
            dicom=directory(str(DEMO_DIR / "dicom")),
            truth=directory(str(DEMO_DIR / "truth")),
        params:
            options=cli_options("phantom"),
        log:
            log("demo_cohort"),
        benchmark:
            bench("demo_cohort")
        shell:
            "lungtrack phantom {DEMO_DIR} {params.options} > {log} 2>&1"
