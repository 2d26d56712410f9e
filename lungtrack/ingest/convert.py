"""Conversion of one DICOM CT series to a SimpleITK image in HU (int16).

Slices are sorted along the slice normal (geometry.analyse), pixel data is decoded by pydicom (its
pixel handlers cover JPEG 2000, JPEG lossless and RLE through the pylibjpeg plugins), rescale slope
and intercept are applied per slice, then gantry tilt and non-uniform spacing are resampled or
refused per ``Policy``. Implausible spacing (:mod:`lungtrack.ingest.plausibility`) and a volume
without air near -1000 HU (rescale slope and intercept missing) are refused. The image keeps the DICOM frame: spacing (x, y, z) mm, origin = first voxel
of the slice lowest along the normal (LPS mm), direction columns = (row_dir, col_dir, normal).
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.ingest import plausibility, spacing, tilt
from lungtrack.ingest.geometry import GeometryError, analyse
from lungtrack.ingest.headers import header_from_dataset

INT16 = np.iinfo(np.int16)


@dataclass(frozen=True)
class Policy:
    """What to do with gantry tilt and non-uniform slice spacing: 'resample' or 'refuse'."""

    tilt: str = "resample"
    nonuniform: str = "resample"


@dataclass
class Converted:
    """The HU image and facts for the sidecar (no identifying data except PatientID)."""

    image: sitk.Image
    first: object  # SliceHeader of the first sorted slice
    tilt_deg: float
    source_slices: int
    resampled: bool
    warnings: list[str] = field(default_factory=list)


def _hu(ds, path) -> np.ndarray:
    """Pixel data of one slice in HU as float32 (rows, columns)."""
    if "PixelData" not in ds:
        raise InputError(path, "no pixel data")
    try:
        pixels = ds.pixel_array
    except Exception as exc:  # noqa: BLE001 - decoder errors differ by plugin
        syntax = getattr(ds.file_meta, "TransferSyntaxUID", "unknown")
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(path, f"cannot decode pixel data (transfer syntax {syntax}): {message}") from None
    if pixels.ndim != 2:
        raise InputError(path, f"pixel data of shape {pixels.shape}: not one grayscale image")
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    return pixels.astype(np.float32) * np.float32(slope) + np.float32(intercept)


def read_datasets(paths):
    """Read every file completely (pixel data included); raises InputError naming a bad file."""
    from tqdm import tqdm

    datasets = []
    for path in tqdm(paths, desc="DICOM slices", unit="file", leave=False):
        try:
            datasets.append(pydicom.dcmread(path, force=True))
        except Exception as exc:  # noqa: BLE001 - truncated or corrupt files
            raise InputError(path, f"unreadable DICOM ({type(exc).__name__})") from None
    return datasets


def _int16(hu: np.ndarray) -> np.ndarray:
    """HU rounded to the nearest integer and clipped to the int16 range."""
    return np.clip(np.rint(hu), INT16.min, INT16.max).astype(np.int16)


def convert(paths, policy: Policy = Policy(), where=None) -> Converted:
    """Convert the files ``paths`` (one series) to an int16 HU image; ``where`` names the series in errors.

    Refusals (geometry, tilt or gaps against ``policy``) are raised before any pixel data is decoded.
    """
    paths = [Path(p) for p in paths]
    where = where or (paths[0].parent if paths else ".")
    datasets = read_datasets(paths)
    by_path = {str(p): ds for p, ds in zip(paths, datasets)}
    try:
        geometry = analyse([header_from_dataset(ds, str(p)) for p, ds in zip(paths, datasets)])
    except GeometryError as exc:
        raise InputError(where, str(exc)) from None
    irregular = bool(geometry.irregular_gaps())
    if geometry.is_tilted and policy.tilt == "refuse":
        raise InputError(where, f"gantry tilt of {geometry.tilt_deg:.1f} deg (ingest.tilt: refuse)")
    if irregular and policy.nonuniform == "refuse":
        raise InputError(where, f"{geometry.gap_message()} (ingest.nonuniform: refuse)")
    plausibility.check_spacing((*geometry.spacing_xy, geometry.slice_spacing), where)
    resample = geometry.is_tilted or irregular
    # slice by slice into the final type: float32 only when the volume is resampled afterwards
    volume = np.empty((len(geometry.headers), geometry.size_xy[1], geometry.size_xy[0]),
                      np.float32 if resample else np.int16)
    for k, header in enumerate(geometry.headers):
        hu = _hu(by_path[header.path], header.path)
        volume[k] = hu if resample else _int16(hu)
    rescale = "" if "RescaleIntercept" in by_path[geometry.headers[0].path] else \
        "RescaleSlope and RescaleIntercept are absent"
    plausibility.check_hu(float(volume.min()), float(volume.max()), where, rescale)
    result = Converted(image=None, first=geometry.headers[0], tilt_deg=geometry.tilt_deg,
                       source_slices=len(geometry.headers), resampled=resample)
    origin = geometry.positions[0].copy()
    if geometry.is_tilted:
        volume, start = tilt.deshear(volume, geometry.in_plane_offsets, geometry.spacing_xy,
                                     fill=float(volume.min()))
        origin += start[0] * geometry.row_dir + start[1] * geometry.col_dir
        result.warnings.append(f"gantry tilt of {geometry.tilt_deg:.1f} deg: resampled onto a grid "
                               "orthogonal to the slices")
    distances = geometry.distances
    step = float(distances[-1] / (len(distances) - 1))
    if irregular:
        targets = spacing.uniform_distances(distances)
        volume = spacing.interpolate(volume, distances, targets)
        step = float(targets[1] - targets[0])
        result.warnings.append(f"{geometry.gap_message()}: resampled to {len(targets)} slices "
                               f"{step:.3f} mm apart")
    image = sitk.GetImageFromArray(_int16(volume) if resample else volume)
    image.SetSpacing((*geometry.spacing_xy, step))
    image.SetOrigin(tuple(float(v) for v in origin))
    image.SetDirection(tuple(np.column_stack([geometry.row_dir, geometry.col_dir, geometry.normal]).ravel()))
    result.image = image
    return result


def sidecar(result: Converted, patient_id: str, timepoint: str | None = None) -> dict:
    """Sidecar dict of a converted series (keys listed in the project's conversion contract)."""
    first = result.first
    date = first.study_date
    iso = f"{date[:4]}-{date[4:6]}-{date[6:8]}" if len(date) == 8 else ""
    return {
        "patient_id": patient_id,
        "study_date": iso,
        "timepoint": timepoint or date,
        "series_uid": first.series_uid,
        "series_description": first.series_description,
        "modality": first.modality,
        "slice_thickness_mm": first.slice_thickness,
        "kernel": first.kernel,
        "manufacturer": first.manufacturer,
        "spacing_mm": [round(v, 6) for v in result.image.GetSpacing()],
        "size": list(result.image.GetSize()),
        "source_slices": result.source_slices,
        "tilt_deg": round(result.tilt_deg, 3),
        "resampled": result.resampled,
        "warnings": result.warnings,
    }
