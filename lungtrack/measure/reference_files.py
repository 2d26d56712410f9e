"""Where a scan's reference masks lie: ``<reference_dir>/<patient>/<YYYYMMDD>/lungs.nii.gz`` and ``lesions.nii.gz``.

The one lookup of the workflow (rule measure's inputs) and of ``lungtrack evaluate``. Standard
library only: the workflow asks while it is read, in a snakemake that may lack lungtrack's dependencies.
"""

import re
from pathlib import Path

from lungtrack.io.names import path_safe

MASKS = ("lungs", "lesions")


def reference_paths(reference_dir, patient_id: str, study_date: str) -> dict[str, Path]:
    """Existing reference masks of a scan: ``{"lungs": path, "lesions": path}``, either may be missing.

    The patient folder is the PatientID, or the PatientID made path-safe as in the results tree;
    the date folder is the study date (YYYY-MM-DD or YYYYMMDD) as YYYYMMDD.
    """
    date = re.sub(r"\D", "", study_date)
    for patient in dict.fromkeys((patient_id, path_safe(patient_id))):
        folder = Path(reference_dir) / patient / date
        found = {name: folder / f"{name}.nii.gz" for name in MASKS}
        found = {name: path for name, path in found.items() if path.is_file()}
        if found:
            return found
    return {}
