"""Backend ``nnunet``: lungs and lesions from trained nnU-Net v2 models, run in-process.

``segment_lungs``, ``segment_lesions`` and ``segment_case`` take the options of the ``nnunet``
config section; ``NnunetModel`` predicts a model's raw label map of any image.
"""

from lungtrack.segment.nnunet.model import NnunetModel, load_model
from lungtrack.segment.nnunet.segment import segment_case, segment_lesions, segment_lungs

__all__ = ["NnunetModel", "load_model", "segment_case", "segment_lesions", "segment_lungs"]
