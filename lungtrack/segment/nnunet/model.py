"""A trained nnU-Net v2 model run in-process: loaded once, then any number of images predicted.

A model folder has nnU-Net's results layout ``Trainer__Plans__Config/`` with ``dataset.json``,
``plans.json`` and ``fold_K/checkpoint_final.pth``; the folder above it (``DatasetXXX_Name/``)
or any folder holding exactly one such model is accepted too. Images are predicted in the
canonical orientation (``sitk.DICOMOrient(img, "LPS")``, array (z, y, x)); 2D images (PNG, JPG)
become one-slice volumes (:func:`as_volume`), the same way the training export stores them.
"""

import functools
import json
import logging
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from lungtrack.errors import InputError
from lungtrack.segment.nnunet.env import configure
from lungtrack.segment.orientation import from_canonical

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint_final.pth"
# Slice spacing (mm) given to one-slice volumes made from 2D images, as nnU-Net does for 2D data.
SLICE_SPACING_2D_MM = 999.0


def resolve_model_folder(path) -> Path:
    """The ``Trainer__Plans__Config`` folder at or below ``path`` (InputError if none or several)."""
    path = Path(path)
    if not path.is_dir():
        raise InputError(path, "nnU-Net model folder does not exist")
    if (path / "plans.json").is_file():
        found = [path]
    else:
        found = sorted({p.parent for pattern in ("*/plans.json", "*/*/plans.json") for p in path.glob(pattern)})
    if len(found) != 1:
        reason = "holds no trained nnU-Net model (no plans.json)" if not found else (
            f"holds {len(found)} nnU-Net models ({', '.join(p.name for p in found)}); name one of them")
        raise InputError(path, reason)
    if not (found[0] / "dataset.json").is_file():
        raise InputError(found[0], "nnU-Net model folder without dataset.json")
    return found[0]


def as_volume(image: sitk.Image, pixel_type=sitk.sitkFloat32) -> sitk.Image:
    """A 3D image in canonical LPS orientation; 2D (and RGB) images become one grey slice; InputError for others."""
    if image.GetDimension() not in (2, 3):
        raise InputError(None, f"a {image.GetDimension()}D image: the nnunet backend takes a 3D CT volume or a 2D image")
    if image.GetNumberOfComponentsPerPixel() > 1:
        channels = [sitk.VectorIndexSelectionCast(image, i, sitk.sitkFloat32)
                    for i in range(image.GetNumberOfComponentsPerPixel())]
        image = functools.reduce(sitk.Add, channels) / len(channels)
    image = sitk.Cast(image, pixel_type)
    if image.GetDimension() == 2:
        volume = sitk.JoinSeries(image)
        volume.SetSpacing((*image.GetSpacing(), SLICE_SPACING_2D_MM))
        return volume
    return sitk.DICOMOrient(image, "LPS")


def back_on_grid(labels: np.ndarray, volume: sitk.Image, image: sitk.Image) -> sitk.Image:
    """A uint8 (z, y, x) label array computed on ``volume = as_volume(image)`` as an image on ``image``'s grid."""
    if image.GetDimension() == 3:
        return from_canonical(labels, volume, image)
    out = sitk.GetImageFromArray(labels[0].astype(np.uint8))
    out.CopyInformation(image)
    return out


class NnunetModel:
    """A trained nnU-Net model folder, loaded once.

    ``device``: "cpu" or "cuda"; ``folds``: folds to ensemble (numbers or "all"; None: the
    first fold with a final checkpoint, the CPU default); ``mirroring``: test-time mirroring
    (8x the time in 3D); ``step_size``: sliding-window step as a fraction of the patch (0.5 =
    nnU-Net's default); ``workers``: CPU threads.
    """

    def __init__(self, folder, device: str = "cpu", folds=None, mirroring: bool = False,
                 step_size: float = 0.5, workers: int = 2):
        self.folder = resolve_model_folder(folder)
        self.dataset = json.loads((self.folder / "dataset.json").read_text())
        available = sorted((p.parent.name.removeprefix("fold_") for p in self.folder.glob(f"fold_*/{CHECKPOINT}")),
                           key=lambda f: (f == "all", int(f) if f.isdigit() else 0))
        if not available:
            raise InputError(self.folder, f"no fold_*/{CHECKPOINT}: the model's training has not finished")
        folds = [str(f) for f in folds] if folds is not None else available[:1]
        missing = [f for f in folds if f not in available]
        if missing:
            raise InputError(self.folder, f"no fold_{missing[0]}/{CHECKPOINT} (folds with one: {available})")
        folds = [f if f == "all" else int(f) for f in folds]
        configure(workers)
        import torch
        from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor

        if device == "cuda" and not torch.cuda.is_available():
            raise InputError(self.folder, "device cuda asked but no CUDA GPU is available")
        self.predictor = nnUNetPredictor(tile_step_size=step_size, use_gaussian=True, use_mirroring=mirroring,
                                         device=torch.device(device), verbose=False, allow_tqdm=False)
        self.predictor.initialize_from_trained_model_folder(str(self.folder), use_folds=folds,
                                                            checkpoint_name=CHECKPOINT)
        log.info("nnU-Net model %s loaded (%s, folds %s, mirroring %s)", self.folder, device, folds, mirroring)

    @property
    def labels(self) -> dict:
        """Label names of the model's dataset.json -> label value (int; 0 = background)."""
        return {name: int(value) for name, value in self.dataset["labels"].items()}

    def predict_array(self, volume: sitk.Image, per_slice: bool = False) -> np.ndarray:
        """The model's labels (uint8, (z, y, x)) of a volume made by :func:`as_volume`.

        ``per_slice``: each axial slice is predicted as an image of its own (a 2D model whose
        training images were single slices normalises each one by itself).
        """
        array = sitk.GetArrayFromImage(volume)[None]  # (channel, z, y, x)
        spacing = list(volume.GetSpacing()[::-1])  # (z, y, x) mm
        if per_slice:
            slices = [self.predictor.predict_single_npy_array(array[:, z:z + 1], {"spacing": [SLICE_SPACING_2D_MM,
                                                                                          *spacing[1:]]})
                      for z in range(array.shape[1])]
            return np.concatenate(slices).astype(np.uint8)
        seg = self.predictor.predict_single_npy_array(array, {"spacing": spacing})
        return np.asarray(seg, dtype=np.uint8)

    def predict(self, image: sitk.Image) -> sitk.Image:
        """The model's label map of ``image`` (uint8, on the image's own grid)."""
        volume = as_volume(image)
        return back_on_grid(self.predict_array(volume), volume, image)


@functools.lru_cache(maxsize=2)
def load_model(folder, device: str = "cpu", folds=None, mirroring: bool = False, step_size: float = 0.5,
               workers: int = 2) -> NnunetModel:
    """:class:`NnunetModel`, loaded once per process for the same arguments (``folds`` a tuple)."""
    return NnunetModel(folder, device, folds, mirroring, step_size, workers)
