"""Labelled training cases from the synthetic phantom's truth (``lungtrack.phantom.make_case``)."""

import logging
from pathlib import Path

from tqdm import tqdm

from lungtrack.io.images import write_image
from lungtrack.phantom.case import make_case
from lungtrack.train.dataset import find_cases

log = logging.getLogger(__name__)


def phantom_cases(folder, patients: int, timepoints: int = 1, seed: int = 1000, **options):
    """Write ``patients`` x ``timepoints`` phantom CTs (HU) and their truth under ``folder``
    (``images/``, ``lungs/``, ``lesions/``, NIfTI) and return them as labelled cases.

    Patient ``i`` uses seed ``seed + i``; pick seeds apart from the cohorts you evaluate on.
    ``options`` are phantom options (``matrix``, ``pixel_mm``, ...).
    """
    folder = Path(folder)
    for i in tqdm(range(patients), desc="phantom", unit="patient"):
        for t in range(timepoints):
            case = make_case(seed + i, t, timepoints, **options)
            name = f"p{seed + i}_t{t}.nii.gz"
            write_image(case.image(), folder / "images" / name)
            write_image(case.image(case.lungs), folder / "lungs" / name)
            write_image(case.image(case.lesions), folder / "lesions" / name)
    log.info("phantom training cohort: %d patients x %d timepoints in %s", patients, timepoints, folder)
    return find_cases(folder / "images", folder / "lungs", folder / "lesions")
