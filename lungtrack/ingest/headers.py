"""Reading DICOM headers only (no pixel data) from any folder tree.

Only the attributes that ingest needs are read (``specific_tags``); identifying attributes such as
AccessionNumber or InstitutionName are never read, so they cannot leak into any output. PatientName
and PatientBirthDate are turned into a hash at once (``SliceHeader.identity``, to tell two people
under one PatientID apart) and never kept. Positions and spacings are in mm, patient (LPS) coordinates.
"""

import contextlib
import hashlib
import logging
import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from lungtrack.ingest.privacy import identity_hash

DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
CT_SOP_CLASSES = ("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.2.1")  # (Enhanced) CT Image Storage

# the only attributes read from each file
TAGS = [
    "SOPClassUID", "Modality", "PatientID", "StudyInstanceUID", "StudyDate", "StudyTime",
    "SeriesDate", "AcquisitionDate", "ContentDate", "SeriesInstanceUID", "SeriesNumber",
    "SeriesDescription", "ImageType", "InstanceNumber", "Rows", "Columns", "PixelSpacing",
    "ImageOrientationPatient", "ImagePositionPatient", "SliceThickness", "ConvolutionKernel",
    "Manufacturer", "GantryDetectorTilt", "NumberOfFrames", "SpecificCharacterSet",
    "PatientName", "PatientBirthDate",  # hashed at once, see SliceHeader.identity
]


@dataclass(frozen=True)
class SliceHeader:
    """Header facts of one DICOM file; ``path`` is relative to the scanned root."""

    path: str
    sop_class_uid: str
    modality: str
    patient_id: str
    study_uid: str
    study_date: str  # YYYYMMDD or "" (StudyDate, else SeriesDate, AcquisitionDate, ContentDate)
    study_time: str
    series_uid: str
    series_number: int | None
    series_description: str
    image_type: tuple[str, ...]
    instance_number: int | None
    rows: int | None
    columns: int | None
    pixel_spacing: tuple[float, float] | None  # (between rows, between columns) mm
    orientation: tuple[float, ...] | None  # ImageOrientationPatient: row then column direction cosines
    position: tuple[float, float, float] | None  # ImagePositionPatient of the first voxel, mm
    slice_thickness: float | None  # mm
    kernel: str
    manufacturer: str
    gantry_tilt: float | None  # degrees
    n_frames: int
    identity: str = ""  # identity_hash(PatientName, PatientBirthDate); "" when both are empty


def _text(ds, keyword) -> str:
    value = ds.get(keyword)
    if value is None:
        return ""
    if isinstance(value, pydicom.multival.MultiValue):
        return "\\".join(str(v) for v in value).strip()
    return str(value).strip()


def _number(ds, keyword, kind=float):
    try:
        value = ds.get(keyword)
        return None if value in (None, "") else kind(value)
    except (TypeError, ValueError):
        return None


def _floats(ds, keyword, count):
    try:
        values = tuple(float(v) for v in ds.get(keyword) or ())
    except (TypeError, ValueError):
        return None
    return values if len(values) == count else None


def header_from_dataset(ds, path: str) -> SliceHeader:
    """Pick the ingest attributes out of a pydicom dataset (Modality CT when absent from a CT image)."""
    date = next((_text(ds, k) for k in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")
                 if _text(ds, k)), "")
    return SliceHeader(
        path=path,
        sop_class_uid=_text(ds, "SOPClassUID"),
        modality=_text(ds, "Modality").upper() or ("CT" if _text(ds, "SOPClassUID") in CT_SOP_CLASSES else ""),
        patient_id=_text(ds, "PatientID"),
        study_uid=_text(ds, "StudyInstanceUID"),
        study_date=date[:8],
        study_time=_text(ds, "StudyTime"),
        series_uid=_text(ds, "SeriesInstanceUID"),
        series_number=_number(ds, "SeriesNumber", int),
        series_description=_text(ds, "SeriesDescription"),
        image_type=tuple(v.strip().upper() for v in _text(ds, "ImageType").split("\\") if v.strip()),
        instance_number=_number(ds, "InstanceNumber", int),
        rows=_number(ds, "Rows", int),
        columns=_number(ds, "Columns", int),
        pixel_spacing=_floats(ds, "PixelSpacing", 2),
        orientation=_floats(ds, "ImageOrientationPatient", 6),
        position=_floats(ds, "ImagePositionPatient", 3),
        slice_thickness=_number(ds, "SliceThickness"),
        kernel=_text(ds, "ConvolutionKernel"),
        manufacturer=_text(ds, "Manufacturer"),
        gantry_tilt=_number(ds, "GantryDetectorTilt"),
        n_frames=_number(ds, "NumberOfFrames", int) or 1,
        identity=identity_hash(_text(ds, "PatientName"), _text(ds, "PatientBirthDate")),
    )


