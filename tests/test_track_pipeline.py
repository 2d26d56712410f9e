"""Tracking one synthetic patient end to end: registration, lesion matches and events, zones, slices."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from lungtrack.cli import main
from lungtrack.errors import InputError
from lungtrack.io.images import write_image
from lungtrack.io.scan_files import ScanFiles
from lungtrack.measure.metrics import measure_case
from lungtrack.report.patient import patient_report
from lungtrack.report.slices import draw_slices
from lungtrack.track.pipeline import TrackingOptions, _fit_warnings, track_patient

SPACING_MM = 4.0  # lungs of about 1500 mL: a plausible adult volume for quality control
SHAPE = (40, 48, 64)  # z, y, x
LUNG_CENTRES = {1: (20, 24, 16), 2: (20, 24, 47)}  # right, left (z, y, x)
LUNG_AXES = (16, 16, 11)
SHIFT = (2, -1, 3)  # voxels (z, y, x) by which the follow-up's anatomy moves

# lesions (label 1 GGO, 2 consolidation) as balls or capsules: (label, start, end, radius) in voxels
BASELINE = {
    "A": (1, (27, 20, 16), (27, 20, 16), 3.0),      # right upper: grows
    "B": (2, (12, 26, 47), (12, 26, 47), 3.5),      # left lower: stays
    "C": (1, (12, 30, 16), (12, 30, 16), 2.5),      # right lower: resolves
    "D": (1, (28, 18, 44), (28, 18, 44), 2.5),      # left upper: merges with E
    "E": (1, (28, 18, 51), (28, 18, 51), 2.5),
    "G": (1, (20, 29, 11), (20, 29, 21), 2.5),      # right middle: splits
}
FOLLOW_UP = {
    "A": (1, (27, 20, 16), (27, 20, 16), 4.5),
    "B": (2, (12, 26, 47), (12, 26, 47), 3.5),
    "DE": (1, (28, 18, 44), (28, 18, 51), 3.0),
    "G1": (1, (20, 29, 10), (20, 29, 10), 2.5),
    "G2": (1, (20, 29, 22), (20, 29, 22), 2.5),
    "F": (2, (20, 31, 47), (20, 31, 47), 3.0),      # left middle: new
}


def _capsule(start, end, radius, shift):
    """Voxels within ``radius`` of the segment start-end (z, y, x), moved by ``shift``."""
    grid = np.stack(np.indices(SHAPE), axis=-1).astype(float)
    a, b = np.add(start, shift), np.add(end, shift)
    t = np.clip(((grid - a) @ (b - a)) / max(np.dot(b - a, b - a), 1e-9), 0, 1)
    return np.linalg.norm(grid - (a + t[..., None] * (b - a)), axis=-1) <= radius


def synthetic_scan(lesions: dict, shift=(0, 0, 0)):
    """(CT in HU, lungs, lesions) images of a chest with two ellipsoid lungs; arrays (z, y, x)."""
    grid = np.indices(SHAPE).astype(float)
    lungs = np.zeros(SHAPE, np.uint8)
    for label, centre in LUNG_CENTRES.items():
        r = sum(((grid[i] - centre[i] - shift[i]) / LUNG_AXES[i]) ** 2 for i in range(3))
        lungs[r <= 1] = label
    labels = np.zeros(SHAPE, np.uint8)
    for label, start, end, radius in lesions.values():
        labels[_capsule(start, end, radius, shift) & (lungs > 0)] = label
    ct = np.full(SHAPE, 40, np.int16)
    ct[lungs > 0] = -850
    ct[labels == 1] = -500
    ct[labels == 2] = 20
    images = []
    for array in (ct, lungs, labels):
        image = sitk.GetImageFromArray(array)
        image.SetSpacing((SPACING_MM,) * 3)
        image.SetOrigin((-80.0, -60.0, -50.0))
        images.append(image)
    return images


def write_patient(folder, scans, patient_id="P001"):
    """Write CT, masks and metrics JSON (via `measure_case`) per (date, lesions, shift); return metrics paths.

    Layout: ``folder/<patient_id>/<tp>.nii.gz`` (+ ``_lungs``, ``_lesions``, sidecar ``.json``) and
    ``folder/metrics/<tp>.json`` (:func:`scan_files_of` finds the images of a metrics file).
    """
    paths = []
    for date, lesions, shift in scans:
        tp = date.replace("-", "")
        files = [folder / patient_id / f"{tp}{suffix}.nii.gz" for suffix in ("", "_lungs", "_lesions")]
        for image, path in zip(synthetic_scan(lesions, shift), files, strict=True):
            write_image(image, path)
        sidecar = folder / patient_id / f"{tp}.json"
        sidecar.write_text(json.dumps({"patient_id": patient_id, "study_date": date, "timepoint": tp,
                                       "slice_thickness_mm": SPACING_MM, "kernel": "B70f", "warnings": [],
                                       "size": list(SHAPE[::-1])}))
        metrics = folder / "metrics" / f"{tp}.json"
        metrics.parent.mkdir(parents=True, exist_ok=True)
        metrics.write_text(json.dumps(measure_case(*files, sidecar)))
        paths.append(metrics)
    return paths


def scan_files_of(metrics, patient_id="P001") -> list[ScanFiles]:
    """The CT and mask files of each metrics file of :func:`write_patient`, in the same order."""
    return [ScanFiles(*(m.parent.parent / patient_id / f"{m.stem}{suffix}.nii.gz"
                        for suffix in ("", "_lungs", "_lesions"))) for m in metrics]


def scan_arguments(metrics, patient_id="P001") -> list[str]:
    """The metrics files and the ``--images``, ``--lungs``, ``--lesions`` lists of `lungtrack track` and `report`."""
    files = scan_files_of(metrics, patient_id)
    flags = {"--images": "image", "--lungs": "lungs", "--lesions": "lesions"}
    return [*map(str, metrics), *(word for flag, key in flags.items()
                                  for word in (flag, *(str(getattr(f, key)) for f in files)))]


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """A patient whose follow-up moved by SHIFT and whose lesions have one event of each kind."""
    folder = tmp_path_factory.mktemp("patient")
    metrics = write_patient(folder, [("2020-04-01", BASELINE, (0, 0, 0)), ("2020-04-09", FOLLOW_UP, SHIFT)])
    result = track_patient(metrics, scan_files_of(metrics), "P001", folder / "tracking",
                           TrackingOptions(registration="affine"))
    return folder, metrics, result


def test_registration_recovers_the_shift(tracked):
    folder, _, result = tracked
    (reg,) = result["registration"]
    assert reg["dice_lungs_before"] < 0.85
    assert reg["dice_lungs_after"] > 0.97
    transform = sitk.ReadTransform(str(folder / "tracking" / "transforms" / "20200409_to_baseline.h5"))
    moved = np.subtract(transform.TransformPoint((0.0, 0.0, 0.0)), (0.0, 0.0, 0.0))
    np.testing.assert_allclose(moved, np.multiply(SHIFT[::-1], SPACING_MM), atol=1.0)  # (x, y, z) mm


def test_lesion_events_are_found(tracked):
    _, _, result = tracked
    rows = pd.DataFrame(result["lesions"])
    baseline = rows[rows["study_date"] == "2020-04-01"]
    follow = rows[rows["study_date"] == "2020-04-09"]
    assert len(baseline) == 6 and set(baseline["event"]) == {"baseline"}
    assert sorted(follow["event"]) == sorted(["grown", "stable", "resolved", "merged", "split", "split", "new"])
    by_event = follow.groupby("event")
    grown, = by_event.get_group("grown").itertuples()
    assert grown.lung == "right" and grown.zone.startswith("upper")
    stable, = by_event.get_group("stable").itertuples()
    assert stable.lung == "left" and stable.zone.startswith("lower") and stable.mean_hu == pytest.approx(20)
    resolved, = by_event.get_group("resolved").itertuples()
    assert resolved.volume_ml == 0 and resolved.zone.startswith("lower") and resolved.lung == "right"
    merged, = by_event.get_group("merged").itertuples()
    assert merged.lung == "left" and merged.related  # the id of the absorbed lesion
    new, = by_event.get_group("new").itertuples()
    assert new.lesion_id not in set(baseline["lesion_id"]) and new.mean_hu == pytest.approx(20)
    split = by_event.get_group("split")
    assert split["lesion_id"].nunique() == 2 and split["lesion_id"].isin(baseline["lesion_id"]).sum() == 1
    # lesion ids persist: the stable and grown lesions keep theirs
    assert stable.lesion_id in set(baseline["lesion_id"]) and grown.lesion_id in set(baseline["lesion_id"])


def test_identical_scans_are_stable(tmp_path):
    metrics = write_patient(tmp_path, [("2020-04-01", BASELINE, (0, 0, 0)), ("2020-04-02", BASELINE, (1, 0, -1))])
    result = track_patient(metrics, scan_files_of(metrics), "P001", tmp_path / "tracking",
                           TrackingOptions(registration="rigid"))
    follow = [r for r in result["lesions"] if r["study_date"] == "2020-04-02"]
    assert len(follow) == 6 and {r["event"] for r in follow} == {"stable"}


def test_outputs_on_disk(tracked):
    folder, metrics, result = tracked
    out = folder / "tracking"
    assert json.loads((out / "tracking.json").read_text())["baseline"] == "20200401"
    regions = pd.read_csv(out / "regions.csv")
    assert list(regions.columns) == ["patient_id", "study_date", "timepoint", "region", "metric", "value"]
    assert set(regions["region"]) >= {"right_upper", "left_dorsal", "all"}
    assert len(result["slices"]) == 6  # 3 levels x 2 scans
    assert {s["transform"] for s in result["slices"]} == {None, "transforms/20200409_to_baseline.h5"}
    for item in result["slices"]:
        assert 0 <= item["z_index"] < SHAPE[0]
        assert item["transform"] is None or (out / item["transform"]).is_file()
    assert not (out / "slices").exists()  # the report draws the slices
    assert len(pd.read_csv(out / "lesions.csv")) == len(result["lesions"])


def test_report_draws_the_slices_at_the_tracked_positions(tracked):
    _, metrics, result = tracked
    scans = {json.loads(p.read_text())["timepoint"]: (json.loads(p.read_text()), p, files)
             for p, files in zip(metrics, scan_files_of(metrics), strict=True)}
    pngs = draw_slices(result["slices"], tracked[0] / "tracking", scans)
    assert sorted(pngs) == sorted((s["level"], s["study_date"]) for s in result["slices"])
    assert all(png[:4] == b"\x89PNG" for png in pngs.values())
    with pytest.raises(InputError, match=r"without their metrics file, CT and masks given: \['20200409'\]"):
        draw_slices(result["slices"], tracked[0] / "tracking", {"20200401": scans["20200401"]})


def test_lobe_scores_when_lobe_labels_exist(tmp_path):
    metrics = write_patient(tmp_path, [("2020-04-01", BASELINE, (0, 0, 0)), ("2020-04-09", FOLLOW_UP, SHIFT)])
    _, lungs, _ = synthetic_scan(BASELINE)
    lungs = sitk.GetArrayFromImage(lungs)
    z = np.indices(SHAPE)[0]
    lobes = np.select([(lungs == 1) & (z >= 26), (lungs == 1) & (z >= 16), lungs == 1, (lungs == 2) & (z >= 20),
                       lungs == 2], [1, 2, 3, 4, 5], 0).astype(np.uint8)
    image = sitk.GetImageFromArray(lobes)
    image.CopyInformation(synthetic_scan(BASELINE)[0])
    write_image(image, tmp_path / "lobes" / "P001" / "20200401_lobes.nii.gz")  # baseline only
    result = track_patient(metrics, scan_files_of(metrics), "P001", tmp_path / "tracking", lobes_dir=tmp_path / "lobes")
    regions = pd.DataFrame(result["regions"])
    total = regions[regions["metric"] == "lobe_severity_total"]
    assert total["study_date"].tolist() == ["2020-04-01"] and 1 <= total["value"].item() <= 25
    assert set(regions["region"]) >= {"right_upper_lobe", "left_lower_lobe"}
    assert any("no lobe labels" in w and "2020-04-09" in w for w in result["warnings"])
    html = patient_report(metrics, "P001", tmp_path / "tracking" / "tracking.json", scan_files_of(metrics))
    assert "right upper lobe" in html and "5 lobes (0–25)" in html


def test_cli_track(tmp_path):
    metrics = write_patient(tmp_path, [("2020-04-01", BASELINE, (0, 0, 0))])
    assert main(["track", "--patient-id", "P001", "--out-dir", str(tmp_path / "t"), *scan_arguments(metrics)]) == 0
    assert (tmp_path / "t" / "tracking.json").is_file()


def _track_error(capsys, tmp_path, words) -> str:
    """The one-line error of `lungtrack track` run with ``words``; no tracking.json is written."""
    capsys.readouterr()
    assert main(["track", "--patient-id", "P001", "--out-dir", str(tmp_path / "u"), *words]) == 2
    assert not (tmp_path / "u" / "tracking.json").exists()
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("lungtrack track: error: ")
    return line


def test_cli_track_names_a_missing_or_mismatched_file(tmp_path, capsys):
    metrics = write_patient(tmp_path, [("2020-04-01", BASELINE, (0, 0, 0)), ("2020-04-09", FOLLOW_UP, SHIFT)])
    words = scan_arguments(metrics)
    lungs = [str(f.lungs) for f in scan_files_of(metrics)]
    lesions = [str(f.lesions) for f in scan_files_of(metrics)]
    # one lung mask for two metrics files: the error names the metrics file without one
    short = words[:words.index("--lungs") + 2] + words[words.index("--lesions"):]
    assert _track_error(capsys, tmp_path, short).endswith(
        f"{metrics[1]}: 1 lung masks given for 2 metrics files; give one per metrics file, in the same order")
    # a lung mask that does not exist
    missing = [w if w != lungs[1] else str(tmp_path / "gone_lungs.nii.gz") for w in words]
    assert _track_error(capsys, tmp_path, missing).endswith(f"{tmp_path / 'gone_lungs.nii.gz'}: file does not exist")
    # the lesion masks in the wrong order: the first one given is not that of the baseline's metrics
    swapped = [{lesions[0]: lesions[1], lesions[1]: lesions[0]}.get(w, w) for w in words]
    line = _track_error(capsys, tmp_path, swapped)
    assert f"{lesions[1]}: holds " in line and f"mL of lesion, but metrics file {metrics[0]} measured" in line
    assert line.endswith("not the lesion mask of that scan")
    # a CT of another size than the one measured
    other = tmp_path / "other.nii.gz"
    write_image(sitk.Image(32, 32, 8, sitk.sitkInt16), other)
    first_ct = str(scan_files_of(metrics)[0].image)
    line = _track_error(capsys, tmp_path, [str(other) if w == first_ct else w for w in words])
    assert line.endswith(f"{other}: 32x32x8 voxels, but metrics file {metrics[0]} measured a scan of 64x48x40: "
                         "not a file of that scan")


def test_a_moved_results_folder_still_tracks_and_reports(tmp_path, capsys):
    """The paths inside the metrics files point nowhere after a move; the files given are used."""
    scans = [("2020-04-01", BASELINE, (0, 0, 0)), ("2020-04-09", FOLLOW_UP, SHIFT)]
    metrics = write_patient(tmp_path / "before", scans)
    (tmp_path / "before").rename(tmp_path / "after")
    moved = [tmp_path / "after" / "metrics" / m.name for m in metrics]
    assert not any(Path(json.loads(m.read_text())["paths"]["image"]).exists() for m in moved)
    tracking = tmp_path / "after" / "tracking"
    assert main(["track", "--patient-id", "P001", "--out-dir", str(tracking), *scan_arguments(moved)]) == 0
    assert len(json.loads((tracking / "tracking.json").read_text())["slices"]) == 6
    html = tmp_path / "P001.html"
    assert main(["report", "--patient-id", "P001", *scan_arguments(moved), "--tracking",
                 str(tracking / "tracking.json"), "--out", str(html)]) == 0
    assert html.read_text().count('<figure><img src="data:image/png;base64,') == 6  # 3 levels x 2 scans
    # the report of tracking results without the scans' files says what it needs
    capsys.readouterr()
    assert main(["report", "--patient-id", "P001", *map(str, moved), "--tracking", str(tracking / "tracking.json"),
                 "--out", str(tmp_path / "x.html")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"lungtrack report: error: {tracking / 'tracking.json'}: slices of timepoints without their metrics file, "
        "CT and masks given: ['20200401', '20200409']")


def test_intensity_registration_keeps_the_lesion_events_and_records_its_fit(tracked, tmp_path):
    _, metrics, affine_result = tracked
    result = track_patient(metrics, scan_files_of(metrics), "P001", tmp_path / "tracking",
                           TrackingOptions(registration="intensity"))
    (reg,) = result["registration"]
    assert reg["method"] == "intensity" and reg["used"] in ("intensity", "affine")
    assert reg["dice_lungs_after"] > 0.97 and 0 < reg["jacobian_min"] <= reg["jacobian_max"]
    assert json.loads((tmp_path / "tracking" / "tracking.json").read_text())["registration"] == [reg]
    assert _events(result) == _events(affine_result)


def _events(result: dict) -> list:
    return sorted((row["study_date"], row["event"]) for row in result["lesions"])


def test_a_refused_or_folding_fit_is_warned_about():
    good = {"refused": "", "jacobian_min": 0.8}
    assert _fit_warnings("2020-04-09", 0.98, good) == []
    refused = _fit_warnings("2020-04-09", 0.98, {**good, "refused": "the deformation folds"})
    assert len(refused) == 1 and "refused (the deformation folds)" in refused[0] and "affine" in refused[0]
    folded = _fit_warnings("2020-04-09", 0.80, {**good, "jacobian_min": -0.1})
    assert len(folded) == 2 and "folds" in folded[0] and "lung Dice 0.80" in folded[1]
