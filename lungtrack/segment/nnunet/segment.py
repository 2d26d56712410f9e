"""Lungs, lesions and lobes of one CT from one or two trained nnU-Net models (backend ``nnunet``).

Options mirror the ``nnunet`` config section: ``model`` (lungs, and lesions unless
``lesion_model`` is given), ``labels`` / ``lesion_labels`` (role -> model labels, see
``labels``), ``preset`` (a published model: its folder in the weights folder ``model`` and its
label map, see ``presets``), ``device``, ``folds``, ``mirroring``, ``step_size``, ``workers``.
Every model is checked (labels, input channel, normalisation) before any weights load, and
loaded once per process. Masks are uint8 on the CT's own grid.
"""

import logging

import numpy as np
import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.segment.nnunet import labels as roles
from lungtrack.segment.nnunet.check import ModelInfo, hu_input, inspect_model
from lungtrack.segment.nnunet.model import as_volume, back_on_grid, load_model
from lungtrack.segment.nnunet.presets import preset as preset_spec
from lungtrack.segment.nnunet.presets import preset_folder

log = logging.getLogger(__name__)

NEEDS = {"lungs": (roles.has_lungs, "lung labels (roles lung_right, lung_left, lung or the five lobes)"),
         "lesions": (roles.has_lesions, "lesion labels (roles ggo, consolidation, lesion); name a lesion model"
                                        " (nnunet.lesion_model or --lesion-model)"),
         "lobes": (roles.has_lobes, f"lobe labels (roles {', '.join(roles.LOBE_ROLES)})")}


def check_model(model, labels=None, preset=None, need: str = "lungs", hu: bool = True) -> tuple[ModelInfo, dict]:
    """(model facts, role map) of a model that has ``need`` and takes a HU volume when ``hu``; no weights load.

    InputError names the model's labels and the roles when its labels do not fit, and the reason
    when its input does not.
    """
    if model is None:
        raise InputError(None, "backend nnunet needs a trained model folder (nnunet.model or --model)")
    if preset:
        model, labels = preset_folder(preset, model), labels or preset_spec(preset)["labels"]
    info = inspect_model(str(model))
    mapping = roles.label_map(info.labels, labels, info.folder)
    has, what = NEEDS[need]
    if not has(mapping):
        raise InputError(info.folder, f"this model has no {what}")
    if hu:
        hu_input(info)
    return info, mapping


def gives_lobes(model, labels=None, preset=None) -> bool:
    """Whether the model gives lobes: its preset, ``labels`` or dataset.json names the five lobe roles.

    A model folder that does not exist yet (to be trained) gives none.
    """
    if preset:
        return roles.has_lobes(preset_spec(preset)["labels"])
    if labels:
        return roles.has_lobes(labels)
    try:
        return roles.has_lobes({name: [value] for name, value in inspect_model(str(model)).labels.items()})
    except InputError:
        return False


def windowed(volume: sitk.Image, window) -> sitk.Image:
    """HU mapped linearly to 0-255 between ``window`` (lo, hi) HU, clipped (as 8-bit slices are made)."""
    lo, hi = window
    return sitk.Cast(sitk.Clamp(volume, sitk.sitkFloat32, lo, hi) - lo, sitk.sitkFloat32) * (255.0 / (hi - lo))


def _predict(volume: sitk.Image, info: ModelInfo, hu: bool, device="cpu", folds=None, mirroring=False,
             step_size=0.5, workers=2) -> np.ndarray:
    """The model's label array (z, y, x) of ``volume`` (HU when ``hu``, windowed if the model needs it)."""
    net = load_model(str(info.folder), device, tuple(folds) if folds is not None else None, bool(mirroring),
                     float(step_size), int(workers))
    window = hu_input(info) if hu else None
    if window is None:
        return net.predict_array(volume)
    return net.predict_array(windowed(volume, window), per_slice=info.is_2d)


def _lungs(seg, mapping, volume: sitk.Image):
    return roles.lungs_from(seg, mapping, sitk.GetArrayFromImage(volume), volume.GetSpacing()[::-1])


