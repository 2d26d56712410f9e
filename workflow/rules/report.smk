# Per-patient progression report (self-contained HTML).


rule patient_report:
    input:
        metrics=patient_metrics,
    output:
        html=out("reports", "{patient}.html"),
    log:
        log("patient_report", "{patient}"),
    shell:
        "lungtrack report --patient-id {wildcards.patient} {input.metrics} --out {output.html} > {log} 2>&1"
