"""Defaults of the tracking and report settings (config keys ``tracking:`` and ``report:``).

Plain constants, so that the command line can show them without importing numerical libraries.
The README explains each choice.
"""

#: Smallest POI change (percentage points) that can be called progression or regression.
MIN_POI_CHANGE_PP = 2.0
#: Smallest total lesion volume change (%) that can be called progression or regression.
MIN_LESION_VOLUME_CHANGE_PCT = 25.0
#: Per-lesion volume change (%) beyond which a matched lesion is ``grown`` or ``shrunk``.
LESION_GROWTH_PCT = 25.0
#: Smallest overlap, as a fraction of the smaller lesion, that matches two lesions of consecutive scans.
MIN_LESION_OVERLAP = 0.1
#: Lesion components smaller than this (mL) are not tracked (segmentation specks).
MIN_LESION_ML = 0.05
#: Registration of follow-ups to the baseline: ``rigid``, ``affine`` (rigid then affine) or
#: ``bspline`` (rigid, affine, then a B-spline deformation), all fitted to the lung outline; or
#: ``intensity`` (affine, then a deformation fitted to the CT inside the lungs).
REGISTRATION_METHODS = ("rigid", "affine", "bspline", "intensity")
REGISTRATION = "intensity"
#: Lung volume change (%) between consecutive scans above which the report warns about breath-hold.
LUNG_VOLUME_WARNING_PCT = 15.0
