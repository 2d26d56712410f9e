"""Segmentation of chest CT: lungs (1 right, 2 left) and lesions (1 GGO, 2 consolidation).

``segment_lungs(image, backend="threshold", **opts)`` and
``segment_lesions(image, lungs, backend="threshold", **opts)`` take and return SimpleITK images
(HU in, uint8 labels out, on the input's grid); backends are listed in ``backends``.
"""

from lungtrack.segment.backends import LESION_BACKENDS, LUNG_BACKENDS, segment_lesions, segment_lungs

__all__ = ["LESION_BACKENDS", "LUNG_BACKENDS", "segment_lesions", "segment_lungs"]