def substitute_series_uid(header: SliceHeader) -> str:
    """A stable stand-in for a missing SeriesInstanceUID (exports that blank UIDs).

    Files in one folder with the same study, series number, description and image size share it;
    it is a UUID-derived UID ("2.25." + 128-bit number), safe in file names and shell commands.
    """
    key = "|".join(str(v) for v in (str(Path(header.path).parent), header.study_uid, header.series_number,
                                     header.series_description, header.modality, header.rows, header.columns))
    return "2.25." + str(int(hashlib.sha256(key.encode()).hexdigest()[:32], 16))


def _read(path, force=False):
    """(dataset without pixel data, whether the file ended before any pixel data)."""
    with open(path, "rb") as fp:
        ds = pydicom.dcmread(fp, stop_before_pixels=True, specific_tags=TAGS, force=force)
        return ds, fp.tell() >= os.fstat(fp.fileno()).st_size


def read_header(path, root=None) -> SliceHeader:
    """Header of one file (no pixel data).

    Raises ``ValueError`` with a short reason when the file is not a readable DICOM image: empty,
    not readable by the operating system (permissions, a symbolic link loop), not DICOM at all, a
    DICOMDIR, a CT image whose file ends before its pixel data (truncated header), or a DICOM
    object with neither SeriesInstanceUID nor Rows. A missing SeriesInstanceUID of an image is
    replaced by ``substitute_series_uid``.
    """
    path = Path(path)
    rel = str(path.relative_to(root)) if root is not None else str(path)
    try:
        empty = path.stat().st_size == 0
        ds, ended = _read(path)
    except OSError as exc:
        raise ValueError(f"cannot read ({exc.strerror or type(exc).__name__})") from None
    except InvalidDicomError:
        if empty:
            raise ValueError("empty file (0 bytes)") from None
        # some exports write DICOM without the 128-byte preamble; accept them only if they parse
        # into an object with the identifiers an image must have
        try:
            ds, ended = _read(path, force=True)
        except Exception:  # noqa: BLE001 - any parser failure means "not DICOM"
            raise ValueError("not a DICOM file") from None
        if not (ds.get("SOPClassUID") and ds.get("SeriesInstanceUID")):
            raise ValueError("not a DICOM file") from None
    except Exception as exc:  # noqa: BLE001 - truncated or corrupt files
        raise ValueError(f"unreadable DICOM ({type(exc).__name__})") from None
    media_class = str(getattr(ds, "file_meta", {}).get("MediaStorageSOPClassUID", ""))
    if DICOMDIR_SOP_CLASS in (media_class, str(ds.get("SOPClassUID", ""))):
        raise ValueError("DICOMDIR (an index of the export, not an image)")
    if ended and (ds.get("Rows") or str(ds.get("SOPClassUID", "")) in CT_SOP_CLASSES):
        raise ValueError("file ends before its pixel data (truncated)")
    try:
        header = header_from_dataset(ds, rel)
    except Exception as exc:  # noqa: BLE001 - malformed values
        raise ValueError(f"malformed DICOM header ({type(exc).__name__})") from None
    if not header.series_uid:
        if not header.rows:
            raise ValueError("DICOM object without SeriesInstanceUID or Rows (not an image)")
        header = replace(header, series_uid=substitute_series_uid(header))
    return header


def walk_files(root, unreadable=None):
    """All files below ``root`` (any depth, any name), sorted; hidden files included.

    Folders that cannot be listed are appended to ``unreadable`` (a list) as (path, reason) and
    skipped; symbolic links to folders are not followed (no loops).
    """
    root = Path(root)
    if root.is_file():
        return [root]

    def refused(error):
        if unreadable is not None:
            unreadable.append((Path(error.filename), f"folder cannot be read ({error.strerror})"))

    found = []
    for folder, dirs, files in os.walk(root, onerror=refused):
        dirs.sort()
        found.extend(Path(folder) / name for name in sorted(files))
    return found


def scan(root, paths=None, progress=True):
    """Read the headers of every file below ``root`` (or of ``paths``).

    Returns ``(headers, skipped)``: a list of SliceHeader and a list of (relative path, reason)
    for files that are not readable DICOM images and folders that cannot be listed. Shows a tqdm
    bar on stderr.
    """
    from tqdm import tqdm

    root = Path(root)
    base = root if root.is_dir() else root.parent
    unreadable = []
    paths = walk_files(root, unreadable) if paths is None else paths
    headers = []
    skipped = [(str(folder.relative_to(base)), reason) for folder, reason in unreadable]
    with warnings.catch_warnings(), _quiet(logging.getLogger("pydicom")):
        warnings.simplefilter("ignore")  # pydicom warns on every odd header; the inventory gives reasons
        for path in tqdm(paths, desc="DICOM headers", unit="file", disable=not progress, leave=False):
            try:
                headers.append(read_header(path, base))
            except ValueError as exc:
                skipped.append((str(Path(path).relative_to(base)), str(exc)))
    return headers, skipped


@contextlib.contextmanager
def _quiet(logger):
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
