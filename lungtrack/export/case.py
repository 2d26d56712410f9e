"""Export one analysed scan as DICOM: a SEG of its masks and an SR of its measurements (see ``seg``, ``sr``)."""

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.export import seg as seg_module
from lungtrack.export import source
from lungtrack.export.sr import measurement_report
from lungtrack.io.atomic import atomic_path
from lungtrack.io.images import read_grid, read_mask, voxel_volume_ml
from lungtrack.io.scan_files import read_measured_masks
from lungtrack.measure.change import call_interval, volume_change_pct
from lungtrack.measure.regions import lobe_measures, zone_measures
from lungtrack.segment.orientation import to_canonical
from lungtrack.settings import default

log = logging.getLogger("lungtrack.export")


@dataclass(frozen=True)
class ExportOptions:
    """How to write: SEG type (binary or fractional), patient attributes, backend name, change thresholds."""

    seg_type: str = "binary"
    keep_patient_attributes: bool = False
    backend: str = "threshold"
    min_poi_change_pp: float = default("tracking", "min_poi_change_pp")
    min_volume_change_pct: float = default("tracking", "min_lesion_volume_change_pct")


def _read_json(path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot read metrics JSON ({type(exc).__name__})") from None


def change_call(metrics: dict, previous: dict, options: ExportOptions) -> str:
    """Change call (progression, regression, stable) of ``metrics`` vs the ``previous`` scan's metrics."""
    return call_interval(metrics["poi"] - previous["poi"], volume_change_pct(previous["lesion_ml"], metrics["lesion_ml"]),
                         options.min_poi_change_pp, options.min_volume_change_pct)


def _regions(lungs: sitk.Image, lesions: sitk.Image, lobes: sitk.Image | None):
    """(six-zone severity score 0-30, lobe rows as region -> metric -> value or None), on canonical arrays."""
    voxel_ml = voxel_volume_ml(lungs)
    lung_array, lesion_array = (sitk.GetArrayFromImage(to_canonical(i)) for i in (lungs, lesions))
    severity = next(r["value"] for r in zone_measures(lung_array, lesion_array, voxel_ml)
                    if r["metric"] == "severity_total")
    if lobes is None:
        return severity, None
    table = {}
    for row in lobe_measures(sitk.GetArrayFromImage(to_canonical(lobes)), lesion_array, voxel_ml):
        table.setdefault(row["region"], {})[row["metric"]] = row["value"]
    return severity, table


def export_case(metrics_path, lungs_path, lesions_path, source_paths, seg_out, sr_out, *, previous_metrics=None,
                lobes_path=None, options: ExportOptions = ExportOptions()) -> bool:
    """Write the SEG and SR of the analysed scan of ``metrics_path`` and its masks; False when skipped.

    ``lungs_path``, ``lesions_path``: the lung and lesion masks that the metrics file measured
    (:func:`lungtrack.io.scan_files.read_measured_masks`).

    ``source_paths``: the files of the scan's DICOM series (any order). A scan whose input was not
    DICOM (no ``acquisition.series_uid`` in its metrics) is skipped with a log line.
    ``previous_metrics``: the metrics JSON of the patient's previous analysed scan, for the change call.
    ``lobes_path``: lobe labels (1-5, :data:`lungtrack.labels.LOBES`) on the CT's grid, or None.
    """
    metrics = _read_json(metrics_path)
    series_uid = (metrics.get("acquisition") or {}).get("series_uid")
    if not series_uid:
        log.info("%s: input was not DICOM (no series_uid); no DICOM SEG/SR written", metrics_path)
        return False
    lungs, lesions = read_measured_masks(metrics, metrics_path, read_grid(lungs_path), lungs_path, lungs_path,
                                         lesions_path, "the lung mask")
    lobes = read_mask(lobes_path, lungs, "lobe labels", "the masks") if lobes_path else None

    headers = source.read_series(source_paths)
    if {str(ds.SeriesInstanceUID) for ds in headers} != {series_uid}:
        raise InputError(source_paths[0], f"source files are not (only) of series {series_uid}")
    sources = headers if options.keep_patient_attributes else source.pseudonymous(headers, metrics["patient_id"])
    lung_frames = source.frames(lungs, sources)
    if np.any(sitk.GetArrayViewFromImage(lungs)) and not lung_frames.any():
        raise InputError(lungs_path, f"masks do not overlap the slices of series {series_uid}")
    lobe_frames = source.frames(lobes, sources) if lobes is not None else None
    seg = seg_module.segmentation(sources, lung_frames, source.frames(lesions, sources), lobe_frames,
                                  seg_type=options.seg_type, backend=options.backend)
    severity, lobe_table = _regions(lungs, lesions, lobes)
    change = change_call(metrics, _read_json(previous_metrics), options) if previous_metrics else None
    sr = measurement_report(sources, seg, metrics, severity, lobes=lobe_table, change=change, backend=options.backend)
    for dataset, out in ((seg, seg_out), (sr, sr_out)):
        with atomic_path(out) as tmp:
            dataset.save_as(tmp, enforce_file_format=True)
    log.info("%s/%s: SEG (%s, %d segments) and SR written%s", metrics["patient_id"], metrics["timepoint"],
             options.seg_type, len(seg.SegmentSequence), f", change vs previous: {change}" if change else "")
    return True
