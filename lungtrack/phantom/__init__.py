"""Synthetic serial chest CT with exact truth, for demos and for testing segmentation.

Python API (all lengths mm, intensities HU, arrays (z, y, x) with z = 0 the most inferior
slice, y = 0 anterior, x = 0 the patient's right; world coordinates DICOM LPS):

``make_case(seed, timepoint=0, n_timepoints=3, **options) -> Case``
    One CT of patient ``seed`` at ``timepoint`` (0-based). ``Case`` fields: ``ct`` (int16 HU),
    ``lungs`` (uint8, 1 right, 2 left; vessels included, trachea and main bronchi excluded),
    ``lesions`` (uint8, 1 GGO, 2 consolidation; never vessel), ``spacing_zyx`` (mm),
    ``origin`` (world x, y, z mm of voxel (0, 0, 0); identity direction), ``info`` (day,
    breath_scale, shift_mm, rotation_deg, visible_lesions, ...); ``case.image(array)`` wraps an
    array as a SimpleITK image on the case's grid; ``case.voxel_ml``.

``generate_cohort(out_dir, patients=3, timepoints=3, seed=7, **options) -> pandas.DataFrame``
    Writes DICOM studies (localizer + axial series), NIfTI truth and ``truth/manifest.csv``
    (layout in ``lungtrack.phantom.cohort``); returns the manifest.

``options`` are the fields of ``PhantomOptions``: grid (``matrix``, ``pixel_mm``, ``slice_mm``,
``n_slices``), body (``body_scale``, ``lung_scale``, ``fat_mm``), traps (``table``,
``stomach_gas``, ``bowel_gas``, ``fov_padding``, ``anterior_junction``), content (``vessels``,
``lesions``, ``severity``), image (``noise_hu``, ``blur_voxels``) and timing (``breath_scale``,
``pose_jitter``, ``interval_days``). Small test volumes: ``matrix=64, pixel_mm=5.4, slice_mm=7.5``.
Same seed and options -> byte-identical pixel data and identical UIDs.
"""

from lungtrack.phantom.case import Case, make_case
from lungtrack.phantom.cohort import MANIFEST_COLUMNS, generate_cohort, truth_volumes
from lungtrack.phantom.options import PhantomOptions

__all__ = ["Case", "MANIFEST_COLUMNS", "PhantomOptions", "generate_cohort", "make_case", "truth_volumes"]
