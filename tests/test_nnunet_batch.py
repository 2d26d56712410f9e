"""Batches of the nnunet backend: one `lungtrack segment` process predicts several CTs with one model load
(`--case IMAGE PREFIX`), `--predicted PREFIX` makes each CT's masks from those label maps; the masks are
those of the per-CT path voxel for voxel, a CT that fails fails alone, and a whole workflow run in batches
gives the cohort table of one without."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from lungtrack.cli import main
from lungtrack.io.images import write_image
from lungtrack.phantom.case import make_case

SMALL = {"matrix": 96, "pixel_mm": 3.6, "slice_mm": 5.0}  # as conftest's SMALL_PHANTOM, the model's training CTs


def _lungtrack(*args) -> subprocess.CompletedProcess:
    """`lungtrack ARGS` as its own process (a process of its own loads the model afresh)."""
    command = [str(Path(sys.executable).with_name("lungtrack")), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=dict(os.environ))


def _array(path) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


def _tiny_model_folder(root: Path) -> Path:
    """A lung model's dataset.json and plans.json, no weights: what the checks before loading read."""
    folder = root / "Dataset501_X" / "nnUNetTrainer__nnUNetPlans__2d"
    folder.mkdir(parents=True)
    (folder / "dataset.json").write_text(json.dumps({"channel_names": {"0": "CT"},
                                                     "labels": {"background": 0, "lung": 1}}))
    (folder / "plans.json").write_text(json.dumps({"configurations": {"2d": {
        "normalization_schemes": ["CTNormalization"]}}}))
    return folder


