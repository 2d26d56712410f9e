"""DICOM export: SEG and SR of a small phantom case read back with highdicom/pydicom, dciodvfy, privacy."""

import json
import shutil
import subprocess

import highdicom as hd
import numpy as np
import pandas as pd
import pydicom
import pytest
import SimpleITK as sitk
import yaml

from lungtrack.cli import main
from lungtrack.errors import InputError
from lungtrack.export.case import export_case
from lungtrack.ingest.inventory import series_files
from lungtrack.labels import LOBES
from lungtrack.measure.regions import lobe_measures, zone_measures
from lungtrack.segment.orientation import to_canonical

MEDIUM = ["--matrix", "96", "--pixel-mm", "3.6", "--slice-mm", "5"]
METRIC_KEYS = {  # metrics JSON key -> (SR group, measurement name)
    "lung_right_ml": ("Right lung", "Volume"), "lesion_right_ml": ("Right lung", "Lesion volume"),
    "poi_right": ("Right lung", "Percentage of infection"),
    "lung_left_ml": ("Left lung", "Volume"), "lesion_left_ml": ("Left lung", "Lesion volume"),
    "poi_left": ("Left lung", "Percentage of infection"),
    "ggo_ml": ("Ground-glass opacity", "Volume"), "consolidation_ml": ("Consolidation", "Volume"),
    "lung_ml": ("Both lungs", "Volume"), "lesion_ml": ("Both lungs", "Lesion volume"),
    "poi": ("Both lungs", "Percentage of infection"),
}


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """1 phantom patient x 2 scans through inventory, convert, segment, measure, cohort and export-dicom."""
    tmp = tmp_path_factory.mktemp("export")
    dicom, r = tmp / "demo" / "dicom", tmp / "r"
    assert main(["phantom", str(tmp / "demo"), "--patients", "1", "--timepoints", "2", *MEDIUM]) == 0
    assert main(["inventory", str(dicom), str(r / "inventory.tsv"), "--files", str(r / "files.tsv"),
                 "--cases", str(r / "cases.tsv")]) == 0
    cases = pd.read_csv(r / "cases.tsv", sep="\t", dtype=str)
    metrics = []
    for row in cases.itertuples():
        stem = f"{row.patient_id}/{row.timepoint}"
        image, lungs, lesions = (str(r / f"{stem}{suffix}.nii.gz") for suffix in ("", "_lungs", "_lesions"))
        assert main(["convert", "--files", str(r / "files.tsv"), "--root", str(dicom), "--series", row.series_uid,
                     image, "--sidecar", str(r / f"{stem}.json"), "--cases", str(r / "cases.tsv")]) == 0
        assert main(["segment-lungs", image, lungs]) == 0
        assert main(["segment-lesions", image, lungs, lesions]) == 0
        metrics.append(str(r / f"{stem}_metrics.json"))
        assert main(["measure", image, lungs, lesions, "--sidecar", str(r / f"{stem}.json"), "--out", metrics[-1]]) == 0
    assert main(["cohort", *metrics, "--out", str(r / "cohort.csv")]) == 0
    out = {}
    for index, path in enumerate(metrics):
        previous = ["--previous", metrics[index - 1]] if index else []
        seg, sr = str(r / f"seg{index}.dcm"), str(r / f"sr{index}.dcm")
        assert main(["export-dicom", *_mask_words(path), "--files", str(r / "files.tsv"), "--root", str(dicom),
                     "--seg", seg, "--sr", sr, *previous]) == 0
        out[index] = (seg, sr)
    return {"dicom": dicom, "r": r, "cases": cases, "metrics": metrics, "out": out}


def _sources(case, index):
    """Source CT headers of scan ``index``, sorted along the slice normal (the NIfTI's z order)."""
    uid = case["cases"]["series_uid"][index]
    headers = [pydicom.dcmread(p, stop_before_pixels=True) for p in series_files(case["r"] / "files.tsv",
                                                                                   case["dicom"], uid)]
    normal = np.cross(*np.reshape(np.asarray(headers[0].ImageOrientationPatient, float), (2, 3)))
    return sorted(headers, key=lambda h: np.asarray(h.ImagePositionPatient, float) @ normal)


def _mask_files(metrics_path) -> dict[str, str]:
    """The lung and lesion mask files of a metrics file of the ``case`` fixture."""
    return {key: metrics_path.replace("_metrics.json", f"_{key}.nii.gz") for key in ("lungs", "lesions")}


def _mask_words(metrics_path) -> list[str]:
    """The metrics file and its --lungs and --lesions of `lungtrack export-dicom`."""
    files = _mask_files(metrics_path)
    return [metrics_path, "--lungs", files["lungs"], "--lesions", files["lesions"]]


