"""The patient's body in a CT volume, without the table, air outside or out-of-field padding.

Arrays are (z, y, x) in canonical LPS orientation, intensities in HU, spacing (z, y, x) in mm.
"""

import numpy as np

from lungtrack.segment.morphology import fill_holes_2d, largest_component, opening


def body_mask(hu: np.ndarray, spacing, tissue_hu: float = -500.0, detach_mm: float = 4.0) -> np.ndarray:
    """Filled body: the largest tissue component, with its enclosed air (lungs, airways, gut).

    ``tissue_hu`` separates tissue from air (HU); voxels below it, including out-of-field padding
    such as -2000 or -3024, are air. An opening with a ball of ``detach_mm`` (mm) cuts thin
    bridges such as a table pad or a blanket before the largest component is kept, so the table
    and objects touching the skin only over a thin contact are left out. Holes are then filled
    slice by slice, so the lungs, airways and gut gas are inside the returned mask while the air
    outside the body is not.
    """
    tissue = hu > tissue_hu
    body = largest_component(opening(tissue, detach_mm, spacing))
    return fill_holes_2d(body)
