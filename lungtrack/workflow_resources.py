"""Memory (MB) that a per-case job needs, from the size of its CT (and a patient's tracking job, of its CTs).

A job's peak memory grows with the voxel count of its CT: a fixed part (the Python process with
NumPy, SciPy and SimpleITK loaded) plus a number of bytes per voxel of each step, measured on a
512 x 512 x 304 phantom CT with ``bench/pipeline.py`` (the README's performance table). The rules ask
for that estimate with a margin, so that a 700-slice CT gets what it needs on a cluster that
enforces memory and a 100-slice one does not hold 4 GB. The size must be known when a group job
is submitted, before its convert step has written the CT: for DICOM it is the inventory's slice
count times the largest common matrix (``SERIES_MATRIX``), for a sample sheet the volume's header.
A tracking job runs after its CTs are written: its size is that of the two largest, from their headers.
"""

import errno
import math
from pathlib import Path

#: Peak memory of a step per million voxels of the CT (MB), measured (see the module doc).
MB_PER_MEGAVOXEL = {
    "convert": 7.0,  # 829 MB at 512 x 512 x 304 (checks and converts in one decode)
    "segment_lungs": 19.0,  # 1,759 MB
    "segment_lesions": 13.0,  # 1,303 MB
    "measure": 12.0,  # 1,159 MB
    # per megavoxel of a patient's two largest CTs: tracking holds the baseline and one follow-up at a time
    # (1,507 MB at 2 x 512 x 512 x 300, 1,543 MB with 3 scans)
    "track": 8.0,
}
BASE_MB = 300  # the process before any voxel is read (MB)
MARGIN = 1.3  # asked for: the estimate times this
#: In-plane matrix assumed for a DICOM series before it is read (rows x columns); 512 x 512 is the
#: largest common CT matrix, so the estimate errs on the generous side.
SERIES_MATRIX = 512 * 512
UNKNOWN_SLICES = 700  # slices assumed when the inventory gives no count


def image_megavoxels(path) -> float:
    """Voxel count of an image file in millions, from its header alone (the voxels are not read).

    Raises FileNotFoundError naming ``path`` when it is not written yet (Snakemake then evaluates a
    rule's resources again once its input exists).
    """
    import SimpleITK as sitk  # here: the workflow imports this module while it parses, SimpleITK only runs jobs

    if not Path(path).exists():
        raise FileNotFoundError(errno.ENOENT, "not written yet", str(path))
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    reader.ReadImageInformation()
    return math.prod(reader.GetSize()) / 1e6


def mem_mb(step: str, megavoxels: float) -> int:
    """Memory (MB) to ask for a job of ``step`` on a CT of ``megavoxels`` million voxels, rounded up to 100 MB."""
    estimate = (BASE_MB + MB_PER_MEGAVOXEL[step] * megavoxels) * MARGIN
    return int(math.ceil(estimate / 100.0) * 100)


def image_mem_mb(step: str, path) -> int:
    """:func:`mem_mb` of a job whose CT is the image file ``path``."""
    return mem_mb(step, image_megavoxels(path))


def patient_mem_mb(step: str, paths) -> int:
    """:func:`mem_mb` of a job that holds two of a patient's CT image files ``paths`` at a time (tracking):
    the voxels of the two largest."""
    largest = sorted((image_megavoxels(p) for p in paths), reverse=True)[:2]
    return mem_mb(step, sum(largest))


def series_mem_mb(step: str, n_images) -> int:
    """:func:`mem_mb` of a job on a DICOM series of ``n_images`` slices (``SERIES_MATRIX`` each; a count that
    is not a number, such as the empty one of a refused series, counts as ``UNKNOWN_SLICES``)."""
    n = int(n_images) if str(n_images).strip().isdigit() else UNKNOWN_SLICES
    return mem_mb(step, n * SERIES_MATRIX / 1e6)