def _masks(metrics_path):
    return {key: sitk.GetArrayFromImage(sitk.ReadImage(path)) for key, path in _mask_files(metrics_path).items()}


def _segments(seg_path, sources) -> np.ndarray:
    """(frames, rows, columns, segments) of a SEG, frames in the order of ``sources``."""
    seg = hd.seg.segread(seg_path)
    numbers = [s.SegmentNumber for s in seg.SegmentSequence]
    return seg.get_pixels_by_source_instance([h.SOPInstanceUID for h in sources], segment_numbers=numbers,
                                             combine_segments=False, ignore_spatial_locations=True)


@pytest.mark.parametrize("seg_type", ["binary", "fractional"])
def test_seg_gives_the_masks_back_voxel_for_voxel(case, tmp_path, seg_type):
    index = 1
    seg_path = case["out"][index][0]
    if seg_type == "fractional":
        seg_path = str(tmp_path / "fractional.dcm")
        assert main(["export-dicom", *_mask_words(case["metrics"][index]), "--files", str(case["r"] / "files.tsv"),
                     "--root", str(case["dicom"]), "--seg", seg_path, "--sr", str(tmp_path / "sr.dcm"),
                     "--seg-type", "fractional"]) == 0
    sources = _sources(case, index)
    masks = _masks(case["metrics"][index])
    pixels = _segments(seg_path, sources)
    assert pixels.shape == (*masks["lungs"].shape, 4)
    for number, (key, label) in enumerate([("lungs", 1), ("lungs", 2), ("lesions", 1), ("lesions", 2)]):
        expected = masks[key] == label
        assert expected.any()
        got = pixels[..., number] > (0.5 if seg_type == "fractional" else 0)
        np.testing.assert_array_equal(got, expected, err_msg=f"segment {number + 1}")
    seg = pydicom.dcmread(seg_path)
    assert seg.SegmentationType == seg_type.upper()
    assert seg.StudyInstanceUID == sources[0].StudyInstanceUID
    assert seg.SeriesInstanceUID != sources[0].SeriesInstanceUID
    assert seg.FrameOfReferenceUID == sources[0].FrameOfReferenceUID
    right = seg.SegmentSequence[0]
    assert right.SegmentLabel == "Right lung"
    kind = right.SegmentedPropertyTypeCodeSequence[0]
    assert (kind.CodeValue, kind.CodingSchemeDesignator) == ("39607008", "SCT")
    assert kind.SegmentedPropertyTypeModifierCodeSequence[0].CodeValue == "24028007"
    types = [(s.SegmentedPropertyTypeCodeSequence[0].CodingSchemeDesignator,
              s.SegmentedPropertyTypeCodeSequence[0].CodeValue) for s in seg.SegmentSequence[2:]]
    assert types == [("DCM", "112120"), ("SCT", "9656002")]
    algorithm = right.SegmentationAlgorithmIdentificationSequence[0]
    assert algorithm.AlgorithmName == "lungtrack"
    assert "threshold" in algorithm.AlgorithmParameters


def _sr_values(sr_path):
    """{(group, measurement name): value}, {group: referenced segment number}, qualitative evaluations."""
    sr = hd.sr.srread(sr_path)
    values, segments, evaluations = {}, {}, {}
    groups = [*sr.content.get_volumetric_roi_measurement_groups(), *sr.content.get_image_measurement_groups()]
    for group in groups:
        name = str(group.tracking_identifier)
        for item in group.get_measurements():
            values[(name, item.name.meaning)] = values.get((name, item.name.meaning), []) + [item.value]
        for item in group.get_qualitative_evaluations():
            evaluations[(name, item.name.meaning)] = item.value.meaning
        reference = getattr(group, "referenced_segment", None)
        if reference is not None:
            segments[name] = reference.referenced_segment_numbers[0]
    return values, segments, evaluations


def test_sr_gives_every_metric_back(case):
    cohort = pd.read_csv(case["r"] / "cohort.csv", dtype={"timepoint": str}, keep_default_na=False)
    for index, metrics_path in enumerate(case["metrics"]):
        metrics = json.loads(open(metrics_path).read())
        values, segments, evaluations = _sr_values(case["out"][index][1])
        for key, where in METRIC_KEYS.items():
            assert values[where] == [pytest.approx(metrics[key], rel=1e-12)], key
        assert segments == {"Right lung": 1, "Left lung": 2, "Ground-glass opacity": 3, "Consolidation": 4}
        masks = {k: sitk.ReadImage(path) for k, path in _mask_files(metrics_path).items()}
        canonical = [sitk.GetArrayFromImage(to_canonical(masks[k])) for k in ("lungs", "lesions")]
        voxel_ml = np.prod(masks["lungs"].GetSpacing()) / 1000.0
        severity = next(r["value"] for r in zone_measures(*canonical, voxel_ml) if r["metric"] == "severity_total")
        assert values[("Both lungs", "CT severity score")] == [severity]
        call = cohort.loc[cohort["timepoint"] == metrics["timepoint"], "change_vs_previous"].item()
        assert evaluations.get(("Both lungs", "Change vs previous scan"), "").lower() == call
    sr = pydicom.dcmread(case["out"][1][1])
    seg = pydicom.dcmread(case["out"][1][0])
    referenced = {item.ReferencedSOPInstanceUID for study in sr.CurrentRequestedProcedureEvidenceSequence
                  for series in study.ReferencedSeriesSequence for item in series.ReferencedSOPSequence}
    assert seg.SOPInstanceUID in referenced
    assert {h.SOPInstanceUID for h in _sources(case, 1)} <= referenced


