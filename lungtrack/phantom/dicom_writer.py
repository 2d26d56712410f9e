"""Synthetic CT as DICOM: one CT Image Storage file per slice, built by one slice writer (:func:`_ct_slice`).

- :func:`write_axial_series` and :func:`write_localizer` write a phantom case (:mod:`lungtrack.phantom.case`)
  as the demo cohort's study: full patient and study headers, UIDs derived from the study's seed
  (``pydicom.uid.generate_uid(entropy_srcs=...)``, so the same seed gives the same UIDs), identity
  direction (rows along +y posterior, columns along +x patient's left), slice k at origin + k * slice
  spacing along z, HU = stored - 1024.
- :func:`write_series` writes any HU volume with exactly known geometry (test data and benchmarks):
  ``positions`` (z, 3) are the ImagePositionPatient of each slice in LPS mm; files get random names and
  shuffled InstanceNumbers so that readers must sort slices by position; random UIDs. Transfer
  syntaxes: explicit VR little endian, RLE lossless and JPEG 2000 lossless (pydicom encoders), JPEG
  lossless process 14 (GDCM through SimpleITK).

Every ``volume`` or ``case.ct`` is a (z, y, x) array in HU; pixel spacing is (between rows, between
columns) mm as in DICOM.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
    generate_uid,
)

INTERCEPT = -1024.0
AXIAL_SERIES, LOCALIZER_SERIES = 2, 1
SYNTAXES = ("explicit", "rle", "jpeg2000", "jpeg-lossless")


def _ds(value: float, decimals: int = 6) -> str:
    """A decimal string (DS) rounded to ``decimals`` places, without trailing zeros (``-1024``, ``0.7``)."""
    text = f"{float(value):.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _ct_slice(sop_uid: str, stored: np.ndarray, position, orientation, pixel_spacing, thickness: float,
              slope: float = 1.0, intercept: float = INTERCEPT) -> Dataset:
    """One CT Image Storage dataset (explicit VR little endian): file meta, SOP, image plane and pixels.

    ``stored``: (rows, columns) int16 or uint16 stored values, HU = stored * ``slope`` + ``intercept``;
    ``position`` (x, y, z) LPS mm of the first pixel; ``orientation`` the row and column direction
    cosines; ``pixel_spacing`` (between rows, between columns) mm; ``thickness`` mm.
    """
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.Modality = "CT"
    ds.Manufacturer = "LUNGTRACK"
    ds.ImagePositionPatient = [_ds(v) for v in position]
    ds.ImageOrientationPatient = [_ds(v, 8) for v in orientation]
    ds.PixelSpacing = [_ds(v) for v in pixel_spacing]
    ds.SliceThickness = _ds(thickness, 4)
    ds.RescaleIntercept = _ds(intercept)
    ds.RescaleSlope = _ds(slope)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = stored.shape
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = int(stored.dtype.kind == "i")
    ds.PixelData = stored.astype(stored.dtype.newbyteorder("<"), copy=False).tobytes()
    return ds


def _save(ds: Dataset, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


# --- the phantom's studies -------------------------------------------------------------------------


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


def _study_slice(study: Study, series_number: int, description: str, image_type: list, instance: int,
                 hu: np.ndarray, position, orientation, pixel_spacing, thickness: float) -> Dataset:
    """A slice of ``study`` (``hu``: int16 (rows, columns) HU) with the patient, study and series headers."""
    stored = (hu.astype(np.int32) - int(INTERCEPT)).astype(np.int16)
    ds = _ct_slice(study.uid("sop", series_number, instance), stored, position, orientation, pixel_spacing, thickness)
    ds.ImageType = image_type
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = study.study_date
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = study.study_time
    ds.AccessionNumber = study.accession
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
    ds.RescaleType = "HU"
    return ds


def write_axial_series(case, study: Study, folder, kernel: str = "LUNG") -> str:
    """Write the CT of ``case`` (int16 HU, (z, y, x)) as one file per slice into ``folder``.

    Instance 1 is the most superior slice (head-first acquisition order). Returns the series UID.
    """
    dz, dy, dx = case.spacing_zyx
    ox, oy, oz = case.origin
    n = case.ct.shape[0]
    for k in range(n):
        instance = n - k
        z = oz + k * dz
        ds = _study_slice(study, AXIAL_SERIES, f"CHEST {dz:g}mm {kernel}", ["ORIGINAL", "PRIMARY", "AXIAL"], instance,
                          case.ct[k], (ox, oy, z), (1, 0, 0, 0, 1, 0), (dy, dx), dz)
        ds.SliceLocation = _ds(z)
        ds.SpacingBetweenSlices = ds.SliceThickness
        ds.ConvolutionKernel = kernel
        ds.WindowCenter, ds.WindowWidth = -600, 1500
        _save(ds, Path(folder) / f"IM{instance:04d}.dcm")
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
        (case.ct.mean(axis=1), (1, 0, 0, 0, 0, -1), (ox, oy + (ny - 1) / 2 * dy, top), dx),
        (case.ct.mean(axis=2), (0, 1, 0, 0, 0, -1), (ox + (nx - 1) / 2 * dx, oy, top), dy),
    )
    for instance, (projection, orientation, position, column_mm) in enumerate(views, start=1):
        ds = _study_slice(study, LOCALIZER_SERIES, "TOPOGRAM", ["ORIGINAL", "PRIMARY", "LOCALIZER"], instance,
                          np.rint(projection[::-1]).astype(np.int16), position, orientation, (dz, column_mm), 1.0)
        ds.ConvolutionKernel = "T20f"
        ds.WindowCenter, ds.WindowWidth = -300, 1400
        _save(ds, Path(folder) / f"IM{instance:04d}.dcm")
    return study.uid("series", LOCALIZER_SERIES)


# --- series of exactly known geometry (tests, benchmarks) ------------------------------------------


def _jpeg_lossless(frame: np.ndarray) -> tuple[bytes, str]:
    """One frame encoded as JPEG lossless by GDCM; returns (fragment bytes, transfer syntax UID)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "frame.dcm")
        writer = sitk.ImageFileWriter()
        writer.SetImageIO("GDCMImageIO")
        writer.SetFileName(path)
        writer.SetUseCompression(True)
        writer.SetCompressor("JPEG")
        writer.Execute(sitk.GetImageFromArray(frame[None]))
        encoded = pydicom.dcmread(path)
    fragments = pydicom.encaps.generate_fragmented_frames(encoded.PixelData)
    return b"".join(next(fragments)), str(encoded.file_meta.TransferSyntaxUID)


