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
            options=cli_options("phantom"),
            folder=lambda wildcards, output: Path(output.dicom).parent,
        shell:
            "lungtrack phantom {params.folder:q} {params.options} > {log} 2>&1"
