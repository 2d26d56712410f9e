"""Backend ``nnunet``: lungs and lesions from trained nnU-Net v2 models, run in-process.

``segment_lungs``, ``segment_lesions``, ``segment_case`` and ``segment_all`` (lungs, lesions and
lobes) take the options of the ``nnunet`` config section; ``segment_all`` is ``predict_case`` (the
networks' raw label maps: all that a batch of CTs needs of the loaded models) then ``masks_from``;
``check_model`` checks a model folder before loading it; ``NnunetModel`` predicts a model's raw
label map of any image.
"""

from lungtrack.segment.nnunet.model import NnunetModel, load_model
from lungtrack.segment.nnunet.segment import (check_model, gives_lobes, masks_from, predict_case, segment_all, segment_case,
                                              segment_lesions, segment_lungs)

__all__ = ["NnunetModel", "check_model", "gives_lobes", "load_model", "masks_from", "predict_case", "segment_all",
           "segment_case", "segment_lesions", "segment_lungs"]
