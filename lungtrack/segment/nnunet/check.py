"""What a model folder expects, read from its ``dataset.json`` and ``plans.json`` before any weights load.

A model must take one image channel. A CT in HU suits a model that normalises its channel as CT
(``CTNormalization``, dataset.json channel name "CT"). A model with any other normalisation (an
MRI model's z-score, a 2D model trained on 8-bit slices) gets a HU volume only through a HU window
recorded in its folder by ``lungtrack train --window``: HU are then mapped to 0-255 as the
training slices were, and a 2D model is run slice by slice (its z-score is per slice).
"""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from lungtrack.errors import InputError
from lungtrack.segment.nnunet.model import resolve_model_folder

CT_NORMALIZATION = "CTNormalization"


@dataclass(frozen=True)
class ModelInfo:
    """A model folder's facts: ``labels`` name -> value, ``channels`` (dataset.json channel_names),
    ``configuration`` (e.g. "3d_fullres"), ``normalization`` (per channel, nnU-Net scheme names),
    ``window`` (lo, hi) HU recorded by ``lungtrack train``, or None."""

    folder: Path
    labels: dict
    channels: dict
    configuration: str
    normalization: tuple
    window: tuple | None

    @property
    def is_2d(self) -> bool:
        return self.configuration == "2d"


def _configuration(plans: dict, name: str, folder) -> dict:
    """A configuration of the plans with what it inherits filled in."""
    configurations = plans.get("configurations", {})
    if name not in configurations:
        raise InputError(folder, f"folder name names configuration {name!r}, plans.json has {sorted(configurations)}")
    config = dict(configurations[name])
    if "inherits_from" in config:
        config = {**_configuration(plans, config["inherits_from"], folder), **config}
    return config


@functools.lru_cache(maxsize=8)
def inspect_model(folder) -> ModelInfo:
    """The facts of the model at or below ``folder`` (see :func:`resolve_model_folder`)."""
    folder = resolve_model_folder(folder)
    try:
        dataset = json.loads((folder / "dataset.json").read_text())
        plans = json.loads((folder / "plans.json").read_text())
    except (OSError, ValueError) as exc:
        raise InputError(folder, f"unreadable dataset.json or plans.json: {exc}") from None
    name = folder.name.split("__")[-1]
    config = _configuration(plans, name, folder)
    window = (plans.get("lungtrack_training") or {}).get("window")
    labels = dataset.get("labels", {})
    if any(not isinstance(v, int) for v in labels.values()):
        raise InputError(folder, "region-based labels (lists of values in dataset.json) are not supported")
    return ModelInfo(folder=folder, labels=labels, channels=dataset.get("channel_names", dataset.get("modality", {})),
                     configuration=name, normalization=tuple(config.get("normalization_schemes", ())),
                     window=tuple(float(v) for v in window) if window else None)


def hu_input(info: ModelInfo) -> tuple | None:
    """How a CT volume in HU goes into the model: None (as it is) or the (lo, hi) HU window to 0-255.

    InputError with the reason when the model cannot take it.
    """
    if len(info.channels) != 1:
        raise InputError(info.folder, f"the model expects {len(info.channels)} input channels {info.channels};"
                                      " lungtrack gives one (the CT in HU)")
    if info.normalization == (CT_NORMALIZATION,):
        return None
    if info.window is None:
        channel = next(iter(info.channels.values()))
        raise InputError(info.folder, f"the model normalises its input channel {channel!r} with "
                                      f"{', '.join(info.normalization) or 'no scheme'}, not as CT in HU: it was "
                                      "trained on other images (MRI, 8-bit slices); a model trained on windowed "
                                      "8-bit slices needs its HU window recorded by `lungtrack train --window LO HI`")
    return info.window
