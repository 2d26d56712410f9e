"""DICOM SR of one scan's measurements (highdicom Comprehensive 3D SR, TID 1500 Measurement Report).

Measurement groups (tracking identifier = the group's name):

- ``Right lung``, ``Left lung`` (TID 1411, referencing SEG segments 1 and 2): Volume (mL),
  Lesion volume (mL), Percentage of infection (%);
- ``Ground-glass opacity``, ``Consolidation`` (TID 1411, segments 3 and 4): Volume (mL);
- each lobe, with a lobe map (TID 1411, segments 5-9): Volume, Lesion volume (mL), POI (%), CT severity score (0-5);
- ``Both lungs`` (TID 1501, the whole scan): Volume, Lesion volume (mL), POI (%), CT severity score
  (six zones, 0-30; with lobes also the five-lobe score, 0-25, as a second score item), and the
  qualitative evaluation ``Change vs previous scan`` (progression, regression or stable) after the baseline.

Values that are not finite (POI of an empty lung) are left out.
"""

import math

import highdicom as hd
from highdicom.sr import (
    FindingSite,
    Measurement,
    MeasurementReport,
    MeasurementsAndQualitativeEvaluations,
    ObservationContext,
    ObserverContext,
    QualitativeEvaluation,
    ReferencedSegment,
    SourceSeriesForSegmentation,
    TrackingIdentifier,
    VolumetricROIMeasurementsAndQualitativeEvaluations,
)
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from lungtrack import __version__
from lungtrack.export.codes import (
    CHANGE,
    CHANGE_VALUES,
    FIRST_LOBE_SEGMENT,
    LESION_SEGMENTS,
    LESION_VOLUME,
    LOBE_SEGMENTS,
    LUNG_SEGMENTS,
    MILLILITER,
    NO_UNITS,
    PERCENT,
    POI,
    SCHEME,
    SCHEME_NAME,
    SEVERITY,
    VOLUME,
)
from lungtrack.labels import LOBES

SERIES_NUMBER = 902


def _measurements(items, algorithm) -> list[Measurement]:
    """Measurement items of (name, value, unit), skipping values that are not finite."""
    return [Measurement(name=name, value=float(value), unit=unit, algorithm_id=algorithm,
                        method=codes.DCM.SumOfSegmentedVoxelMethodForVolume if name == VOLUME else None)
            for name, value, unit in items if value is not None and math.isfinite(value)]


def _site(segment) -> FindingSite:
    return FindingSite(anatomic_location=segment.site or segment.type, laterality=segment.laterality)


def _roi_group(seg: Dataset, number: int, segment, items, algorithm):
    """TID 1411 group of one SEG segment."""
    reference = ReferencedSegment(
        sop_class_uid=seg.SOPClassUID, sop_instance_uid=seg.SOPInstanceUID, segment_number=number,
        source_series=SourceSeriesForSegmentation(seg.ReferencedSeriesSequence[0].SeriesInstanceUID))
    return VolumetricROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=TrackingIdentifier(uid=hd.UID(), identifier=segment.label),
        referenced_segment=reference, finding_type=segment.type, finding_sites=[_site(segment)],
        algorithm_id=algorithm, measurements=_measurements(items, algorithm))


def measurement_report(sources, seg: Dataset, metrics: dict, severity: int, *, lobes: dict | None = None,
                       change: str | None = None, backend: str = "threshold") -> hd.sr.Comprehensive3DSR:
    """The SR of one scan.

    ``metrics``: the metrics JSON of :func:`lungtrack.measure.metrics.measure_case` (mL, %);
    ``severity``: six-zone CT severity score (0-30); ``lobes``: region -> metric -> value rows of
    :func:`lungtrack.measure.regions.lobe_measures` regrouped (``lobe_severity_total`` under ``all``), or
    None; ``change``: the change call vs the previous scan, or None at baseline.
    """
    algorithm = hd.sr.AlgorithmIdentification(name="lungtrack", version=__version__, parameters=[backend])
    groups = []
    for number, side in ((1, "right"), (2, "left")):
        groups.append(_roi_group(seg, number, LUNG_SEGMENTS[number], [
            (VOLUME, metrics[f"lung_{side}_ml"], MILLILITER),
            (LESION_VOLUME, metrics[f"lesion_{side}_ml"], MILLILITER),
            (POI, metrics[f"poi_{side}"], PERCENT)], algorithm))
    for number, key in ((3, "ggo_ml"), (4, "consolidation_ml")):
        groups.append(_roi_group(seg, number, LESION_SEGMENTS[number], [(VOLUME, metrics[key], MILLILITER)], algorithm))
    scores = [(SEVERITY, severity, NO_UNITS)]
    if lobes is not None:
        for label, name in LOBES.items():
            row = lobes[name]
            groups.append(_roi_group(seg, FIRST_LOBE_SEGMENT + label - 1, LOBE_SEGMENTS[label], [
                (VOLUME, row["lung_ml"], MILLILITER), (LESION_VOLUME, row["lesion_ml"], MILLILITER),
                (POI, row["poi"], PERCENT), (SEVERITY, row["severity"], NO_UNITS)], algorithm))
        scores.append((SEVERITY, lobes["all"]["lobe_severity_total"], NO_UNITS))
    evaluations = [QualitativeEvaluation(CHANGE, CHANGE_VALUES[change])] if change else None
    groups.append(MeasurementsAndQualitativeEvaluations(
        tracking_identifier=TrackingIdentifier(uid=hd.UID(), identifier="Both lungs"),
        finding_type=codes.SCT.Lung, finding_sites=[FindingSite(codes.SCT.Lung)], algorithm_id=algorithm,
        measurements=_measurements([(VOLUME, metrics["lung_ml"], MILLILITER),
                                    (LESION_VOLUME, metrics["lesion_ml"], MILLILITER),
                                    (POI, metrics["poi"], PERCENT), *scores], algorithm),
        qualitative_evaluations=evaluations))
    device = ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=hd.UID(), name="lungtrack", manufacturer_name="lungtrack", model_name=f"lungtrack {backend}"))
    report = MeasurementReport(observation_context=ObservationContext(observer_device_context=device),
                               procedure_reported=codes.LN.CTUnspecifiedBodyRegion, imaging_measurements=groups)
    sr = hd.sr.Comprehensive3DSR(
        evidence=[*sources, seg], content=report, series_instance_uid=hd.UID(), series_number=SERIES_NUMBER,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="lungtrack", is_complete=True,
        series_description="lungtrack measurements")
    scheme = Dataset()
    scheme.CodingSchemeDesignator = SCHEME
    scheme.CodingSchemeName = SCHEME_NAME
    scheme.CodingSchemeResponsibleOrganization = "lungtrack"
    sr.CodingSchemeIdentificationSequence = [scheme]
    return sr
