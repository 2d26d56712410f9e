"""Evaluation of the threshold backend on phantom cases reproduces the accuracy benchmark's figures."""

import json

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from lungtrack.evaluate.cohort import evaluate_cohort
from lungtrack.io.scan_files import ScanFiles
from lungtrack.io.images import write_image
from lungtrack.measure.metrics import measure_case
from lungtrack.phantom import make_case
from lungtrack.segment import segment_lesions, segment_lungs

SMALL = {"matrix": 96, "pixel_mm": 3.6, "slice_mm": 7.5}  # QC refuses pixels over 4 mm


def dice(a, b):
    return 2 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))


@pytest.fixture(scope="module")
def phantom_run(tmp_path_factory):
    """Two timepoints of one phantom patient: segmented, measured and evaluated against the truth."""
    root = tmp_path_factory.mktemp("phantom")
    metrics, files, cases = [], [], []
    for timepoint in (0, 1):
        case = make_case(11, timepoint=timepoint, n_timepoints=2, **SMALL)
        date = f"2020010{timepoint + 1}"
        image = case.image(case.ct)
        lungs = segment_lungs(image, backend="threshold")
        lesions = segment_lesions(image, lungs, backend="threshold")
        folder = root / "results" / "PH1"
        paths = {name: folder / f"{date}{suffix}.nii.gz" for name, suffix in
                 (("image", ""), ("lungs", "_lungs"), ("lesions", "_lesions"))}
        for name, img in (("image", image), ("lungs", lungs), ("lesions", lesions)):
            write_image(img, paths[name])
        ref = root / "truth" / "PH1" / date
        write_image(case.image(case.lungs), ref / "lungs.nii.gz")
        write_image(case.image(case.lesions), ref / "lesions.nii.gz")
        sidecar = folder / f"{date}.json"
        sidecar.write_text(json.dumps({"patient_id": "PH1", "study_date": f"2020-01-0{timepoint + 1}",
                                       "timepoint": date}))
        record = measure_case(paths["image"], paths["lungs"], paths["lesions"], sidecar,
                              ref / "lungs.nii.gz", ref / "lesions.nii.gz")
        out = root / "metrics" / f"{date}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(record))
        metrics.append(str(out))
        files.append(ScanFiles(paths["image"], paths["lungs"], paths["lesions"]))
        cases.append((date, case, sitk.GetArrayFromImage(lungs), sitk.GetArrayFromImage(lesions), record))
    evaluate_cohort(metrics, files, root / "evaluation", reference_dir=root / "truth", n_boot=100)
    table = pd.read_csv(root / "evaluation" / "cases.csv", dtype={"timepoint": str})
    return table.set_index(["timepoint", "label"]), cases


def test_figures_match_the_accuracy_benchmark_formulas(phantom_run):
    """Dice per label, lung volume error (%) and POI error (pp) as bench/accuracy.py computes them."""
    table, cases = phantom_run
    for date, case, lungs, lesions, _ in cases:
        lung, lung_true = lungs > 0, case.lungs > 0
        poi = 100.0 * np.count_nonzero(lesions > 0) / np.count_nonzero(lung)
        poi_true = 100.0 * np.count_nonzero((case.lesions > 0) & lung_true) / np.count_nonzero(lung_true)
        expected = {
            ("lung", "dice"): dice(lung, lung_true),
            ("lung", "volume_error_pct"): 100.0 * (lung.sum() - lung_true.sum()) / lung_true.sum(),
            ("lesion", "dice"): dice(lesions > 0, case.lesions > 0),
            ("ggo", "dice"): dice(lesions == 1, case.lesions == 1),
            ("lesion", "poi_error_pp"): poi - poi_true,
        }
        for (label, column), value in expected.items():
            assert table.loc[(date, label), column] == pytest.approx(value, rel=1e-5, abs=1e-6), (date, label, column)


def test_figures_match_the_measure_step(phantom_run):
    """The per-case metrics JSON of `lungtrack measure` and the evaluation agree."""
    table, cases = phantom_run
    for date, _, _, _, record in cases:
        assert table.loc[(date, "lung"), "dice"] == pytest.approx(record["dice_lung"], rel=1e-5)
        assert table.loc[(date, "lesion"), "dice"] == pytest.approx(record["dice_lesion"], rel=1e-5)
        assert table.loc[(date, "lesion"), "poi_error_pp"] == pytest.approx(record["poi_error"], rel=1e-5, abs=1e-6)
        assert table.loc[(date, "lesion"), "volume_error_ml"] == pytest.approx(record["lesion_ml_error"], rel=1e-5)
        assert 0.5 < table.loc[(date, "lung"), "dice"] <= 1.0
