"""Write a synthetic cohort: DICOM studies, NIfTI truth and a manifest of the true volumes.

Layout under ``out_dir``:
- ``dicom/<patient_id>/<YYYYMMDD>/001/IM0001.dcm``...: localizer (2 images);
  ``dicom/<patient_id>/<YYYYMMDD>/002/IM0001.dcm``...: axial CT, one file per slice.
- ``truth/<patient_id>/<YYYYMMDD>/lungs.nii.gz`` (1 right, 2 left) and ``lesions.nii.gz``
  (1 GGO, 2 consolidation), uint8 on the grid of the axial series as converted (origin = most
  inferior slice, identity direction).
- ``truth/manifest.csv``: one row per patient x timepoint (``MANIFEST_COLUMNS``), volumes in mL,
  POI in %. No names, birth dates, accession numbers or institutions.
"""

import datetime as dt
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from lungtrack.errors import InputError
from lungtrack.io.atomic import write_text
from lungtrack.io.images import write_image
from lungtrack.labels import CONSOLIDATION, GGO, LEFT, RIGHT
from lungtrack.phantom.case import make_case
from lungtrack.phantom.dicom_writer import Study, write_axial_series, write_localizer

log = logging.getLogger(__name__)

FIRST_DATE = dt.date(2020, 3, 2)
INSTITUTION = "Lungtrack Demo Hospital"
MANIFEST_COLUMNS = [
    "patient_id", "study_date", "timepoint", "timepoint_index", "days", "breath_hold_scale",
    "shift_x_mm", "shift_y_mm", "shift_z_mm", "rotation_z_deg", "rotation_x_deg",
    "lung_ml", "lung_right_ml", "lung_left_ml", "lesion_ml", "ggo_ml", "consolidation_ml",
    "lesion_right_ml", "lesion_left_ml", "poi", "visible_lesions",
    "spacing_x_mm", "spacing_y_mm", "spacing_z_mm", "size_x", "size_y", "size_z",
    "study_uid", "series_uid", "dicom_dir", "lungs", "lesions",
]


def patient_seed(seed: int, index: int) -> int:
    """Seed of patient ``index`` (0-based) in a cohort drawn with ``seed``."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def truth_volumes(case) -> dict:
    """True volumes (mL) and POI (%) of a case, as in the metrics of ``lungtrack measure``."""
    ml = case.voxel_ml
    lung = case.lungs > 0
    lesion = (case.lesions > 0) & lung
    lung_ml, lesion_ml = float(lung.sum()) * ml, float(lesion.sum()) * ml
    return {
        "lung_ml": round(lung_ml, 3),
        "lung_right_ml": round(float((case.lungs == RIGHT).sum()) * ml, 3),
        "lung_left_ml": round(float((case.lungs == LEFT).sum()) * ml, 3),
        "lesion_ml": round(lesion_ml, 3),
        "ggo_ml": round(float((case.lesions == GGO).sum()) * ml, 3),
        "consolidation_ml": round(float((case.lesions == CONSOLIDATION).sum()) * ml, 3),
        "lesion_right_ml": round(float((lesion & (case.lungs == RIGHT)).sum()) * ml, 3),
        "lesion_left_ml": round(float((lesion & (case.lungs == LEFT)).sum()) * ml, 3),
        "poi": round(100.0 * lesion_ml / lung_ml, 4) if lung_ml else 0.0,
    }


def _study(seed: int, index: int, timepoint: int, date: dt.date) -> Study:
    rng = np.random.default_rng([seed, index, 99])
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=int(rng.integers(0, 50 * 365)))
    patient_id = f"LT{index + 1:04d}"
    return Study(
        patient_id=patient_id,
        patient_name=f"DEMO^PATIENT{index + 1}",
        birth_date=birth.strftime("%Y%m%d"),
        sex="M" if rng.random() < 0.5 else "F",
        study_date=date.strftime("%Y%m%d"),
        study_time=f"{8 + int(rng.integers(0, 9)):02d}{int(rng.integers(0, 60)):02d}00",
        accession=f"A{seed % 10000:04d}{index + 1:03d}{timepoint + 1:02d}",
        institution=INSTITUTION,
        uid_seed=(seed, patient_id, timepoint),
    )


def _write_study(case, study: Study, folder: Path) -> str:
    """Write both series of a study into ``folder`` atomically (temporary sibling, then rename)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        write_localizer(case, study, tmp / "001")
        series_uid = write_axial_series(case, study, tmp / "002")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return series_uid


