"""`lungtrack evaluate` end to end on a tiny synthetic cohort: tables, page, labels, errors."""

import json
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from lungtrack.cli import main

SPACING = (1.5, 1.5, 3.0)
SHAPE = (20, 40, 40)  # z, y, x


class ScriptTags(HTMLParser):
    """Counts <script> elements and collects any src or href that would load something."""

    def __init__(self):
        super().__init__()
        self.scripts, self.sources = 0, []

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        self.sources += [v for k, v in attrs if k in ("src", "href") and tag in ("script", "link")]


def write(array, path, spacing=SPACING, origin=(0.0, 0.0, 0.0)):
    img = sitk.GetImageFromArray(array)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    sitk.WriteImage(img, str(path))


def truth(lesion_radius):
    """Reference (lungs, lesions): two lung boxes and a ball of GGO with a consolidation half (radius 0: none)."""
    lungs = np.zeros(SHAPE, np.uint8)
    lungs[2:18, 5:35, 3:19], lungs[2:18, 5:35, 21:37] = 1, 2
    lesions = np.zeros(SHAPE, np.uint8)
    z, y, x = np.ogrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    ball = ((z - 10) * 2) ** 2 + (y - 20) ** 2 + (x - 10) ** 2 < lesion_radius ** 2
    lesions[ball] = 1
    lesions[ball & (y > 20)] = 2
    return lungs, lesions


def write_cohort(root):
    """(root, metrics JSON paths) of two patients × two dates (the first without lesions) below ``root``;
    P2's references on a finer grid."""
    metrics = []
    for patient in ("P1", "P2"):
        for date, radius in (("20200101", 0), ("20200110", 5)):
            lungs, lesions = truth(radius)
            pred_lungs, pred_lesions = np.roll(lungs, 1, axis=2), np.roll(lesions, 1, axis=1)
            pred_lesions[10, 10, 10] = pred_lesions[10, 10, 10] or 1  # a false positive voxel
            case = root / "results" / patient
            case.mkdir(parents=True, exist_ok=True)
            paths = {"image": case / f"{date}.nii.gz", "lungs": case / f"{date}_lungs.nii.gz",
                     "lesions": case / f"{date}_lesions.nii.gz"}
            write(np.zeros(SHAPE, np.int16), paths["image"])
            write(pred_lungs, paths["lungs"])
            write(pred_lesions, paths["lesions"])
            ref = root / "reference" / patient / date
            ref.mkdir(parents=True)
            for name, array in (("lungs", lungs), ("lesions", lesions)):
                if patient == "P2":
                    fine = np.repeat(np.repeat(np.repeat(array, 2, 0), 2, 1), 2, 2)
                    write(fine, ref / f"{name}.nii.gz", (0.75, 0.75, 1.5), (-0.375, -0.375, -0.75))
                else:
                    write(array, ref / f"{name}.nii.gz")
            lung_ml = np.count_nonzero(pred_lungs) * np.prod(SPACING) / 1000
            lesion_ml = np.count_nonzero((pred_lesions > 0) & (pred_lungs > 0)) * np.prod(SPACING) / 1000
            record = {"patient_id": patient, "study_date": f"{date[:4]}-{date[4:6]}-{date[6:]}", "timepoint": date,
                      "lung_ml": lung_ml, "lesion_ml": lesion_ml, "poi": 100 * lesion_ml / lung_ml,
                      "paths": {k: str(v) for k, v in paths.items()}}
            path = case / f"{date}.json"
            path.write_text(json.dumps(record))
            metrics.append(str(path))
    return root, metrics


def scan_words(metrics) -> list[str]:
    """The metrics files of :func:`write_cohort` and their ``--images``, ``--lungs``, ``--lesions`` lists."""
    lists = {flag: [m.replace(".json", suffix) for m in metrics]
             for flag, suffix in (("--images", ".nii.gz"), ("--lungs", "_lungs.nii.gz"),
                                  ("--lesions", "_lesions.nii.gz"))}
    return [*metrics, *(word for flag, files in lists.items() for word in (flag, *files))]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return write_cohort(tmp_path_factory.mktemp("cohort"))


def run_evaluate(cohort, out, *extra):
    root, metrics = cohort
    return main(["evaluate", *scan_words(metrics), "--reference-dir", str(root / "reference"), "--out-dir", str(out),
                 "--bootstrap", "200", *extra])


def test_evaluate_writes_tables_and_page(cohort, tmp_path, caplog):
    assert run_evaluate(cohort, tmp_path / "eval") == 0
    assert "resampled (nearest neighbour)" in caplog.text  # P2's finer references
    cases = pd.read_csv(tmp_path / "eval" / "cases.csv", dtype={"timepoint": str})
    assert len(cases) == 4 * 4 and set(cases["label"]) == {"lung", "lesion", "ggo", "consolidation"}
    lung = cases[cases["label"] == "lung"]
    # pred lungs are the truth shifted one voxel along x: each 16-voxel-wide box keeps 15
    assert np.allclose(lung["dice"], 30 / 32) and np.allclose(lung["hd95_mm"], 1.5) and (lung["nsd_2mm"] == 1).all()
    # P2's references, resampled from the finer grid, give the same figures as P1's
    numeric = cases.select_dtypes("number").columns
    p1, p2 = (cases[cases["patient_id"] == p][numeric].reset_index(drop=True) for p in ("P1", "P2"))
    pd.testing.assert_frame_equal(p1, p2)
    healthy = cases[cases["timepoint"] == "20200101"].set_index(["patient_id", "label"])
    assert healthy.loc[("P1", "consolidation"), "dice"] == 1.0  # both empty
    assert np.isnan(healthy.loc[("P1", "consolidation"), "hd95_mm"])
    assert healthy.loc[("P1", "ggo"), "dice"] == 0.0  # the false positive voxel alone
    assert np.isnan(healthy.loc[("P1", "lesion"), "volume_error_pct"])

    summary = pd.read_csv(tmp_path / "eval" / "summary.csv")
    auc = summary[(summary["section"] == "detection") & (summary["metric"] == "auc")].iloc[0]
    assert auc["value"] == 1.0 and auc["n"] == 4  # labels from the reference: two healthy, two with lesions
    agree = summary[summary["section"] == "agreement"].set_index(["subject", "metric"])["value"]
    lesion = cases[cases["label"] == "lesion"]
    assert agree[("poi_pct", "bias")] == pytest.approx(lesion["poi_error_pp"].mean(), abs=1e-5)
    assert agree[("lesion_ml", "bias")] == pytest.approx(lesion["volume_error_ml"].mean(), abs=1e-5)

    scans = pd.read_csv(tmp_path / "eval" / "scans.csv")
    assert list(scans["label"]) == [0, 1, 0, 1]

    page = (tmp_path / "eval" / "evaluation.html").read_text()
    assert "Bland-Altman: POI" in page and "ROC" in page and "Per case" in page
    tags = ScriptTags()
    tags.feed(page)
    assert tags.scripts >= 2 and tags.sources == []  # inlined, nothing fetched
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert len(page) > 1_000_000  # plotly.js inlined


