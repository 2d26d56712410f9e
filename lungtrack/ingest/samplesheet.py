"""NIfTI input: a sample sheet (patient_id, study_date, path) instead of a DICOM tree.

The sheet (TSV or CSV) lists existing CT volumes in HU; relative paths are relative to the sheet.
It becomes the case table (same columns as a DICOM inventory's, plus ``path``), and each volume is
validated and copied as int16 HU by ``lungtrack convert VOLUME.nii.gz OUT.nii.gz``.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.ingest.privacy import patient_key
from lungtrack.io.images import read_image

REQUIRED = ["patient_id", "study_date", "path"]
AIR_HU = -500  # a chest CT in HU always contains air below this


def read_sheet(path, salt=None) -> pd.DataFrame:
    """Case table from a sample sheet: patient_id, study_date (YYYY-MM-DD), timepoint, path (absolute)."""
    path = Path(path)
    try:
        sheet = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a readable sample sheet ({type(exc).__name__})") from None
    missing = [c for c in REQUIRED if c not in sheet.columns]
    if missing:
        raise InputError(path, f"sample sheet lacks column(s) {', '.join(missing)} "
                               f"(needs {', '.join(REQUIRED)})")
    dates = pd.to_datetime(sheet["study_date"].str.strip(), errors="coerce", format="mixed")
    bad = sheet.loc[dates.isna(), "study_date"].tolist()
    if bad:
        raise InputError(path, f"unreadable study_date value(s): {', '.join(map(repr, bad[:3]))}")
    cases = pd.DataFrame({
        "patient_id": [patient_key(p, salt) for p in sheet["patient_id"]],
        "study_date": dates.dt.strftime("%Y-%m-%d"),
        "timepoint": "",
        "series_uid": "",
        "path": [str((path.parent / p.strip()).resolve()) for p in sheet["path"]],
    })
    absent = [p for p in cases["path"] if not Path(p).is_file()]
    if absent:
        raise InputError(path, f"{len(absent)} volume(s) do not exist, e.g. {absent[0]}")
    first = cases.groupby("patient_id")["study_date"].transform("min")
    cases = (cases.assign(_first=first).sort_values(["_first", "patient_id", "study_date"], kind="stable")
             .drop(columns="_first").reset_index(drop=True))
    rank = cases.groupby(["patient_id", "study_date"]).cumcount() + 1
    base = cases["study_date"].str.replace("-", "")
    cases["timepoint"] = [b if r == 1 else f"{b}_{r}" for b, r in zip(base, rank)]
    return cases


def validate_volume(path) -> sitk.Image:
    """Read a CT volume and return it as int16 HU; refuse non-3D, non-scalar or non-HU images."""
    image = read_image(path)
    if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(path, f"not a 3D scalar volume ({image.GetDimension()}D, "
                               f"{image.GetNumberOfComponentsPerPixel()} component(s))")
    if min(image.GetSize()) < 2:
        raise InputError(path, f"size {list(image.GetSize())}: not a volume")
    array = sitk.GetArrayViewFromImage(image)
    low, high = float(array.min()), float(array.max())
    if low > AIR_HU or low < -32768 or high > 32767:
        raise InputError(path, f"values {low:g}..{high:g} do not look like CT in HU "
                               f"(expected air near -1000)")
    out = sitk.GetImageFromArray(np.rint(array).astype(np.int16))
    out.CopyInformation(image)
    return out