def test_lobes_become_segments_and_measurements(case, tmp_path):
    index = 0
    metrics_path = case["metrics"][index]
    lungs = sitk.ReadImage(_mask_files(metrics_path)["lungs"])
    array = sitk.GetArrayFromImage(lungs)
    z = np.arange(array.shape[0])[:, None, None]
    lobe_array = np.select([(array == 1) & (z < 20), array == 1, (array == 2) & (z < 25), array == 2],
                           [3, 1, 5, 4], 0).astype(np.uint8)
    lobe_array[(array == 1) & (z >= 20) & (z < 28)] = 2
    lobe_image = sitk.GetImageFromArray(lobe_array)
    lobe_image.CopyInformation(lungs)
    lobes_path = tmp_path / "lobes.nii.gz"
    sitk.WriteImage(lobe_image, str(lobes_path))
    seg_path, sr_path = tmp_path / "seg.dcm", tmp_path / "sr.dcm"
    sources = series_files(case["r"] / "files.tsv", case["dicom"], case["cases"]["series_uid"][index])
    assert export_case(metrics_path, *_mask_files(metrics_path).values(), sources, seg_path, sr_path,
                       lobes_path=lobes_path)
    pixels = _segments(str(seg_path), _sources(case, index))
    assert pixels.shape[-1] == 9
    for label in LOBES:
        np.testing.assert_array_equal(pixels[..., 3 + label] > 0, lobe_array == label)
    values, segments, _ = _sr_values(str(sr_path))
    lesions = sitk.ReadImage(_mask_files(metrics_path)["lesions"])
    canonical = [sitk.GetArrayFromImage(to_canonical(i)) for i in (lobe_image, lesions)]
    rows = lobe_measures(*canonical, np.prod(lungs.GetSpacing()) / 1000.0)
    expected = {(r["region"], r["metric"]): r["value"] for r in rows}
    labels = {"right_upper_lobe": "Right upper lobe", "right_middle_lobe": "Right middle lobe",
              "right_lower_lobe": "Right lower lobe", "left_upper_lobe": "Left upper lobe",
              "left_lower_lobe": "Left lower lobe"}
    for number, (region, label) in enumerate(labels.items(), start=5):
        assert segments[label] == number
        assert values[(label, "Volume")] == [pytest.approx(expected[(region, "lung_ml")], rel=1e-12)]
        assert values[(label, "Percentage of infection")] == [pytest.approx(expected[(region, "poi")], rel=1e-12)]
        assert values[(label, "CT severity score")] == [expected[(region, "severity")]]
    # both scores of the whole scan: six zones (0-30), then five lobes (0-25)
    assert values[("Both lungs", "CT severity score")][1] == expected[("all", "lobe_severity_total")]


def test_patient_attributes_only_when_asked(case, tmp_path):
    source = _sources(case, 1)[0]
    secrets = [str(source.PatientName), source.PatientBirthDate, source.AccessionNumber, source.InstitutionName]
    assert all(len(s) >= 4 for s in secrets)
    metrics = json.loads(open(case["metrics"][1]).read())
    for path in case["out"][1]:
        ds = pydicom.dcmread(path)
        assert ds.PatientID == metrics["patient_id"]
        assert ds.PatientName == "" and ds.PatientBirthDate == ""
        data = open(path, "rb").read()
        for secret in secrets:
            assert secret.encode() not in data, f"{path} carries {secret!r}"
    seg, sr = tmp_path / "seg.dcm", tmp_path / "sr.dcm"
    assert main(["export-dicom", *_mask_words(case["metrics"][1]), "--files", str(case["r"] / "files.tsv"), "--root",
                 str(case["dicom"]), "--seg", str(seg), "--sr", str(sr), "--keep-patient-attributes"]) == 0
    for path in (seg, sr):
        ds = pydicom.dcmread(path)
        assert (str(ds.PatientName), ds.PatientBirthDate, ds.PatientID) == (
            str(source.PatientName), source.PatientBirthDate, source.PatientID)


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dciodvfy (Debian package dicom3tools) not installed")
def test_seg_and_sr_pass_dciodvfy(case, tmp_path):
    fractional = tmp_path / "fractional.dcm"
    assert main(["export-dicom", *_mask_words(case["metrics"][1]), "--files", str(case["r"] / "files.tsv"), "--root",
                 str(case["dicom"]), "--seg", str(fractional), "--sr", str(tmp_path / "sr.dcm"),
                 "--seg-type", "fractional"]) == 0
    for path in [*case["out"][1], fractional]:
        res = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
        report = res.stdout + res.stderr
        assert ("Segmentation" in report) or ("Comprehensive3DSR" in report), report
        errors = [line for line in report.splitlines() if line.startswith("Error")]
        assert not errors, f"{path}: {errors}"


