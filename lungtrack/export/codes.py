"""Coded concepts of the DICOM export: segments, measurement names, units and change calls.

Standard codes come from pydicom's code dictionary (SNOMED CT ``SCT``, DICOM ``DCM``, LOINC ``LN``,
UCUM) except SCT 9656002 "Consolidation" (morphologic abnormality), which it lacks. Concepts with no
standard code (percentage of infection, lesion volume within a region, the CT severity score, the
change calls) use the private coding scheme :data:`SCHEME` ("99" prefix, DICOM PS3.16 section 8).
"""

from dataclasses import dataclass

from highdicom.sr import CodedConcept
from pydicom.sr.codedict import codes

#: Private coding scheme of lungtrack's own concepts.
SCHEME = "99LUNGTRACK"
SCHEME_NAME = "lungtrack measurement concepts"

CONSOLIDATION = CodedConcept("9656002", "SCT", "Consolidation")

VOLUME = codes.SCT.Volume
LESION_VOLUME = CodedConcept("LESION_VOLUME", SCHEME, "Lesion volume")
POI = CodedConcept("POI", SCHEME, "Percentage of infection")
SEVERITY = CodedConcept("CTSS", SCHEME, "CT severity score")
CHANGE = CodedConcept("CHANGE", SCHEME, "Change vs previous scan")
#: change call of lungtrack.measure.change -> coded value
CHANGE_VALUES = {
    "progression": CodedConcept("PROGRESSION", SCHEME, "Progression"),
    "regression": CodedConcept("REGRESSION", SCHEME, "Regression"),
    "stable": CodedConcept("STABLE", SCHEME, "Stable"),
}

MILLILITER = CodedConcept("ml", "UCUM", "milliliter")
PERCENT = codes.UCUM.Percent
NO_UNITS = codes.UCUM.NoUnits


@dataclass(frozen=True)
class Segment:
    """One segment of the SEG: its label, coded category and type, laterality (or None) and site."""

    label: str
    category: object
    type: object
    laterality: object = None
    site: object = None


_ANATOMY = codes.SCT.AnatomicalStructure
_ABNORMAL = codes.SCT.MorphologicallyAbnormalStructure

#: segment number -> Segment, in SEG order; lung labels 1 right 2 left, lesion labels 1 GGO 2 consolidation
LUNG_SEGMENTS = {
    1: Segment("Right lung", _ANATOMY, codes.SCT.Lung, codes.SCT.Right),
    2: Segment("Left lung", _ANATOMY, codes.SCT.Lung, codes.SCT.Left),
}
LESION_SEGMENTS = {
    3: Segment("Ground-glass opacity", _ABNORMAL, codes.DCM.GroundGlassOpacity, site=codes.SCT.Lung),
    4: Segment("Consolidation", _ABNORMAL, CONSOLIDATION, site=codes.SCT.Lung),
}
#: lobe label (lungtrack.labels.LOBES) -> Segment; segment numbers 5..9 follow the label order
LOBE_SEGMENTS = {
    1: Segment("Right upper lobe", _ANATOMY, codes.SCT.UpperLobeOfLung, codes.SCT.Right),
    2: Segment("Right middle lobe", _ANATOMY, codes.SCT.MiddleLobeOfRightLung),
    3: Segment("Right lower lobe", _ANATOMY, codes.SCT.LowerLobeOfLung, codes.SCT.Right),
    4: Segment("Left upper lobe", _ANATOMY, codes.SCT.UpperLobeOfLung, codes.SCT.Left),
    5: Segment("Left lower lobe", _ANATOMY, codes.SCT.LowerLobeOfLung, codes.SCT.Left),
}
FIRST_LOBE_SEGMENT = 5
