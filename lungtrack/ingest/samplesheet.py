"""NIfTI input: a sample sheet (patient_id, study_date, path) instead of a DICOM tree.

The sheet (TSV or CSV) lists existing CT volumes in HU; relative paths are relative to the sheet.
It becomes the case table (same columns as a DICOM inventory's, plus ``path``), and each volume is
validated and copied as int16 HU by ``lungtrack convert VOLUME.nii.gz OUT.nii.gz``.
"""

import csv
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.ingest import plausibility
from lungtrack.ingest.privacy import patient_key
from lungtrack.io.images import read_image

REQUIRED = ["patient_id", "study_date", "path"]


ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")  # YYYY-MM-DD or YYYYMMDD


def _rows(path):
    """(line number, row dict) of a TSV (tab in the header line) or CSV sheet; blank lines skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a readable sample sheet ({getattr(exc, 'strerror', None) or type(exc).__name__})") \
            from None
    lines = text.splitlines()
    delimiter = "\t" if lines and "\t" in lines[0] else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [c.strip() for c in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(path, f"sample sheet lacks column(s) {', '.join(missing)} (needs {', '.join(REQUIRED)})")
    rows = []
    for number, values in enumerate(reader, start=2):
        if any(v.strip() for v in values):
            rows.append((number, {c: (values[i].strip() if i < len(values) else "") for i, c in enumerate(header)}))
    return rows


def _iso_date(text: str) -> str | None:
    """YYYY-MM-DD of an ISO date (YYYY-MM-DD or YYYYMMDD), None for anything else (03/04/2020 is ambiguous)."""
    match = ISO_DATE.fullmatch(text)
    if not match:
        return None
    try:
        return date(*map(int, match.groups())).isoformat()
    except ValueError:
        return None


def read_sheet(path, salt=None) -> pd.DataFrame:
    """Case table from a sample sheet: patient_id, study_date (YYYY-MM-DD), timepoint, path (absolute).

    Refused with the line number: an empty patient_id or path, a date that is not ISO (YYYY-MM-DD or
    YYYYMMDD), a volume listed twice, a volume that does not exist.
    """
    path = Path(path)
    records = []
    seen = {}
    for line, row in _rows(path):
        if not row["patient_id"]:
            raise InputError(path, f"line {line}: empty patient_id")
        if not row["path"]:
            raise InputError(path, f"line {line}: empty path")
        iso = _iso_date(row["study_date"])
        if iso is None:
            raise InputError(path, f"line {line}: study_date {row['study_date']!r} is not an ISO date (YYYY-MM-DD)")
        volume = (path.parent / row["path"]).resolve()
        if volume in seen:
            raise InputError(path, f"line {line}: volume {row['path']} is already listed on line {seen[volume]}")
        if not volume.is_file():
            raise InputError(path, f"line {line}: volume {row['path']} does not exist")
        seen[volume] = line
        records.append({"patient_id": patient_key(row["patient_id"], salt), "study_date": iso, "timepoint": "",
                        "series_uid": "", "path": str(volume)})
    cases = pd.DataFrame(records, columns=["patient_id", "study_date", "timepoint", "series_uid", "path"])
    first = cases.groupby("patient_id")["study_date"].transform("min")
    cases = (cases.assign(_first=first).sort_values(["_first", "patient_id", "study_date"], kind="stable")
             .drop(columns="_first").reset_index(drop=True))
    rank = cases.groupby(["patient_id", "study_date"]).cumcount() + 1
    base = cases["study_date"].str.replace("-", "")
    cases["timepoint"] = [b if r == 1 else f"{b}_{r}" for b, r in zip(base, rank)]
    return cases


def validate_volume(path) -> sitk.Image:
    """Read a CT volume and return it as int16 HU.

    Refuses non-3D or non-scalar images, NaN or infinite voxels, implausible spacing (the NIfTI
    header's own pixdim, which SimpleITK reads as 1 mm when it is 0) and values without air.
    """
    image = read_image(path)
    if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(path, f"not a 3D scalar volume ({image.GetDimension()}D, "
                               f"{image.GetNumberOfComponentsPerPixel()} component(s))")
    if min(image.GetSize()) < 2:
        raise InputError(path, f"size {list(image.GetSize())}: not a volume")
    written = plausibility.nifti_pixdim(path)
    plausibility.check_spacing([abs(v) for v in written] if written else image.GetSpacing(), path)
    array = sitk.GetArrayViewFromImage(image)
    stored = plausibility.nifti_nonfinite(path)  # SimpleITK reads NaN in NIfTI as 0
    plausibility.check_finite(stored or int(array.size - np.count_nonzero(np.isfinite(array))), array.size, path)
    plausibility.check_hu(float(array.min()), float(array.max()), path)
    out = sitk.GetImageFromArray(np.rint(array).astype(np.int16))
    out.CopyInformation(image)
    return out