def test_label_table_drives_detection(cohort, tmp_path, caplog):
    labels = tmp_path / "labels.csv"
    labels.write_text("patient_id,study_date,label\nP1,2020-01-01,1\nP1,20200110,1\nP2,2020-01-01,0\n")
    assert run_evaluate(cohort, tmp_path / "eval", "--labels", str(labels), "--threshold", "0.5") == 0
    assert "1 of 4 scans without a label" in caplog.text
    summary = pd.read_csv(tmp_path / "eval" / "summary.csv").set_index(["section", "metric", "statistic"])
    assert summary.loc[("detection", "n_positive", "value"), "value"] == 2
    assert summary.loc[("detection", "threshold", "threshold"), "value"] == 0.5


def test_one_class_only_skips_detection(cohort, tmp_path, caplog):
    labels = tmp_path / "labels.csv"
    labels.write_text("patient_id,study_date,label\nP1,2020-01-01,1\nP1,2020-01-10,1\nP2,2020-01-01,1\nP2,2020-01-10,1\n")
    assert run_evaluate(cohort, tmp_path / "eval", "--labels", str(labels)) == 0
    assert "detection: not computed" in caplog.text
    summary = pd.read_csv(tmp_path / "eval" / "summary.csv")
    assert "detection" not in set(summary["section"]) and "segmentation" in set(summary["section"])


def test_bad_inputs_exit_2_with_one_line_and_no_outputs(cohort, tmp_path, capsys):
    root, metrics = cohort
    out = tmp_path / "eval"
    assert main(["evaluate", *scan_words([str(tmp_path / "missing.json")]), "--out-dir", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress bar
    assert err == f"lungtrack evaluate: error: {tmp_path / 'missing.json'}: file does not exist"
    labels = tmp_path / "labels.csv"
    labels.write_text("patient_id,study_date,label\nP1,2020-01-01,yes\n")
    assert run_evaluate(cohort, out, "--labels", str(labels)) == 2
    assert "label must be 1 (pneumonia present) or 0 (absent)" in capsys.readouterr().err
    # a prediction that is not on its image's grid
    moved = tmp_path / "moved.nii.gz"
    write(np.zeros(SHAPE, np.uint8), moved, origin=(5.0, 0.0, 0.0))
    words = [str(moved) if w == metrics[1].replace(".json", "_lungs.nii.gz") else w for w in scan_words(metrics)]
    assert main(["evaluate", *words, "--reference-dir", str(root / "reference"), "--out-dir", str(out)]) == 2
    assert f"{moved}: lung mask is not on the grid of its CT image" in capsys.readouterr().err
    # the lesion masks of two cases swapped: the first one given is not the one its metrics file measured
    lesions = [m.replace(".json", "_lesions.nii.gz") for m in metrics[:2]]
    words = [{lesions[0]: lesions[1], lesions[1]: lesions[0]}.get(w, w) for w in scan_words(metrics)]
    assert main(["evaluate", *words, "--reference-dir", str(root / "reference"), "--out-dir", str(out)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith("mL: not the lesion mask of that scan")
    assert not out.exists() or not any(out.iterdir())


def test_labels_without_references_give_detection_only(cohort, tmp_path):
    _, metrics = cohort
    labels = tmp_path / "labels.csv"
    labels.write_text("patient_id,study_date,label\nP1,2020-01-01,0\nP1,2020-01-10,1\nP2,2020-01-01,0\nP2,2020-01-10,1\n")
    out = tmp_path / "eval"
    assert main(["evaluate", *scan_words(metrics), "--labels", str(labels), "--out-dir", str(out),
                 "--bootstrap", "100"]) == 0
    assert pd.read_csv(out / "cases.csv").empty
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["section"]) == {"detection"}
    assert "No case has reference masks" in (out / "evaluation.html").read_text()


def test_snakemake_evaluate_target_resolves(repo_root, tmp_path):
    """`snakemake -n evaluate` plans the evaluation with the config's evaluation section."""
    res = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "evaluate", "--cores", "1", "--directory", str(repo_root),
         "--config", f"results_dir={tmp_path}", "evaluation={threshold: 2.5, score: lesion_ml}"],
        capture_output=True, text=True, cwd=repo_root,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "rule evaluate:" in res.stdout + res.stderr
    assert str(tmp_path / "evaluation" / "cases.csv") in res.stdout + res.stderr
