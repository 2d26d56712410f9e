"""Write a synthetic CT as DICOM series: one CT Image Storage file per slice, plus a localizer.

Files are uncompressed Explicit VR Little Endian; pixels are signed int16 stored values with
RescaleSlope 1 and RescaleIntercept -1024 (HU = stored - 1024). UIDs are derived from a tuple of
seed values with ``pydicom.uid.generate_uid(entropy_srcs=...)``, so the same seed gives the same
UIDs. Geometry: identity direction (rows along +y posterior, columns along +x patient's left),
ImagePositionPatient of slice k = origin + k * slice spacing along z.
"""

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID, generate_uid

INTERCEPT = -1024.0
AXIAL_SERIES, LOCALIZER_SERIES = 2, 1


@dataclass(frozen=True)
class Study:
    """Header facts of one study (strings as DICOM wants them; dates YYYYMMDD)."""

    patient_id: str
    patient_name: str
    birth_date: str
    sex: str
    study_date: str
    study_time: str
    accession: str
    institution: str
    uid_seed: tuple  # entropy for the study's UIDs, e.g. (seed, patient_id, timepoint)

    def uid(self, *parts) -> str:
        """Deterministic UID for this study and ``parts`` (e.g. ("series", 2))."""
        return generate_uid(entropy_srcs=[str(p) for p in (*self.uid_seed, *parts)])


def _base(study: Study, series_number: int, description: str, image_type: list, instance: int) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = study.uid("sop", series_number, instance)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.ImageType = image_type
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = study.study_date
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = study.study_time
    ds.AccessionNumber = study.accession
    ds.Modality = "CT"
    ds.Manufacturer = "LUNGTRACK"
    ds.ManufacturerModelName = "Synthetic Chest Phantom"
    ds.InstitutionName = study.institution
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "CT CHEST"
    ds.SeriesDescription = description
    ds.PatientName = study.patient_name
    ds.PatientID = study.patient_id
    ds.PatientBirthDate = study.birth_date
    ds.PatientSex = study.sex
    ds.BodyPartExamined = "CHEST"
    ds.KVP = "120"
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = study.uid("study")
    ds.SeriesInstanceUID = study.uid("series", series_number)
    ds.FrameOfReferenceUID = study.uid("frame")
    ds.PositionReferenceIndicator = ""
    ds.StudyID = "1"
    ds.SeriesNumber = series_number
    ds.AcquisitionNumber = 1
    ds.InstanceNumber = instance
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleIntercept = INTERCEPT
    ds.RescaleSlope = 1.0
    ds.RescaleType = "HU"
    return ds


def _ds(value: float) -> str:
    """A decimal string (DS) of at most 16 characters, rounded to 1e-4 mm."""
    return f"{round(float(value), 4):.10g}"


def _set_pixels(ds: Dataset, hu: np.ndarray) -> None:
    stored = (hu.astype(np.int32) - int(INTERCEPT)).astype("<i2")
    ds.Rows, ds.Columns = stored.shape
    ds.PixelData = stored.tobytes()


def _write(ds: Dataset, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def write_axial_series(case, study: Study, folder, kernel: str = "LUNG") -> str:
    """Write the CT of ``case`` (int16 HU, (z, y, x)) as one file per slice into ``folder``.

    Instance 1 is the most superior slice (head-first acquisition order). Returns the series UID.
    """
    dz, dy, dx = case.spacing_zyx
    ox, oy, oz = case.origin
    n = case.ct.shape[0]
    for k in range(n):
        instance = n - k
        ds = _base(study, AXIAL_SERIES, f"CHEST {dz:g}mm {kernel}", ["ORIGINAL", "PRIMARY", "AXIAL"], instance)
        z = oz + k * dz
        ds.ImagePositionPatient = [_ds(ox), _ds(oy), _ds(z)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceLocation = _ds(z)
        ds.PixelSpacing = [_ds(dy), _ds(dx)]
        ds.SliceThickness = ds.SpacingBetweenSlices = _ds(dz)
        ds.ConvolutionKernel = kernel
        ds.WindowCenter, ds.WindowWidth = -600, 1500
        _set_pixels(ds, case.ct[k])
        _write(ds, folder / f"IM{instance:04d}.dcm")
    return study.uid("series", AXIAL_SERIES)


def write_localizer(case, study: Study, folder) -> str:
    """Write a 2-image localizer (frontal and lateral projections of the CT volume) into ``folder``.

    Each image is the mean HU along the projection axis; rows run from head to feet.
    Returns the series UID.
    """
    dz, dy, dx = case.spacing_zyx
    ox, oy, oz = case.origin
    nz, ny, nx = case.ct.shape
    top = oz + (nz - 1) * dz
    views = (
        ("FRONTAL", case.ct.mean(axis=1), [1, 0, 0, 0, 0, -1], [ox, oy + (ny - 1) / 2 * dy, top], dx),
        ("LATERAL", case.ct.mean(axis=2), [0, 1, 0, 0, 0, -1], [ox + (nx - 1) / 2 * dx, oy, top], dy),
    )
    for instance, (_, projection, orientation, position, column_mm) in enumerate(views, start=1):
        ds = _base(study, LOCALIZER_SERIES, "TOPOGRAM", ["ORIGINAL", "PRIMARY", "LOCALIZER"], instance)
        ds.ImageOrientationPatient = orientation
        ds.ImagePositionPatient = [_ds(v) for v in position]
        ds.PixelSpacing = [_ds(dz), _ds(column_mm)]
        ds.SliceThickness = 1.0
        ds.ConvolutionKernel = "T20f"
        ds.WindowCenter, ds.WindowWidth = -300, 1400
        _set_pixels(ds, np.rint(projection[::-1]).astype(np.int16))
        _write(ds, folder / f"IM{instance:04d}.dcm")
    return study.uid("series", LOCALIZER_SERIES)