def test_nifti_input_is_skipped_with_a_log_line(case, tmp_path, caplog):
    metrics = json.loads(open(case["metrics"][0]).read())
    metrics["acquisition"].pop("series_uid")
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(metrics))
    with caplog.at_level("INFO", logger="lungtrack.export"):
        assert export_case(path, *_mask_files(case["metrics"][0]).values(), [], tmp_path / "seg.dcm",
                           tmp_path / "sr.dcm") is False
    assert "not DICOM" in caplog.text
    assert not (tmp_path / "seg.dcm").exists()


def test_source_of_another_series_is_refused(case, tmp_path):
    other = series_files(case["r"] / "files.tsv", case["dicom"], case["cases"]["series_uid"][1])
    with pytest.raises(InputError, match="not \\(only\\) of series"):
        export_case(case["metrics"][0], *_mask_files(case["metrics"][0]).values(), other, tmp_path / "seg.dcm",
                    tmp_path / "sr.dcm")
    assert not (tmp_path / "seg.dcm").exists()


def test_masks_of_another_scan_are_refused(case, tmp_path):
    """The masks of the follow-up given with the baseline's metrics (the phantom's scans differ in slice count)."""
    sources = series_files(case["r"] / "files.tsv", case["dicom"], case["cases"]["series_uid"][0])
    (lungs, lesions), (other_lungs, other_lesions) = (_mask_files(m).values() for m in case["metrics"])
    sizes = ["x".join(map(str, sitk.ReadImage(path).GetSize())) for path in (lungs, other_lungs)]
    assert sizes[0] != sizes[1]
    with pytest.raises(InputError, match=f"{other_lesions}: lesion mask is not on the grid of the lung mask"):
        export_case(case["metrics"][0], lungs, other_lesions, sources, tmp_path / "seg.dcm", tmp_path / "sr.dcm")
    with pytest.raises(InputError, match=f"{other_lungs}: {sizes[1]} voxels, but metrics file {case['metrics'][0]} "
                                         f"measured a scan of {sizes[0]}: not a file of that scan"):
        export_case(case["metrics"][0], other_lungs, other_lesions, sources, tmp_path / "seg.dcm", tmp_path / "sr.dcm")
    assert not (tmp_path / "seg.dcm").exists()


@pytest.mark.slow
def test_workflow_writes_seg_and_sr_per_scan(repo_root, snakemake_cmd, tmp_path):
    demo, results = tmp_path / "demo", tmp_path / "results"
    config = yaml.safe_load((repo_root / "config.yaml").read_text())
    config.update(results_dir=str(results), dicom_dir=str(demo / "dicom"),
                  demo={"dir": str(demo), "patients": 1, "timepoints": 2, "seed": 3}, export={"dicom": True})
    res = subprocess.run(snakemake_cmd(tmp_path, config, "--cores", "2"), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]
    cohort = pd.read_csv(results / "cohort.csv", dtype={"timepoint": str}, keep_default_na=False)
    regions = pd.read_csv(next((results / "tracking").glob("*/regions.csv")), dtype={"timepoint": str})
    assert len(cohort) == 2
    for row in cohort.itertuples():
        folder = results / "dicom" / row.patient_id
        values, _, evaluations = _sr_values(str(folder / f"{row.timepoint}_sr.dcm"))
        assert values[("Both lungs", "Percentage of infection")] == [pytest.approx(row.poi, abs=1e-4)]
        score = regions.loc[(regions["timepoint"] == row.timepoint) & (regions["metric"] == "severity_total"), "value"]
        assert values[("Both lungs", "CT severity score")] == [score.item()]
        assert evaluations.get(("Both lungs", "Change vs previous scan"), "").lower() == row.change_vs_previous
        assert pydicom.dcmread(folder / f"{row.timepoint}_seg.dcm").Modality == "SEG"
    assert (results / "benchmarks" / "export_dicom").is_dir()
