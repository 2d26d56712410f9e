"""Safe file names from identifiers (patient IDs, case keys), and the names of files found by convention."""

import re
from pathlib import Path

SAFE = re.compile(r"[^A-Za-z0-9._-]")


def path_safe(text: str) -> str:
    """``text`` with every character outside [A-Za-z0-9._-] replaced by '_' (never empty)."""
    return SAFE.sub("_", text.strip()) or "_"


def lobe_map_path(lobes_dir, patient_id: str, timepoint: str) -> Path:
    """Where a scan's lobe map lies: ``<lobes_dir>/<patient_id>/<timepoint>_lobes.nii.gz``."""
    return Path(lobes_dir) / patient_id / f"{timepoint}_lobes.nii.gz"
