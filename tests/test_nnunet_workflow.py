"""End to end on CPU: `snakemake train` trains a tiny model on phantom patients, then `snakemake` with
the nnunet backend segments held-out phantom patients through the whole workflow."""

import subprocess

import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def test_nnunet_backend_segments_held_out_phantom_patients(snakemake_cmd, tmp_path):
    demo, results, model = tmp_path / "demo", tmp_path / "results", tmp_path / "models" / "nnunet"
    config = {
        "dicom_dir": str(demo / "dicom"),
        "results_dir": str(results),
        # held-out patients: the demo cohort's seeds differ from the training cohort's (training.phantom)
        "demo": {"dir": str(demo), "patients": 2, "timepoints": 1, "seed": 21},
        "segmentation": {"backend": "nnunet"},
        "nnunet": {"model": str(model), "workers": 2},
    }
    # training runs only when asked for: without a model the workflow stops at once, naming the key
    res = subprocess.run(snakemake_cmd(tmp_path / "run", config, "--cores", "2"), capture_output=True, text=True)
    assert res.returncode != 0 and f"nnunet.model: model folder {model} does not exist" in res.stdout + res.stderr
    assert not model.exists()
    train = subprocess.run(snakemake_cmd(tmp_path / "run", config, "train", "--cores", "2"), capture_output=True,
                           text=True)
    assert train.returncode == 0, train.stderr[-4000:]
    # installed where the backend finds it
    assert list(model.glob("Dataset501_Lungtrack/nnUNetTrainerLungtrack__lungtrackPlans__*/fold_all/checkpoint_final.pth"))
    assert (results / "logs" / "train.log").is_file()
    res = subprocess.run(snakemake_cmd(tmp_path / "run", config, "--cores", "2"), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]
    assert "rule train:" not in res.stdout + res.stderr
    table = pd.read_csv(results / "cohort.csv")
    assert len(table) == 2
    assert (table["dice_lung"] >= 0.90).all(), table[["patient_id", "dice_lung", "dice_lesion"]]
    assert (table["lung_right_ml"] > 0).all() and (table["lung_left_ml"] > 0).all()
    logs = list((results / "logs" / "segment_nnunet").rglob("*.log"))
    assert len(logs) == 2 and all("segmented" in p.read_text() for p in logs)