def segment_lungs(image: sitk.Image, model=None, labels=None, lesion_model=None, lesion_labels=None, preset=None,
                  **model_opts) -> sitk.Image:
    """Lungs (1 right, 2 left) of ``image`` predicted by ``model``."""
    hu = image.GetDimension() == 3
    info, mapping = check_model(model, labels, preset, "lungs", hu)
    volume = as_volume(image)
    return back_on_grid(_lungs(_predict(volume, info, hu, **model_opts), mapping, volume), volume, image)


def segment_lesions(image: sitk.Image, lungs: sitk.Image | None = None, model=None, labels=None,
                    lesion_model=None, lesion_labels=None, preset=None, **model_opts) -> sitk.Image:
    """Lesions (1 GGO, 2 consolidation) of ``image``, kept inside ``lungs`` when given.

    Predicted by ``lesion_model`` (with ``lesion_labels``) when set, else by ``model``.
    """
    if lesion_model is not None:
        model, labels, preset = lesion_model, lesion_labels, None
    hu = image.GetDimension() == 3
    info, mapping = check_model(model, labels, preset, "lesions", hu)
    volume = as_volume(image)
    seg = _predict(volume, info, hu, **model_opts)
    lung_array = sitk.GetArrayFromImage(as_volume(lungs, sitk.sitkUInt8)) if lungs is not None else None
    return back_on_grid(roles.lesions_from(seg, mapping, lung_array), volume, image)


def predict_case(image: sitk.Image, model=None, labels=None, lesion_model=None, lesion_labels=None, preset=None,
                 **model_opts) -> dict:
    """The models' raw label maps of ``image`` (uint8, on its own grid): ``{"model"}`` and, with a
    ``lesion_model``, ``"lesion_model"``. Both models are checked before either loads."""
    hu = image.GetDimension() == 3
    checked = {"model": check_model(model, labels, preset, "lungs", hu)}
    if lesion_model is not None:
        checked["lesion_model"] = check_model(lesion_model, lesion_labels, None, "lesions", hu)
    volume = as_volume(image)
    return {key: back_on_grid(_predict(volume, info, hu, **model_opts), volume, image)
            for key, (info, _) in checked.items()}


def masks_from(image: sitk.Image, predictions: dict, model=None, labels=None, lesion_model=None, lesion_labels=None,
               preset=None, **_model_opts) -> dict:
    """``{"lungs", "lesions", "lobes"}`` of ``image`` from the raw label maps of :func:`predict_case` (lobes None
    when the model has none); no network runs.

    Lesions come from the ``"lesion_model"`` map, else from the model's; when neither has lesion labels (a
    lung or lobe model such as TotalSegmentator's), from the threshold backend inside the model's lungs.
    """
    hu = image.GetDimension() == 3
    info, mapping = check_model(model, labels, preset, "lungs", hu)
    volume = as_volume(image)
    seg = sitk.GetArrayFromImage(as_volume(predictions["model"], sitk.sitkUInt8))
    lungs = _lungs(seg, mapping, volume)
    out = {"lobes": back_on_grid(roles.lobes_from(seg, mapping, lungs), volume, image)
           if roles.has_lobes(mapping) else None}
    if lesion_model is not None:
        _, mapping = check_model(lesion_model, lesion_labels, None, "lesions", hu)
        seg = sitk.GetArrayFromImage(as_volume(predictions["lesion_model"], sitk.sitkUInt8))
    out["lungs"] = back_on_grid(lungs, volume, image)
    if lesion_model is None and not roles.has_lesions(mapping):
        from lungtrack.segment.lesions import segment_lesions_threshold

        log.info("%s has no lesion labels: lesions from the threshold backend inside its lungs", info.folder)
        out["lesions"] = segment_lesions_threshold(image, out["lungs"])
    else:
        out["lesions"] = back_on_grid(roles.lesions_from(seg, mapping, lungs), volume, image)
    return out


def segment_all(image: sitk.Image, **opts) -> dict:
    """``{"lungs", "lesions", "lobes"}`` of ``image``: :func:`predict_case`, then :func:`masks_from`."""
    return masks_from(image, predict_case(image, **opts), **opts)


def segment_case(image: sitk.Image, **opts) -> tuple[sitk.Image, sitk.Image]:
    """(lungs, lesions) of ``image``: :func:`segment_all` without the lobes."""
    masks = segment_all(image, **opts)
    return masks["lungs"], masks["lesions"]
