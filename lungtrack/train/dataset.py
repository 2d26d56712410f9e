"""Labelled cases -> an nnU-Net v2 raw dataset (``dataset.json``, ``imagesTr``, ``labelsTr``).

Cases are image files (3D NIfTI in HU, or 2D slices such as PNG/JPG) with lung and/or lesion
masks of the same name (any extension) in other folders. Images and masks are stored the way
the ``nnunet`` backend predicts (:func:`lungtrack.segment.nnunet.model.as_volume`: canonical LPS
orientation, 2D slices as one-slice volumes). Model labels are named after lungtrack's roles
(``lung``, ``ggo``, ``consolidation``, ``lesion``) so that the backend maps them without
configuration; lesion labels overwrite lung labels. Both lungs are one label: a short CPU
training learns one lung class far more reliably than two mirror-image ones, and the backend
splits right from left geometrically (which also lets training use mirroring augmentation).
"""

import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk
from tqdm import tqdm

from lungtrack.errors import InputError
from lungtrack.io.atomic import write_text
from lungtrack.io.images import read_image, write_image
from lungtrack.labels import CONSOLIDATION, GGO
from lungtrack.measure.reference import load_reference
from lungtrack.segment.nnunet.model import as_volume

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".mha", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
# Mask value conventions: "lungtrack" = lungs 1 right 2 left, lesions 1 GGO 2 consolidation;
# "binary" = any non-zero value is lung / lesion. Either way all lung voxels become label "lung".
MASK_VALUES = ("lungtrack", "binary")


@dataclass(frozen=True)
class LabelledCase:
    """One training case: an image file and its lung and/or lesion mask files (None if absent)."""

    case_id: str
    image: Path
    lungs: Path | None = None
    lesions: Path | None = None


def _stem(path: Path) -> str | None:
    name = path.name
    for suffix in IMAGE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return None


def _by_stem(folder) -> dict:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "folder does not exist")
    return {stem: p for p in sorted(folder.iterdir()) if p.is_file() and (stem := _stem(p)) is not None}


def find_cases(images, lungs=None, lesions=None) -> list[LabelledCase]:
    """Cases of the ``images`` folder whose masks exist in ``lungs`` and/or ``lesions`` (same name)."""
    if lungs is None and lesions is None:
        raise InputError(images, "training needs a lung and/or a lesion mask folder")
    image_files = _by_stem(images)
    lung_files = _by_stem(lungs) if lungs is not None else None
    lesion_files = _by_stem(lesions) if lesions is not None else None
    cases = []
    for stem, image in image_files.items():
        masks = [m for m in (lung_files, lesion_files) if m is not None]
        if all(stem in m for m in masks):
            cases.append(LabelledCase(
                case_id="case_" + re.sub(r"[^A-Za-z0-9]", "_", stem), image=image,
                lungs=lung_files[stem] if lung_files is not None else None,
                lesions=lesion_files[stem] if lesion_files is not None else None))
        else:
            log.warning("%s: no mask of the same name, skipped", image)
    if not cases:
        raise InputError(images, "no image has masks of the same name")
    return cases


def dataset_labels(has_lungs: bool, has_lesions: bool, mask_values: str) -> dict:
    """nnU-Net label names -> values (consecutive, 0 = background) for these masks."""
    if mask_values not in MASK_VALUES:
        raise ValueError(f"mask_values must be one of {MASK_VALUES}, not {mask_values!r}")
    names = ["background"]
    if has_lungs:
        names.append("lung")
    if has_lesions:
        names += ["ggo", "consolidation"] if mask_values == "lungtrack" else ["lesion"]
    return {name: value for value, name in enumerate(names)}


def case_labels(lungs: np.ndarray | None, lesions: np.ndarray | None, labels: dict) -> np.ndarray:
    """One nnU-Net label array from lung and lesion mask arrays (values per ``labels`` names)."""
    out = np.zeros((lungs if lungs is not None else lesions).shape, np.uint8)
    if lungs is not None:
        out[lungs > 0] = labels["lung"]
    if lesions is not None and "lesion" in labels:
        out[lesions > 0] = labels["lesion"]
    elif lesions is not None:
        out[lesions == GGO] = labels["ggo"]
        out[lesions == CONSOLIDATION] = labels["consolidation"]
    return out


def export_dataset(cases: list[LabelledCase], raw_dir, dataset_id: int, name: str,
                   mask_values: str = "lungtrack") -> Path:
    """Write the nnU-Net raw dataset ``raw_dir/DatasetXXX_name`` (replacing an old one); return its folder."""
    folder = Path(raw_dir) / f"Dataset{dataset_id:03d}_{name}"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "imagesTr").mkdir(parents=True)
    (folder / "labelsTr").mkdir()
    labels = dataset_labels(cases[0].lungs is not None, cases[0].lesions is not None, mask_values)
    dims = set()
    for case in tqdm(cases, desc="export", unit="case"):
        image = read_image(case.image)
        dims.add(image.GetDimension())
        if len(dims) > 1:
            raise InputError(case.image, "training cases mix 2D and 3D images")
        masks = [sitk.GetArrayFromImage(as_volume(load_reference(p, image), sitk.sitkUInt8))
                 if p is not None else None for p in (case.lungs, case.lesions)]
        volume = as_volume(image)
        label_image = sitk.GetImageFromArray(case_labels(*masks, labels))
        label_image.CopyInformation(volume)
        write_image(volume, folder / "imagesTr" / f"{case.case_id}_0000.nii.gz")
        write_image(label_image, folder / "labelsTr" / f"{case.case_id}.nii.gz")
    # HU volumes get nnU-Net's CT normalisation; 2D slices (windowed 8-bit) a per-image z-score
    channel = "CT" if dims == {3} else "zscore"
    dataset = {"channel_names": {"0": channel}, "labels": labels, "numTraining": len(cases),
               "file_ending": ".nii.gz", "name": name,
               "description": f"exported by lungtrack train ({mask_values} mask values)"}
    write_text(folder / "dataset.json", json.dumps(dataset, indent=2))
    log.info("exported %d cases (%dD, labels %s) to %s", len(cases), dims.pop(), list(labels), folder)
    return folder
