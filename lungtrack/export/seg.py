"""DICOM SEG of one scan's masks (highdicom): right and left lung, GGO, consolidation and, when given, lobes.

Segment numbers: 1 right lung, 2 left lung, 3 ground-glass opacity, 4 consolidation, 5-9 the lobes
(right upper, middle, lower, left upper, lower). Binary SEG stores one bit per pixel; fractional stores
0 or 255 (``PROBABILITY``, maximum 255): lungtrack's masks are hard labels either way.
"""

import highdicom as hd
import numpy as np
from highdicom.sr import CodedConcept
from pydicom.sr.codedict import codes

from lungtrack import __version__
from lungtrack.export.codes import FIRST_LOBE_SEGMENT, LESION_SEGMENTS, LOBE_SEGMENTS, LUNG_SEGMENTS, Segment
from lungtrack.labels import CONSOLIDATION, GGO, LEFT, RIGHT

SEG_TYPES = ("binary", "fractional")
SERIES_NUMBER = 901
ALGORITHM_FAMILY = {"threshold": codes.DCM.MorphologicalOperations}


def _coded(code) -> CodedConcept:
    return CodedConcept(code.value, code.scheme_designator, code.meaning)


def _description(number: int, segment: Segment, backend: str) -> hd.seg.SegmentDescription:
    algorithm = hd.AlgorithmIdentificationSequence(
        name="lungtrack", version=__version__,
        family=ALGORITHM_FAMILY.get(backend, codes.DCM.ArtificialIntelligence),
        parameters={"backend": backend})
    description = hd.seg.SegmentDescription(
        segment_number=number, segment_label=segment.label, segmented_property_category=segment.category,
        segmented_property_type=segment.type, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
        algorithm_identification=algorithm, tracking_uid=hd.UID(), tracking_id=segment.label,
        anatomic_regions=[segment.site] if segment.site else None)
    if segment.laterality is not None:
        description.SegmentedPropertyTypeCodeSequence[0].SegmentedPropertyTypeModifierCodeSequence = [
            _coded(segment.laterality)]
    return description


def segments(lungs: np.ndarray, lesions: np.ndarray, lobes: np.ndarray | None = None):
    """(segment number, Segment, boolean mask) of every segment, from label arrays of the same shape.

    ``lungs``: 1 right, 2 left; ``lesions``: 1 GGO, 2 consolidation; ``lobes``: 1-5 as
    :data:`lungtrack.labels.LOBES` (or None).
    """
    out = [(1, LUNG_SEGMENTS[1], lungs == RIGHT), (2, LUNG_SEGMENTS[2], lungs == LEFT),
           (3, LESION_SEGMENTS[3], lesions == GGO), (4, LESION_SEGMENTS[4], lesions == CONSOLIDATION)]
    if lobes is not None:
        out += [(FIRST_LOBE_SEGMENT + label - 1, segment, lobes == label) for label, segment in LOBE_SEGMENTS.items()]
    return out


def segmentation(sources, lungs: np.ndarray, lesions: np.ndarray, lobes: np.ndarray | None = None, *,
                 seg_type: str = "binary", backend: str = "threshold") -> hd.seg.Segmentation:
    """The SEG of label arrays on the source frames (frames, rows, columns), frames in ``sources`` order.

    ``sources`` are the source images' datasets (headers suffice); the SEG takes its patient and
    study attributes from them and references every one.
    """
    if seg_type not in SEG_TYPES:
        raise ValueError(f"seg_type must be one of {SEG_TYPES}")
    parts = segments(lungs, lesions, lobes)
    pixels = np.stack([mask for _, _, mask in parts], axis=-1).astype(np.uint8)
    fractional = seg_type == "fractional"
    return hd.seg.Segmentation(
        source_images=sources, pixel_array=pixels,
        segmentation_type=hd.seg.SegmentationTypeValues.FRACTIONAL if fractional else hd.seg.SegmentationTypeValues.BINARY,
        fractional_type=hd.seg.SegmentationFractionalTypeValues.PROBABILITY if fractional else None,
        segment_descriptions=[_description(number, segment, backend) for number, segment, _ in parts],
        series_instance_uid=hd.UID(), series_number=SERIES_NUMBER, sop_instance_uid=hd.UID(), instance_number=1,
        manufacturer="lungtrack", manufacturer_model_name=f"lungtrack {backend}", software_versions=__version__,
        device_serial_number="0", series_description="lungtrack lungs and lesions",
        content_label="LUNGTRACK", content_description=f"lungtrack {backend} segmentation ({seg_type})")
