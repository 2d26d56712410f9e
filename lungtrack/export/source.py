"""The source CT series of an export: its headers, the patient attributes to carry, and masks on its frames.

Frames are the source images themselves, sorted along the slice normal (ascending). A label map on
the converted CT's grid (NIfTI, any orientation) is sampled at the centre of every source pixel with
nearest neighbour, so a series that conversion resampled (gantry tilt, missing slice) gets its masks
back on the original slices, and an unresampled one gets them voxel for voxel.
"""

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.dataset import Dataset

from lungtrack.errors import InputError

#: Attributes of each source image that the SEG and SR need (references, geometry, study identity).
#: Patient and study attributes not listed here are never copied unless the user keeps them.
KEPT = (
    "SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID",
    "Modality", "StudyDate", "StudyTime", "SeriesNumber", "InstanceNumber", "ImageType",
    "Rows", "Columns", "PixelSpacing", "ImageOrientationPatient", "ImagePositionPatient", "SliceThickness",
    "SpacingBetweenSlices", "SamplesPerPixel", "PhotometricInterpretation", "BitsAllocated", "BitsStored",
    "HighBit", "PixelRepresentation", "PositionReferenceIndicator",
)
#: Type 2 attributes of the patient and study modules, written empty.
EMPTIED = ("PatientName", "PatientBirthDate", "PatientSex", "AccessionNumber", "ReferringPhysicianName", "StudyID")


def _normal(ds: Dataset) -> np.ndarray:
    orientation = np.asarray(ds.ImageOrientationPatient, float)
    return np.cross(orientation[:3], orientation[3:])


def read_series(paths) -> list[Dataset]:
    """Headers (no pixel data) of the files of one axial series, sorted along the slice normal."""
    datasets = []
    for path in paths:
        try:
            datasets.append(pydicom.dcmread(path, stop_before_pixels=True))
        except Exception as exc:  # noqa: BLE001 - truncated or corrupt files
            raise InputError(path, f"cannot read DICOM header ({type(exc).__name__})") from None
    if not datasets:
        raise InputError(None, "no source images")
    for ds, path in zip(datasets, paths):
        if "ImagePositionPatient" not in ds or "ImageOrientationPatient" not in ds:
            raise InputError(path, "no image geometry (ImagePositionPatient, ImageOrientationPatient)")
    normal = _normal(datasets[0])
    return sorted(datasets, key=lambda ds: float(np.asarray(ds.ImagePositionPatient, float) @ normal))


def pseudonymous(datasets, patient_id: str) -> list[Dataset]:
    """Copies of ``datasets`` with only :data:`KEPT` attributes, PatientID ``patient_id`` and :data:`EMPTIED`."""
    out = []
    for ds in datasets:
        copy = Dataset()
        for keyword in KEPT:
            if keyword in ds:
                setattr(copy, keyword, ds[keyword].value)
        copy.PatientID = patient_id
        for keyword in EMPTIED:
            setattr(copy, keyword, "")
        out.append(copy)
    return out


def frames(labels: sitk.Image, datasets) -> np.ndarray:
    """``labels`` sampled on every source image; uint8 array (frames, rows, columns), frames in ``datasets`` order.

    Each source image is a one-slice grid: origin ImagePositionPatient (LPS mm), direction (row, column,
    normal), spacing from PixelSpacing (between columns, between rows). Outside the label map: 0.
    """
    out = np.zeros((len(datasets), int(datasets[0].Rows), int(datasets[0].Columns)), np.uint8)
    for k, ds in enumerate(datasets):
        orientation = np.asarray(ds.ImageOrientationPatient, float)
        row_dir, col_dir = orientation[:3], orientation[3:]
        spacing_rows, spacing_cols = (float(v) for v in ds.PixelSpacing)
        reference = sitk.Image(int(ds.Columns), int(ds.Rows), 1, sitk.sitkUInt8)
        reference.SetOrigin(tuple(float(v) for v in ds.ImagePositionPatient))
        reference.SetSpacing((spacing_cols, spacing_rows, 1.0))
        reference.SetDirection(tuple(np.column_stack([row_dir, col_dir, np.cross(row_dir, col_dir)]).ravel()))
        sampled = sitk.Resample(labels, reference, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
        out[k] = sitk.GetArrayViewFromImage(sampled)[0]
    return out
