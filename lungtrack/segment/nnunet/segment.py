"""Lungs and lesions of one CT from one or two trained nnU-Net models (backend ``nnunet``).

Options mirror the ``nnunet`` config section: ``model`` (lungs, and lesions unless
``lesion_model`` is given), ``labels`` / ``lesion_labels`` (role -> model labels, see
``labels``), ``device``, ``folds``, ``mirroring``, ``step_size``, ``workers``. Each model is
loaded once per process. Masks are uint8 on the CT's own grid.
"""

import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.segment.nnunet import labels as roles
from lungtrack.segment.nnunet.model import as_volume, back_on_grid, load_model


def _predict(volume: sitk.Image, model, labels, need: str, device="cpu", folds=None, mirroring=False,
             step_size=0.5, workers=2):
    """(model label array (z, y, x) of ``volume``, role map) for a model that has ``need`` ("lungs"/"lesions")."""
    if model is None:
        raise InputError(None, "backend nnunet needs a trained model folder (nnunet.model or --model)")
    net = load_model(str(model), device, tuple(folds) if folds is not None else None, bool(mirroring),
                     float(step_size), int(workers))
    mapping = roles.label_map(net.labels, labels, net.folder)
    if need == "lungs" and not roles.has_lungs(mapping):
        raise InputError(net.folder, "this model has no lung labels (roles lung_right, lung_left, lung)")
    if need == "lesions" and not roles.has_lesions(mapping):
        raise InputError(net.folder, "this model has no lesion labels (roles ggo, consolidation, lesion);"
                                     " name a lesion model (nnunet.lesion_model or --lesion-model)")
    return net.predict_array(volume), mapping


def _lungs(seg, mapping, volume: sitk.Image):
    return roles.lungs_from(seg, mapping, sitk.GetArrayFromImage(volume), volume.GetSpacing()[::-1])


def segment_lungs(image: sitk.Image, model=None, labels=None, lesion_model=None, lesion_labels=None,
                  **model_opts) -> sitk.Image:
    """Lungs (1 right, 2 left) of ``image`` predicted by ``model``."""
    volume = as_volume(image)
    seg, mapping = _predict(volume, model, labels, "lungs", **model_opts)
    return back_on_grid(_lungs(seg, mapping, volume), volume, image)


def segment_lesions(image: sitk.Image, lungs: sitk.Image | None = None, model=None, labels=None,
                    lesion_model=None, lesion_labels=None, **model_opts) -> sitk.Image:
    """Lesions (1 GGO, 2 consolidation) of ``image``, kept inside ``lungs`` when given.

    Predicted by ``lesion_model`` (with ``lesion_labels``) when set, else by ``model``.
    """
    if lesion_model is not None:
        model, labels = lesion_model, lesion_labels
    volume = as_volume(image)
    seg, mapping = _predict(volume, model, labels, "lesions", **model_opts)
    lung_array = sitk.GetArrayFromImage(as_volume(lungs, sitk.sitkUInt8)) if lungs is not None else None
    return back_on_grid(roles.lesions_from(seg, mapping, lung_array), volume, image)


def segment_case(image: sitk.Image, model=None, labels=None, lesion_model=None, lesion_labels=None,
                 **model_opts) -> tuple[sitk.Image, sitk.Image]:
    """(lungs, lesions) of ``image``, predicting once per model (once in all when one model gives both)."""
    volume = as_volume(image)
    seg, mapping = _predict(volume, model, labels, "lungs", **model_opts)
    lungs = _lungs(seg, mapping, volume)
    if lesion_model is not None:
        seg, mapping = _predict(volume, lesion_model, lesion_labels, "lesions", **model_opts)
    elif not roles.has_lesions(mapping):
        raise InputError(model, "this model has no lesion labels; name a lesion model (nnunet.lesion_model)")
    lesions = roles.lesions_from(seg, mapping, lungs)
    return back_on_grid(lungs, volume, image), back_on_grid(lesions, volume, image)
