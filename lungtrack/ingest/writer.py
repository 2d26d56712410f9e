"""Writing a HU volume as a DICOM CT series with exactly known geometry (test data and benchmarks).

``volume`` is (z, y, x) in HU; ``positions`` (z, 3) are the ImagePositionPatient of each slice in
LPS mm. Files get random names and shuffled InstanceNumbers so that readers must sort slices by
position. Transfer syntaxes: explicit VR little endian, RLE lossless and JPEG 2000 lossless (pydicom
encoders), JPEG lossless process 14 (GDCM through SimpleITK).
"""

import tempfile
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.dataset import FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    CTImageStorage,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
    generate_uid,
)

SYNTAXES = ("explicit", "rle", "jpeg2000", "jpeg-lossless")


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


def write_series(folder, volume, positions, *, pixel_spacing=(0.7, 0.7), orientation=(1, 0, 0, 0, 1, 0),
                 slope=1.0, intercept=-1024.0, slice_thickness=None, syntax="explicit", header=None,
                 seed=0) -> list[Path]:
    """Write ``volume`` (z, y, x, HU) as one CT series into ``folder``; returns the file paths.

    ``pixel_spacing`` is (between rows, between columns) mm as in DICOM; ``header`` overrides or adds
    attributes by keyword (PatientID, StudyDate, SeriesDescription, Modality, ImageType, ...).
    """
    if syntax not in SYNTAXES:
        raise ValueError(f"syntax must be one of {SYNTAXES}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    volume = np.asarray(volume)
    stored = np.rint((volume.astype(np.float64) - intercept) / slope)
    signed = stored.min() < 0
    stored = stored.astype(np.int16 if signed else np.uint16)
    header = dict(header or {})
    study_uid = header.pop("StudyInstanceUID", None) or generate_uid()
    series_uid = header.pop("SeriesInstanceUID", None) or generate_uid()
    gaps = np.diff(np.asarray(positions, float) @ np.cross(orientation[:3], orientation[3:]))
    thickness = slice_thickness or (float(np.median(np.abs(gaps))) if len(gaps) else 1.0)
    numbers = rng.permutation(len(volume)) + 1
    paths = []
    for k, frame in enumerate(stored):
        ds = pydicom.Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
        ds.Modality = "CT"
        ds.PatientID = "LT0001"
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.StudyDate = "20200301"
        ds.StudyTime = "120000"
        ds.SeriesNumber = 2
        ds.SeriesDescription = "CHEST 1.0"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.Manufacturer = "LUNGTRACK"
        ds.ConvolutionKernel = "B30f"
        ds.InstanceNumber = int(numbers[k])
        ds.ImagePositionPatient = [f"{v:.6f}" for v in positions[k]]
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in orientation]
        ds.PixelSpacing = [f"{v:.6f}" for v in pixel_spacing]
        ds.SliceThickness = f"{thickness:.4f}"
        ds.RescaleSlope = f"{slope:g}"
        ds.RescaleIntercept = f"{intercept:g}"
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = frame.shape
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = int(signed)
        for keyword, value in header.items():
            setattr(ds, keyword, value)
        if syntax == "jpeg-lossless":
            fragment, uid = _jpeg_lossless(frame)
            ds.PixelData = encapsulate([fragment])
            ds["PixelData"].VR = "OB"
            ds.file_meta.TransferSyntaxUID = uid
        else:
            ds.PixelData = frame.tobytes()
            if syntax != "explicit":
                ds.compress(RLELossless if syntax == "rle" else JPEG2000Lossless, frame)
        path = folder / f"{rng.integers(16**8):08x}"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def axial_positions(n, spacing_z, origin=(0.0, 0.0, 0.0), step=None) -> np.ndarray:
    """(n, 3) positions of an axial stack: ``origin`` + k * ``step`` (default (0, 0, spacing_z))."""
    step = np.asarray(step if step is not None else (0.0, 0.0, spacing_z), float)
    return np.asarray(origin, float) + np.arange(n)[:, None] * step
