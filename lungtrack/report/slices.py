"""Axial CT slices with lung and lesion contours, as PNG images, at the positions ``lungtrack track`` chose.

Slices are 2-D arrays (y, x) of one axial slice in canonical orientation (y = 0 anterior at the
top, x = 0 at the patient's right on the left of the image: the radiological view).
"""

import io
from pathlib import Path

import numpy as np
import SimpleITK as sitk
from PIL import Image
from skimage.segmentation import find_boundaries
from skimage.transform import resize

from lungtrack.errors import InputError
from lungtrack.io.scan_files import ScanFiles
from lungtrack.labels import CONSOLIDATION, GGO
from lungtrack.track.registration import identity, read_transform, warp_image, warp_labels
from lungtrack.track.scans import load_scan

#: Lung window: level and width in HU.
LUNG_WINDOW = (-600.0, 1500.0)
#: Contour colours (RGB): lung, GGO, consolidation; the report's legend uses the same colours.
CONTOURS = {"lung": (56, 189, 248), GGO: (242, 193, 78), CONSOLIDATION: (209, 73, 91)}


def crop_box(lungs: list[np.ndarray], margin: int = 8) -> tuple[slice, slice]:
    """(y, x) slices around the lungs of all given slices, with ``margin`` pixels; the whole slice if none."""
    union = np.any([m > 0 for m in lungs], axis=0)
    if not union.any():
        return slice(None), slice(None)
    ys, xs = np.nonzero(union.any(axis=1))[0], np.nonzero(union.any(axis=0))[0]
    h, w = union.shape
    return (slice(max(0, ys[0] - margin), min(h, ys[-1] + margin + 1)),
            slice(max(0, xs[0] - margin), min(w, xs[-1] + margin + 1)))


def slice_png(ct: np.ndarray, lungs: np.ndarray, lesions: np.ndarray, spacing_yx: tuple[float, float],
              box: tuple[slice, slice], max_px: int = 360) -> bytes:
    """PNG of one slice in the lung window with lung (blue) and GGO/consolidation contours.

    ``ct`` in HU, ``lungs`` and ``lesions`` label arrays of the same (y, x) shape; ``spacing_yx``
    pixel size in mm, used to keep the aspect ratio; the longer side is scaled to ``max_px`` pixels.
    """
    ct, lungs, lesions = ct[box], lungs[box], lesions[box]
    height_mm, width_mm = ct.shape[0] * spacing_yx[0], ct.shape[1] * spacing_yx[1]
    scale = max_px / max(height_mm, width_mm)
    shape = (max(1, round(height_mm * scale)), max(1, round(width_mm * scale)))
    level, width = LUNG_WINDOW
    gray = np.clip((ct.astype(np.float32) - (level - width / 2)) / width, 0.0, 1.0)
    gray = resize(gray, shape, order=1, anti_aliasing=True)
    rgb = np.repeat((gray * 255).astype(np.uint8)[..., None], 3, axis=2)
    masks = [("lung", resize(lungs > 0, shape, order=0)),
             *((label, resize(lesions == label, shape, order=0)) for label in (GGO, CONSOLIDATION))]
    for key, mask in masks:
        rgb[find_boundaries(mask, mode="inner")] = CONTOURS[key]
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def draw_slices(positions: list[dict], tracking_dir,
                scans: dict[str, tuple[dict, Path, ScanFiles]]) -> dict[tuple[str, str], bytes]:
    """PNG of every slice position of ``tracking.json`` (``slices``), keyed by (level, study_date).

    ``scans``: timepoint -> (metrics record, its file, the scan's CT and mask files). Each scan is
    resampled onto the baseline slice ``z_index`` through its transform (a file relative to
    ``tracking_dir``; none for the baseline); the slices of one level share one crop box around their lungs.
    """
    tracking_dir = Path(tracking_dir)
    missing = sorted({p["timepoint"] for p in positions} - set(scans))
    if missing:
        raise InputError(tracking_dir / "tracking.json", f"slices of timepoints without their metrics file, CT and "
                                                         f"masks given: {missing}")
    (baseline_tp,) = {p["timepoint"] for p in positions if p["transform"] is None}
    baseline = load_scan(*scans[baseline_tp])
    planes = {}
    for timepoint in dict.fromkeys(p["timepoint"] for p in positions):
        scan = baseline if timepoint == baseline_tp else load_scan(*scans[timepoint])
        for p in (p for p in positions if p["timepoint"] == timepoint):
            transform = identity() if p["transform"] is None else read_transform(tracking_dir / p["transform"])
            reference = baseline.ct[:, :, p["z_index"]:p["z_index"] + 1]
            planes[p["level"], p["study_date"]] = (
                sitk.GetArrayFromImage(warp_image(scan.ct, reference, transform))[0],
                sitk.GetArrayFromImage(warp_labels(scan.lungs, reference, transform))[0],
                sitk.GetArrayFromImage(warp_labels(scan.lesions, reference, transform))[0],
            )
    spacing_yx = baseline.ct.GetSpacing()[1::-1]
    pngs = {}
    for level in dict.fromkeys(p["level"] for p in positions):
        keys = [k for k in planes if k[0] == level]
        box = crop_box([planes[k][1] for k in keys])
        pngs.update({k: slice_png(*planes[k], spacing_yx, box) for k in keys})
    return pngs
