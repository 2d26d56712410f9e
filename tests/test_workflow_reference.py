"""Rule measure takes a case's reference masks from the lookup `lungtrack evaluate` uses (measure.reference_files)."""

import re
import subprocess

import yaml
from test_ingest_samplesheet import write_volume

from lungtrack.measure.reference_files import reference_paths


def test_measure_jobs_get_the_reference_masks_that_evaluate_finds(repo_root, snakemake_cmd, tmp_path):
    for name in ("a1", "a2", "b1"):
        write_volume(tmp_path / f"{name}.nii.gz")
    sheet = tmp_path / "samples.csv"
    # two studies of A on one day (timepoints 20200302 and 20200302_2): both take the day's references
    sheet.write_text(f"patient_id,study_date,path\nA,2020-03-02,{tmp_path}/a1.nii.gz\n"
                     f"A,2020-03-02,{tmp_path}/a2.nii.gz\nB,2020-03-01,{tmp_path}/b1.nii.gz\n")
    reference = tmp_path / "reference"
    for mask in ("A/20200302/lungs.nii.gz", "A/20200302/lesions.nii.gz", "B/20200301/lesions.nii.gz"):
        (reference / mask).parent.mkdir(parents=True, exist_ok=True)
        write_volume(reference / mask)
    results = tmp_path / "results"
    config = yaml.safe_load((repo_root / "config.yaml").read_text())
    config.update(results_dir=str(results), reference_dir=str(reference))
    config["ingest"]["samples"] = str(sheet)
    work = tmp_path / "work"
    res = subprocess.run(snakemake_cmd(work, config, "--cores", "1", str(results / "ingest" / "cases.tsv")),
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]

    cases = {"20200302": ("A", "2020-03-02"), "20200302_2": ("A", "2020-03-02"), "20200301": ("B", "2020-03-01")}
    targets = [str(results / "metrics" / patient / f"{tp}.json") for tp, (patient, _) in cases.items()]
    res = subprocess.run(snakemake_cmd(work, config, "-n", "-p", *targets), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    commands = {m[1]: m[0] for m in re.finditer(r"lungtrack measure .*?--out \S+/metrics/\S+/(\S+)\.json", res.stdout)}
    assert set(commands) == set(cases), res.stdout[-3000:]
    given = {tp: dict(re.findall(r"--ref-(lungs|lesions) (\S+)", commands[tp])) for tp in cases}
    for timepoint, (patient, date) in cases.items():
        assert given[timepoint] == {name: str(path) for name, path in reference_paths(reference, patient, date).items()}
    assert given["20200302_2"] == given["20200302"] == {
        "lungs": str(reference / "A/20200302/lungs.nii.gz"), "lesions": str(reference / "A/20200302/lesions.nii.gz")}
    assert given["20200301"] == {"lesions": str(reference / "B/20200301/lesions.nii.gz")}  # no reference lungs
