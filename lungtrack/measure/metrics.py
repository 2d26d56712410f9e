"""The metrics of one timepoint: volumes, POI and, with reference masks, agreement with them."""

import json
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from lungtrack.io.images import array_like, read_image, read_mask, voxel_volume_ml
from lungtrack.measure.comparison import compare_labels, label_masks
from lungtrack.measure.outcome import qc_outcome
from lungtrack.measure.qc import scan_qc
from lungtrack.measure.reference import load_reference
from lungtrack.measure.regions import lobe_measures
from lungtrack.measure.volumes import lung_lesion_volumes
from lungtrack.segment.orientation import is_canonical, spacing_zyx, to_canonical


def reference_metrics(image: sitk.Image, lungs: np.ndarray, lesions: np.ndarray, ref_lungs=None,
                      ref_lesions=None) -> dict:
    """Dice and errors of the (z, y, x) label maps on ``image``'s grid against reference masks (any grid;
    resampled nearest-neighbour onto ``image``), from :func:`lungtrack.measure.comparison.compare_labels`.

    Errors are measured − reference: ``lung_ml_error`` and ``lesion_ml_error`` in mL, ``poi_error``
    in percentage points. A reference lung mask counts every non-zero voxel as lung; lesions count
    only inside the lung of their own mask set when it has one (POI is defined within the lung).
    """
    paths = {"lungs": ref_lungs, "lesions": ref_lesions}
    refs = {name: sitk.GetArrayFromImage(load_reference(path, image)) for name, path in paths.items() if path}
    if not refs:  # nothing to compare with: no masks of the measured labels are built
        return {}
    ref = label_masks(refs.get("lungs"), refs.get("lesions"))
    rows = compare_labels(label_masks(lungs, lesions), ref, voxel_volume_ml(image), labels=("lung", "lesion"))
    out = {}
    for row in rows:
        name = row["label"]
        out.update({f"ref_{name}_ml": row["ref_ml"], f"dice_{name}": row["dice"],
                    f"{name}_ml_error": row["volume_error_ml"]})
        if name == "lesion" and "lung" in ref:
            out.update(ref_poi=row["ref_poi"], poi_error=row["poi_error_pp"])
    return out


def _canonical(array: np.ndarray, image: sitk.Image) -> np.ndarray:
    """A (z, y, x) array on ``image``'s grid, reoriented to canonical LPS (see ``segment.orientation``);
    the array itself when the grid is canonical."""
    return array if is_canonical(image) else sitk.GetArrayFromImage(to_canonical(array_like(array, image)))


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
        **reference_metrics(image, lungs, lesions, ref_lungs, ref_lesions),
        **qc,
        **qc_outcome(qc),
        "acquisition": acquisition,
        "paths": {"image": str(image_path), "lungs": str(lungs_path), "lesions": str(lesions_path)},
    }
    if lobes_path:
        record.update(lobe_metrics(sitk.GetArrayFromImage(read_mask(lobes_path, image)), lesions, voxel_volume_ml(image)))
        record["paths"]["lobes"] = str(lobes_path)
    return record
