"""Presets: published nnU-Net models that lungtrack knows, found in their own weights folder.

A preset (``nnunet.preset``) names the model's task folder (``DatasetXXX_Name/Trainer__Plans__Config``),
the command that downloads it, and the roles of its label names (``presets/*.yaml``). With a preset,
``nnunet.model`` is the tool's weights folder, e.g. ``~/.totalsegmentator/nnunet/results``; the
folder above it (``~/.totalsegmentator``) or the task folder itself is accepted too.
"""

import functools
from pathlib import Path

import yaml

from lungtrack.errors import InputError

PRESET_DIR = Path(__file__).resolve().parent / "presets"


@functools.cache
def presets() -> dict:
    """Preset name -> {dataset, model, download, labels} from every ``presets/*.yaml``."""
    out = {}
    for path in sorted(PRESET_DIR.glob("*.yaml")):
        out.update(yaml.safe_load(path.read_text())["presets"])
    return out


def preset(name: str) -> dict:
    """One preset (InputError naming the known ones when unknown)."""
    known = presets()
    if name not in known:
        raise InputError(None, f"unknown nnunet.preset {name!r}; presets are {sorted(known)}")
    return known[name]


def preset_folder(name: str, weights_dir) -> Path:
    """The preset's ``Trainer__Plans__Config`` folder in ``weights_dir`` (InputError with the download command)."""
    spec = preset(name)
    base = Path(weights_dir).expanduser()
    relative = Path(spec["dataset"]) / spec["model"]
    for folder in (base / relative, base / "nnunet" / "results" / relative, base / spec["model"], base):
        if folder.name == spec["model"] and (folder / "plans.json").is_file():
            return folder
    raise InputError(base, f"no {relative} for nnunet.preset {name} here; download it with `{spec['download']}`"
                           " and set nnunet.model to its weights folder (~/.totalsegmentator/nnunet/results)")
