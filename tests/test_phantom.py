"""Synthetic chest CT: determinism, truth/HU consistency, DICOM headers and geometry, time course."""

import numpy as np
import pandas as pd
import pydicom
import pytest
import SimpleITK as sitk
from scipy import ndimage

from lungtrack.cli import main
from lungtrack.errors import InputError
from lungtrack.io.images import read_image, same_grid
from lungtrack.phantom import MANIFEST_COLUMNS, generate_cohort, make_case
from lungtrack.phantom.anatomy import Tissue
from lungtrack.phantom.cohort import patient_seed

# Coarse grid (64 x 64 x ~39) for speed; MEDIUM resolves the vessels (3.6 mm pixels).
SMALL = dict(matrix=64, pixel_mm=5.4, slice_mm=7.5)
MEDIUM = dict(matrix=96, pixel_mm=3.6, slice_mm=5.0)


def _fraction_in(values, lo, hi):
    return float(((values >= lo) & (values <= hi)).mean())


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    out = tmp_path_factory.mktemp("phantom")
    manifest = generate_cohort(out, patients=1, timepoints=2, seed=11, **SMALL)
    return out, manifest


def test_same_seed_gives_identical_case_and_other_seed_differs():
    a, b = make_case(5, timepoint=1, **SMALL), make_case(5, timepoint=1, **SMALL)
    assert a.ct.dtype == np.int16 and a.lungs.dtype == np.uint8 and a.lesions.dtype == np.uint8
    assert a.ct.tobytes() == b.ct.tobytes()
    assert np.array_equal(a.lungs, b.lungs) and np.array_equal(a.lesions, b.lesions)
    assert a.origin == b.origin and a.spacing_zyx == b.spacing_zyx
    c = make_case(6, timepoint=1, **SMALL)
    assert c.ct.shape != a.ct.shape or not np.array_equal(c.ct, a.ct)


def test_cohort_is_byte_identical_for_the_same_seed(cohort, tmp_path):
    out, manifest = cohort
    again = generate_cohort(tmp_path, patients=1, timepoints=2, seed=11, **SMALL)
    pd.testing.assert_frame_equal(manifest, again)
    files = sorted(p.relative_to(out) for p in (out / "dicom").rglob("*.dcm"))
    assert files == sorted(p.relative_to(tmp_path) for p in (tmp_path / "dicom").rglob("*.dcm"))
    for rel in files:
        a, b = pydicom.dcmread(out / rel), pydicom.dcmread(tmp_path / rel)
        assert a.SOPInstanceUID == b.SOPInstanceUID and a.SeriesInstanceUID == b.SeriesInstanceUID
        assert a.PixelData == b.PixelData


def test_lung_and_lesion_hu_match_the_truth():
    case = make_case(3, timepoint=1, **MEDIUM)
    lung = case.ct[case.lungs > 0]
    assert -900 < np.median(lung) < -800
    parenchyma = case.ct[(case.tissue == Tissue.LUNG)]
    assert _fraction_in(parenchyma, -1024, -700) > 0.98
    ggo, consolidation = case.ct[case.lesions == 1], case.ct[case.lesions == 2]
    assert ggo.size > 100 and consolidation.size > 20
    assert -700 < np.median(ggo) < -300 and _fraction_in(ggo, -700, -300) > 0.95
    assert -100 < np.median(consolidation) < 60 and _fraction_in(consolidation, -100, 60) > 0.85


def test_vessels_are_lung_not_lesion_and_airways_are_not_lung():
    case = make_case(3, timepoint=1, **MEDIUM)
    vessel = case.tissue == Tissue.VESSEL
    airway = case.tissue == Tissue.AIRWAY
    assert vessel.sum() > 100 and airway.sum() > 100
    assert (case.lungs[vessel] > 0).all() and (case.lesions[vessel] == 0).all()
    assert np.median(case.ct[vessel]) > -400  # soft tissue, blurred at the edges of thin tubes
    assert (case.lungs[airway] == 0).all() and np.median(case.ct[airway]) < -900
    assert (case.lungs[case.lesions > 0] > 0).all()