def test_a_batch_takes_no_per_ct_outputs_and_checks_every_image_before_loading(tmp_path, capsys):
    model = _tiny_model_folder(tmp_path / "model")
    ct = tmp_path / "ct.nii.gz"
    sitk.WriteImage(sitk.Image(8, 8, 4, sitk.sitkInt16), str(ct))
    assert main(["segment", "--model", str(model), "--case", str(ct), str(tmp_path / "a"),
                 "--lungs", str(tmp_path / "l.nii.gz")]) == 2
    assert "--case writes each CT's label maps and status at its PREFIX" in capsys.readouterr().err
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(b"not an image")
    # no fold_*/checkpoint_final.pth here: the unreadable CT is found before any weights would load
    assert main(["segment", "--model", str(model), "--case", str(ct), str(tmp_path / "a"),
                 "--case", str(broken), str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"lungtrack segment: error: {broken}: not a readable image")
    assert not list(tmp_path.glob("a_*")) and not list(tmp_path.glob("b_*"))


@pytest.mark.slow
def test_a_batch_loads_the_model_once_and_gives_the_per_ct_masks(phantom_model, tmp_path):
    cts = []
    for seed in (4100, 4101):
        cts.append(tmp_path / f"ct{seed}.nii.gz")
        write_image(make_case(seed, 0, 1, **SMALL).image(), cts[-1])
    four_d = tmp_path / "four_d.nii.gz"  # a 4D series: read, but no volume to predict
    sitk.WriteImage(sitk.JoinSeries([sitk.ReadImage(str(cts[0]))] * 2), str(four_d))
    batch = tmp_path / "batch"
    cases = [(ct, batch / ct.name.removesuffix(".nii.gz")) for ct in (cts[0], four_d, cts[1])]
    res = _lungtrack("segment", "--model", phantom_model, "--workers", "2",
                     *[word for image, prefix in cases for word in ("--case", image, prefix)])
    assert res.returncode == 0, res.stderr[-3000:]
    # NnunetModel logs "nnU-Net model FOLDER loaded (cpu, folds ...)" once per load
    loads = [line for line in res.stderr.splitlines() if "nnU-Net model" in line and " loaded (" in line]
    assert len(loads) == 1, res.stderr[-3000:]
    assert "batch of 3 CTs (2 predicted, 1 failed)" in res.stderr
    statuses = {image.name: json.loads(Path(f"{prefix}_status.json").read_text()) for image, prefix in cases}
    assert [statuses[ct.name]["status"] for ct in cts] == ["ok", "ok"]
    assert statuses[four_d.name]["status"] == "failed" and statuses[four_d.name]["failed_step"] == "segment"
    assert not Path(f"{cases[1][1]}_model.nii.gz").exists()

    for image, prefix in cases:
        masks = {}
        for way, extra in (("batch", ["--predicted", str(prefix)]), ("alone", [])):
            masks[way] = {k: tmp_path / way / f"{image.name}_{k}.nii.gz" for k in ("lungs", "lesions")}
            status = tmp_path / way / f"{image.name}.json"
            assert main(["segment", str(image), "--model", str(phantom_model), "--workers", "2", *extra,
                         "--lungs", str(masks[way]["lungs"]), "--lesions", str(masks[way]["lesions"]),
                         "--status", str(status)]) == 0
            assert json.loads(status.read_text())["status"] == statuses[image.name]["status"]
        if image == four_d:  # failed alone, with the same reason either way, and empty masks
            assert json.loads((tmp_path / "batch" / f"{image.name}.json").read_text())["reason"] == \
                   json.loads((tmp_path / "alone" / f"{image.name}.json").read_text())["reason"]
        for key in ("lungs", "lesions"):
            np.testing.assert_array_equal(_array(masks["batch"][key]), _array(masks["alone"][key]))
        if image != four_d:
            assert (_array(masks["batch"]["lungs"]) > 0).any()


@pytest.mark.slow
def test_workflow_in_batches_gives_the_cohort_table_of_one_job_per_ct(phantom_model, snakemake_cmd, tmp_path):
    # 3 small phantom CTs of 3 patients (NIfTI sample sheet), held out from the model's training seeds
    rows = ["patient_id\tstudy_date\tpath"]
    for i, seed in enumerate((4200, 4201, 4202)):
        write_image(make_case(seed, 0, 1, **SMALL).image(), tmp_path / "cts" / f"{seed}.nii.gz")
        rows.append(f"P{seed}\t2020-03-0{i + 1}\t{seed}.nii.gz")
    (tmp_path / "cts" / "samples.tsv").write_text("\n".join(rows) + "\n")
    runs = {}
    for name, batch_cases in (("per_ct", 0), ("batches", 2)):
        results = tmp_path / name
        config = {"dicom_dir": str(tmp_path / "cts"), "results_dir": str(results),
                  "ingest": {"samples": str(tmp_path / "cts" / "samples.tsv")},
                  "segmentation": {"backend": "nnunet"},
                  "nnunet": {"model": str(phantom_model), "workers": 2, "batch_cases": batch_cases}}
        res = subprocess.run(snakemake_cmd(tmp_path / f"run_{name}", config, "--cores", "2"), capture_output=True,
                             text=True)
        assert (results / "cohort.csv").is_file(), res.stderr[-4000:]
        runs[name] = (res, results)
    (_, per_ct), (res, batched) = runs["per_ct"], runs["batches"]
    # 3 CTs in batches of 2: two prediction jobs, each with one model load; the batch folders were temporary
    logs = sorted((batched / "logs" / "segment_nnunet_batch").glob("*.log"))
    assert [p.name for p in logs] == ["0.log", "1.log"], res.stderr[-4000:]
    assert [p.read_text().count(" loaded (") for p in logs] == [1, 1]
    assert not (batched / "nnunet_batches").exists() or not any((batched / "nnunet_batches").iterdir())
    assert not (per_ct / "logs" / "segment_nnunet_batch").exists()
    # the tiny model's lungs are rough: quality control may fail a scan, and its reason (with the lung volume in
    # mL) is then what the rows compare, besides the masks below
    pd.testing.assert_frame_equal(pd.read_csv(batched / "cohort.csv"), pd.read_csv(per_ct / "cohort.csv"))
    masks = sorted(p.relative_to(per_ct) for p in per_ct.glob("masks/*/*.nii.gz"))
    assert len(masks) == 6 and masks == sorted(p.relative_to(batched) for p in batched.glob("masks/*/*.nii.gz"))
    for path in masks:
        np.testing.assert_array_equal(_array(batched / path), _array(per_ct / path))