def _encode(ds: Dataset, frame: np.ndarray, syntax: str) -> None:
    """Re-encode the pixels of ``ds`` (stored values ``frame``) in transfer ``syntax`` (one of ``SYNTAXES``)."""
    if syntax == "jpeg-lossless":
        fragment, uid = _jpeg_lossless(frame)
        ds.PixelData = encapsulate([fragment])
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = uid
    elif syntax != "explicit":
        ds.compress(RLELossless if syntax == "rle" else JPEG2000Lossless, frame)


def write_series(folder, volume, positions, *, pixel_spacing=(0.7, 0.7), orientation=(1, 0, 0, 0, 1, 0),
                 slope=1.0, intercept=-1024.0, slice_thickness=None, syntax="explicit", header=None,
                 seed=0) -> list[Path]:
    """Write ``volume`` (z, y, x, HU) as one CT series into ``folder``; returns the file paths.

    ``pixel_spacing`` is (between rows, between columns) mm as in DICOM; ``slice_thickness`` mm
    (default: the median gap between ``positions`` along the slice normal); ``header`` overrides or adds
    attributes by keyword (PatientID, StudyDate, SeriesDescription, Modality, ImageType, ...).
    """
    if syntax not in SYNTAXES:
        raise ValueError(f"syntax must be one of {SYNTAXES}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    stored = np.rint((np.asarray(volume).astype(np.float64) - intercept) / slope)
    stored = stored.astype(np.int16 if stored.min() < 0 else np.uint16)
    header = dict(header or {})
    study_uid = header.pop("StudyInstanceUID", None) or generate_uid()
    series_uid = header.pop("SeriesInstanceUID", None) or generate_uid()
    gaps = np.diff(np.asarray(positions, float) @ np.cross(orientation[:3], orientation[3:]))
    thickness = slice_thickness or (float(np.median(np.abs(gaps))) if len(gaps) else 1.0)
    numbers = rng.permutation(len(stored)) + 1
    paths = []
    for k, frame in enumerate(stored):
        ds = _ct_slice(generate_uid(), frame, positions[k], orientation, pixel_spacing, thickness, slope, intercept)
        ds.PatientID = "LT0001"
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.StudyDate = "20200301"
        ds.StudyTime = "120000"
        ds.SeriesNumber = 2
        ds.SeriesDescription = "CHEST 1.0"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ConvolutionKernel = "B30f"
        ds.InstanceNumber = int(numbers[k])
        for keyword, value in header.items():
            setattr(ds, keyword, value)
        _encode(ds, frame, syntax)
        path = folder / f"{rng.integers(16**8):08x}"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def axial_positions(n, spacing_z, origin=(0.0, 0.0, 0.0), step=None) -> np.ndarray:
    """(n, 3) positions (LPS mm) of an axial stack: ``origin`` + k * ``step`` (default (0, 0, ``spacing_z``))."""
    step = np.asarray(step if step is not None else (0.0, 0.0, spacing_z), float)
    return np.asarray(origin, float) + np.arange(n)[:, None] * step