def test_right_lung_is_on_the_patients_right_and_lungs_are_separate():
    case = make_case(3, timepoint=0, **MEDIUM)
    x = np.arange(case.ct.shape[2])
    right_x = x[np.nonzero((case.lungs == 1).any(axis=(0, 1)))[0]].mean()
    left_x = x[np.nonzero((case.lungs == 2).any(axis=(0, 1)))[0]].mean()
    assert right_x < case.ct.shape[2] / 2 < left_x  # x = 0 is the patient's right (LPS)
    assert not (ndimage.binary_dilation(case.lungs == 1) & (case.lungs == 2)).any()


def test_anterior_junction_makes_the_lungs_touch():
    case = make_case(3, timepoint=0, anterior_junction=True, **MEDIUM)
    assert (ndimage.binary_dilation(case.lungs == 1) & (case.lungs == 2)).any()


def test_traps_table_stomach_gas_and_fov_padding():
    case = make_case(3, timepoint=0, fov_padding=-3024, bowel_gas=True, **MEDIUM)
    assert (case.tissue == Tissue.TABLE_FOAM).sum() > 100
    assert (case.tissue == Tissue.GAS).sum() > 100
    assert (case.lungs[case.tissue == Tissue.GAS] == 0).all()
    assert case.ct[0, 0, 0] == -3024 and case.ct[:, 48, 48].min() > -1100
    plain = make_case(3, timepoint=0, table=False, stomach_gas=False, **MEDIUM)
    assert not np.isin(plain.tissue, [Tissue.TABLE_FOAM, Tissue.TABLE_SHELL, Tissue.GAS]).any()
    assert plain.ct.min() >= -1024


def test_lesions_appear_grow_peak_and_resolve():
    seed = patient_seed(7, 0)
    cases = [make_case(seed, timepoint=t, n_timepoints=3, **MEDIUM) for t in range(3)]
    volumes = [(c.lesions > 0).sum() * c.voxel_ml for c in cases]
    assert volumes[1] > 1.5 * volumes[0] and volumes[1] > 1.5 * volumes[2] and volumes[2] > 0
    assert cases[1].info["visible_lesions"] > cases[0].info["visible_lesions"]
    assert [c.info["day"] for c in cases][0] == 0 and cases[2].info["day"] > cases[1].info["day"] > 0


def test_lesions_stay_at_the_same_sites():
    seed = patient_seed(7, 0)
    still = dict(pose_jitter=False, breath_scale=1.0, n_slices=60, **MEDIUM)
    early, peak = (make_case(seed, timepoint=t, **still) for t in (0, 1))
    assert early.origin == peak.origin
    early_lesion, peak_lesion = early.lesions > 0, peak.lesions > 0
    assert early_lesion.sum() > 0
    assert (early_lesion & peak_lesion).sum() > 0.9 * early_lesion.sum()


def test_deeper_breath_hold_gives_larger_lungs():
    still = dict(pose_jitter=False, **MEDIUM)
    deep, shallow = make_case(3, breath_scale=1.0, **still), make_case(3, breath_scale=0.88, **still)
    ratio = (shallow.lungs > 0).sum() / (deep.lungs > 0).sum()
    assert 0.8 < ratio < 0.95


def test_dicom_headers(cohort):
    out, manifest = cohort
    row = manifest.iloc[0]
    study = out / "dicom" / row.patient_id / row.timepoint
    axial = sorted((study / "002").glob("*.dcm"))
    localizer = sorted((study / "001").glob("*.dcm"))
    assert len(axial) == row.size_z and len(localizer) == 2
    ds = pydicom.dcmread(axial[0])
    for keyword in (
        "PatientID", "PatientName", "PatientBirthDate", "StudyDate", "StudyInstanceUID",
        "SeriesInstanceUID", "SOPInstanceUID", "ImagePositionPatient", "ImageOrientationPatient",
        "PixelSpacing", "SliceThickness", "RescaleSlope", "RescaleIntercept", "ImageType",
        "SeriesDescription", "SeriesNumber", "InstanceNumber", "ConvolutionKernel", "Manufacturer",
        "AccessionNumber", "InstitutionName",
    ):
        assert keyword in ds and str(ds[keyword].value) != "", keyword
    assert ds.Modality == "CT" and ds.SOPClassUID == pydicom.uid.CTImageStorage
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert ds.PatientID == "LT0001" and ds.StudyDate == row.timepoint
    assert list(ds.ImageType) == ["ORIGINAL", "PRIMARY", "AXIAL"]
    assert ds.SeriesInstanceUID == row.series_uid
    scout = pydicom.dcmread(localizer[0])
    assert list(scout.ImageType) == ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    assert scout.StudyInstanceUID == ds.StudyInstanceUID and scout.SeriesInstanceUID != ds.SeriesInstanceUID