MARKER = ".lungtrack-phantom"  # in truth/: these folders were written by the phantom


def _prepare(out_dir: Path) -> None:
    """Clear the dicom/ and truth/ folders of an earlier phantom run (recognised by its marker);
    refuse to write into such folders that hold anything else."""
    parts = [out_dir / "dicom", out_dir / "truth"]
    if (out_dir / "truth" / MARKER).exists():
        for part in parts:
            shutil.rmtree(part, ignore_errors=True)
    elif any(f.is_file() for part in parts if part.is_dir() for f in part.rglob("*")):
        raise InputError(out_dir, "dicom/ or truth/ already holds files not written by lungtrack phantom; "
                                  "choose an empty folder")
    write_text(out_dir / "truth" / MARKER, "written by lungtrack phantom; dicom/ and truth/ are replaced on rerun\n")


def generate_cohort(out_dir, patients: int = 3, timepoints: int = 3, seed: int = 7, **options) -> pd.DataFrame:
    """Write ``patients`` x ``timepoints`` synthetic studies under ``out_dir``; return the manifest.

    ``out_dir/dicom`` and ``out_dir/truth`` of an earlier run are replaced as a whole.

    ``options``: keyword fields of ``PhantomOptions``. Same arguments -> identical pixel data,
    UIDs and truth.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(out_dir, "exists and is not a folder")
    if patients < 1 or timepoints < 1:
        raise InputError(out_dir, f"need at least 1 patient and 1 timepoint, got {patients} x {timepoints}")
    start = time.perf_counter()
    _prepare(out_dir)
    rows = []
    with tqdm(total=patients * timepoints, desc="phantom", unit="study") as bar:
        for index in range(patients):
            first = FIRST_DATE + dt.timedelta(days=int(np.random.default_rng([seed, index, 98]).integers(0, 60)))
            for t in range(timepoints):
                case = make_case(patient_seed(seed, index), timepoint=t, n_timepoints=timepoints, **options)
                date = first + dt.timedelta(days=case.info["day"])
                study = _study(seed, index, t, date)
                tp = study.study_date
                series_uid = _write_study(case, study, out_dir / "dicom" / study.patient_id / tp)
                truth = out_dir / "truth" / study.patient_id / tp
                write_image(case.image(case.lungs), truth / "lungs.nii.gz")
                write_image(case.image(case.lesions), truth / "lesions.nii.gz")
                rows.append(_manifest_row(case, study, t, series_uid))
                bar.update()
    manifest = pd.DataFrame(rows, columns=MANIFEST_COLUMNS)
    write_text(out_dir / "truth" / "manifest.csv", manifest.to_csv(index=False))
    log.info(
        "phantom: wrote %d studies of %d patients to %s (lesion %.0f-%.0f mL, POI %.1f-%.1f %%) in %.1f s",
        len(manifest), patients, out_dir, manifest.lesion_ml.min(), manifest.lesion_ml.max(),
        manifest.poi.min(), manifest.poi.max(), time.perf_counter() - start,
    )
    return manifest


def _manifest_row(case, study: Study, timepoint: int, series_uid: str) -> dict:
    tp = study.study_date
    info = case.info
    nz, ny, nx = case.ct.shape
    dz, dy, dx = case.spacing_zyx
    truth = Path("truth") / study.patient_id / tp
    return {
        "patient_id": study.patient_id,
        "study_date": f"{tp[:4]}-{tp[4:6]}-{tp[6:]}",
        "timepoint": tp,
        "timepoint_index": timepoint,
        "days": info["day"],
        "breath_hold_scale": info["breath_scale"],
        "shift_x_mm": info["shift_mm"][0], "shift_y_mm": info["shift_mm"][1], "shift_z_mm": info["shift_mm"][2],
        "rotation_z_deg": info["rotation_deg"][0], "rotation_x_deg": info["rotation_deg"][1],
        **truth_volumes(case),
        "visible_lesions": info["visible_lesions"],
        "spacing_x_mm": dx, "spacing_y_mm": dy, "spacing_z_mm": dz,
        "size_x": nx, "size_y": ny, "size_z": nz,
        "study_uid": study.uid("study"),
        "series_uid": series_uid,
        "dicom_dir": str(Path("dicom") / study.patient_id / tp / "002"),
        "lungs": str(truth / "lungs.nii.gz"),
        "lesions": str(truth / "lesions.nii.gz"),
    }
