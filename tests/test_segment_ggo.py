"""Ground-glass hysteresis (segment/ggo.py): thin ground glass connected to a confirmed lesion is lesion."""

import numpy as np
import SimpleITK as sitk

from lungtrack.segment.ggo import grow_ground_glass
from lungtrack.segment.lesions import segment_lesions_threshold

SPACING = (2.5, 1.0, 1.0)  # (z, y, x) mm


def test_growth_stays_connected_and_within_reach():
    seeds = np.zeros((8, 60, 60), dtype=bool)
    seeds[2:6, 10:20, 10:20] = True
    allowed = np.zeros_like(seeds)
    allowed[2:6, 12:16, 20:50] = True  # a 4 mm band leaving the seed, 30 mm long
    allowed[2:6, 40:44, 40:44] = True  # a patch not connected to the seed
    grown = grow_ground_glass(seeds, allowed, 10.0, SPACING)
    assert grown[seeds].all()
    assert grown[3, 14, 20:30].all()  # within 10 mm of the seed
    assert not grown[3, 14, 31:50].any()  # beyond the reach
    assert not grown[2:6, 40:44, 40:44].any()
    assert (grow_ground_glass(seeds, allowed, 0.0, SPACING) == seeds).all()


def _chest(rng):
    """A phantom-sized block of aerated lung (-850 HU, noise 20 HU; (z, y, x) 24 x 96 x 96 at 2.5 x 1 x 1 mm),
    right lung x < 48, left lung x >= 48, with a thick ground-glass patch (-550 HU) and a 4 mm
    ground-glass band leaving it (the lesion), and a second band of the same HU on its own."""
    hu = rng.normal(-850.0, 20.0, (24, 96, 96)).astype(np.float32)
    lesion = np.zeros(hu.shape, dtype=bool)
    lesion[6:16, 20:40, 10:30] = True
    lesion[8:14, 28:32, 30:44] = True  # band: 4 mm thin, 14 mm long, inside the right lung
    alone = np.zeros_like(lesion)
    alone[8:14, 70:74, 56:80] = True  # the same band in the left lung, on its own
    hu[lesion | alone] += 300.0
    lungs = np.zeros(hu.shape, dtype=np.uint8)
    lungs[1:-1, 4:-4, 4:47] = 1
    lungs[1:-1, 4:-4, 49:-4] = 2
    image = sitk.GetImageFromArray(hu.astype(np.int16))
    image.SetSpacing(SPACING[::-1])
    mask = sitk.GetImageFromArray(lungs)
    mask.CopyInformation(image)
    return image, mask, lesion, alone


def test_band_attached_to_a_lesion_is_found_an_isolated_one_is_not():
    image, lungs, lesion, alone = _chest(np.random.default_rng(0))
    band = np.zeros_like(lesion)
    band[8:14, 28:32, 33:44] = True  # beyond the ball's reach into the band
    found = {grow: sitk.GetArrayFromImage(segment_lesions_threshold(image, lungs, ggo_grow_mm=grow)) > 0
             for grow in (0.0, 10.0)}
    assert (found[0.0] & band).mean() < 0.5 * band.mean()  # the 5 mm ball alone misses the band
    assert (found[10.0][band]).mean() > 0.9
    assert not found[10.0][alone].any() and not found[0.0][alone].any()
    assert (found[10.0] & ~lesion).sum() <= (found[0.0] & ~lesion).sum() + 0.05 * lesion.sum()