def test_dicom_series_reads_back_on_the_truth_grid_with_the_same_hu(cohort):
    out, manifest = cohort
    for row in manifest.itertuples():
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(out / row.dicom_dir)))
        image = reader.Execute()
        lungs, lesions = read_image(out / row.lungs), read_image(out / row.lesions)
        assert same_grid(image, lungs) and same_grid(image, lesions)
        assert np.allclose(image.GetDirection(), np.eye(3).ravel())
        case = make_case(patient_seed(11, 0), timepoint=row.timepoint_index, n_timepoints=2, **SMALL)
        assert np.array_equal(sitk.GetArrayFromImage(image), case.ct)
        assert np.array_equal(sitk.GetArrayFromImage(lungs), case.lungs)
        assert np.allclose(image.GetOrigin(), case.origin, atol=1e-3)


def test_manifest_volumes_match_truth_and_carry_no_identifying_headers(cohort):
    out, manifest = cohort
    assert list(manifest.columns) == MANIFEST_COLUMNS and len(manifest) == 2
    text = (out / "truth" / "manifest.csv").read_text()
    ds = pydicom.dcmread(next((out / "dicom").rglob("*.dcm")))
    for secret in (str(ds.PatientName), ds.PatientBirthDate, ds.AccessionNumber, ds.InstitutionName):
        assert secret not in text
    for row in manifest.itertuples():
        lesions = sitk.GetArrayFromImage(read_image(out / row.lesions))
        lungs = read_image(out / row.lungs)
        voxel_ml = np.prod(lungs.GetSpacing()) / 1000.0
        assert row.lesion_ml == pytest.approx((lesions > 0).sum() * voxel_ml, rel=1e-3)
        assert row.lung_ml == pytest.approx((sitk.GetArrayFromImage(lungs) > 0).sum() * voxel_ml, rel=1e-3)
        assert row.poi == pytest.approx(100 * row.lesion_ml / row.lung_ml, rel=1e-3)
    assert manifest.days.tolist()[0] == 0 and manifest.days.is_monotonic_increasing


def test_cli_writes_a_cohort_and_rejects_bad_options(tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["phantom", str(out), "--patients", "1", "--timepoints", "1", "--matrix", "48", "--pixel-mm", "7.2",
            "--slice-mm", "10"]
    assert main(args) == 0
    assert len(pd.read_csv(out / "truth" / "manifest.csv")) == 1
    assert main(["phantom", str(tmp_path / "bad"), "--pixel-mm", "0"]) == 2
    assert "lungtrack phantom: error:" in capsys.readouterr().err


def test_unknown_option_is_rejected():
    with pytest.raises(TypeError, match="unknown phantom option"):
        make_case(1, lung_size=2)


def test_rerun_replaces_an_earlier_cohort_but_never_foreign_files(tmp_path):
    generate_cohort(tmp_path, patients=2, timepoints=1, seed=1, **SMALL)
    generate_cohort(tmp_path, patients=1, timepoints=1, seed=1, **SMALL)
    assert [p.name for p in (tmp_path / "dicom").iterdir()] == ["LT0001"]
    foreign = tmp_path / "other"
    (foreign / "dicom").mkdir(parents=True)
    (foreign / "dicom" / "scan.dcm").write_bytes(b"x")
    with pytest.raises(InputError, match="not written by lungtrack phantom"):
        generate_cohort(foreign, patients=1, timepoints=1, **SMALL)
    assert (foreign / "dicom" / "scan.dcm").read_bytes() == b"x"


def test_lesions_touch_the_pleura_and_favour_the_dorsal_lung():
    case = make_case(patient_seed(7, 1), timepoint=1, **MEDIUM)
    lesion = case.lesions > 0
    outside_lung = (case.lungs == 0) & ~np.isin(case.tissue, [Tissue.AIRWAY])
    assert (ndimage.binary_dilation(lesion) & outside_lung).sum() > 20
    y = np.nonzero(lesion)[1]
    lung_y = np.nonzero(case.lungs > 0)[1]
    assert np.median(y) > np.median(lung_y)  # y grows posteriorly
