"""Segmentation backends: name -> function, so that other methods plug in beside ``threshold``.

A lung backend is ``f(image: sitk.Image, **opts) -> sitk.Image`` returning uint8 labels
(0 background, 1 right lung, 2 left lung) on ``image``'s grid. A lesion backend is
``f(image: sitk.Image, lungs: sitk.Image, **opts) -> sitk.Image`` returning uint8 labels
(0, 1 GGO, 2 consolidation) on the same grid, only inside ``lungs``. Entries are
"module:function" strings imported on first use, so heavy backends cost nothing until chosen.
"""

import importlib

import SimpleITK as sitk

LUNG_BACKENDS = {
    "threshold": "lungtrack.segment.lungs:segment_lungs_threshold",
    "nnunet": "lungtrack.segment.nnunet:segment_lungs",
}
LESION_BACKENDS = {
    "threshold": "lungtrack.segment.lesions:segment_lesions_threshold",
    "nnunet": "lungtrack.segment.nnunet:segment_lesions",
}


def _resolve(table: dict, backend: str):
    if backend not in table:
        raise ValueError(f"unknown segmentation backend {backend!r}; available: {', '.join(sorted(table))}")
    module, function = table[backend].split(":")
    return getattr(importlib.import_module(module), function)


def segment_lungs(image: sitk.Image, backend: str = "threshold", **opts) -> sitk.Image:
    """Lung labels (uint8: 0, 1 right, 2 left) on ``image``'s grid, by ``backend``."""
    return _resolve(LUNG_BACKENDS, backend)(image, **opts)


def segment_lesions(image: sitk.Image, lungs: sitk.Image, backend: str = "threshold", **opts) -> sitk.Image:
    """Lesion labels (uint8: 0, 1 GGO, 2 consolidation) inside ``lungs`` on ``image``'s grid."""
    return _resolve(LESION_BACKENDS, backend)(image, lungs, **opts)
