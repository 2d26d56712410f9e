"""The metrics of one timepoint: volumes, POI and, with reference masks, agreement with them."""

import json
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from lungtrack.io.images import array_like, read_image, read_mask, voxel_volume_ml
from lungtrack.measure.outcome import qc_outcome
from lungtrack.measure.overlap import dice
from lungtrack.measure.qc import scan_qc
from lungtrack.measure.reference import load_reference
from lungtrack.measure.regions import lobe_measures
from lungtrack.measure.volumes import lung_lesion_volumes, poi
from lungtrack.segment.orientation import spacing_zyx, to_canonical


def reference_metrics(image: sitk.Image, lungs, lesions, measured: dict, ref_lungs=None, ref_lesions=None) -> dict:
    """Dice and errors against reference masks (any grid; resampled nearest-neighbour onto ``image``).

    Errors are measured − reference: ``lung_ml_error`` and ``lesion_ml_error`` in mL, ``poi_error``
    in percentage points. A reference lung mask counts every non-zero voxel as lung; reference
    lesions count only inside the reference lung when one is given (POI is defined within the lung).
    """
    voxel_ml = voxel_volume_ml(image)
    out = {}
    ref_lung = None
    if ref_lungs:
        ref_lung = sitk.GetArrayFromImage(load_reference(ref_lungs, image)) > 0
        out["ref_lung_ml"] = float(ref_lung.sum()) * voxel_ml
        out["dice_lung"] = dice(lungs > 0, ref_lung)
        out["lung_ml_error"] = measured["lung_ml"] - out["ref_lung_ml"]
    if ref_lesions:
        ref_lesion = sitk.GetArrayFromImage(load_reference(ref_lesions, image)) > 0
        if ref_lung is not None:
            ref_lesion &= ref_lung
        out["ref_lesion_ml"] = float(ref_lesion.sum()) * voxel_ml
        out["dice_lesion"] = dice(lesions > 0, ref_lesion)
        out["lesion_ml_error"] = measured["lesion_ml"] - out["ref_lesion_ml"]
        if ref_lung is not None:
            out["ref_poi"] = poi(out["ref_lesion_ml"], out["ref_lung_ml"])
            out["poi_error"] = measured["poi"] - out["ref_poi"]
    return out


def _canonical(array: np.ndarray, image: sitk.Image) -> np.ndarray:
    """A (z, y, x) array on ``image``'s grid, reoriented to canonical LPS (see ``segment.orientation``)."""
    return sitk.GetArrayFromImage(to_canonical(array_like(array, image)))


def case_qc(image: sitk.Image, lungs: np.ndarray, lesions: np.ndarray) -> dict:
    """QC record (``qc``, ``qc_reasons``) of one scan, see :mod:`lungtrack.measure.qc`."""
    canonical = to_canonical(image)
    hu = sitk.GetArrayViewFromImage(canonical)  # the CT's own integers: QC only compares them with thresholds
    return scan_qc(_canonical(lungs, image), _canonical(lesions, image), spacing_zyx(canonical), hu)


def lobe_metrics(lobes: np.ndarray, lesions: np.ndarray, voxel_ml: float) -> dict:
    """``{"lobes": {lobe: {lung_ml, lesion_ml, poi, severity}}, "lobe_severity_total": 0-25}`` of a lobe map
    (1..5, ``lungtrack.labels.LOBES``) and the lesions on its grid; lung_ml is the lobe's volume (mL)."""
    rows = lobe_measures(lobes, lesions, voxel_ml)
    per_lobe = {}
    for row in rows:
        if row["region"] != "all":
            per_lobe.setdefault(row["region"], {})[row["metric"]] = row["value"]
    return {"lobes": per_lobe, "lobe_severity_total": int(rows[-1]["value"])}


def measure_case(image_path, lungs_path, lesions_path, sidecar_path=None, ref_lungs=None, ref_lesions=None,
                 lobes_path=None) -> dict:
    """All metrics of one timepoint as a JSON-ready dict (volumes mL, POI %, QC, see README); with a lobe map
    (``lobes_path``), POI and CT severity score per lobe (:func:`lobe_metrics`).

    ``status`` is ``ok``, or ``failed`` at step ``qc`` when quality control failed (see
    :mod:`lungtrack.measure.outcome`); the measurements are kept either way.
    """
    image = read_image(image_path)
    lungs, lesions = (sitk.GetArrayFromImage(read_mask(path, image)) for path in (lungs_path, lesions_path))
    acquisition = json.loads(Path(sidecar_path).read_text()) if sidecar_path else {}
    measured = lung_lesion_volumes(lungs, lesions, voxel_volume_ml(image))
    qc = case_qc(image, lungs, lesions)
    record = {
        "patient_id": acquisition.get("patient_id"),
        "study_date": acquisition.get("study_date"),
        "timepoint": acquisition.get("timepoint"),
        **measured,
        **reference_metrics(image, lungs, lesions, measured, ref_lungs, ref_lesions),
        **qc,
        **qc_outcome(qc),
        "acquisition": acquisition,
        "paths": {"image": str(image_path), "lungs": str(lungs_path), "lesions": str(lesions_path)},
    }
    if lobes_path:
        record.update(lobe_metrics(sitk.GetArrayFromImage(read_mask(lobes_path, image)), lesions, voxel_volume_ml(image)))
        record["paths"]["lobes"] = str(lobes_path)
    return record
