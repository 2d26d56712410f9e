"""Registration of a follow-up to the baseline, driven by the lung masks."""

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.track.registration import identity, lung_dice, register_lungs, write_transform


def lungs(shift_right=0.0, shift_left=0.0, scale=1.0):
    """Two ellipsoid lungs (1 right, 2 left) on a 2 x 2 x 3 mm grid; shifts in voxels along z."""
    z, y, x = np.mgrid[0:60, 0:64, 0:80].astype(float)
    labels = np.zeros(z.shape, np.uint8)
    for label, centre_x, shift in ((1, 24, shift_right), (2, 56, shift_left)):
        r = ((x - centre_x) / 13) ** 2 + ((y - 32) / 20) ** 2 + ((z - 30 - shift) / 24) ** 2
        r /= scale**2
        labels[r < 1] = label
    image = sitk.GetImageFromArray(labels)
    image.SetSpacing((2.0, 2.0, 3.0))
    return image


def test_affine_recovers_a_breath_hold_difference():
    baseline, follow_up = lungs(), lungs(shift_right=5, shift_left=5, scale=1.08)
    rigid, affine = register_lungs(baseline, follow_up, "rigid"), register_lungs(baseline, follow_up, "affine")
    before = lung_dice(baseline, follow_up, identity())
    assert before < lung_dice(baseline, follow_up, rigid) < lung_dice(baseline, follow_up, affine)
    assert lung_dice(baseline, follow_up, affine) > 0.96
    # the affine part scales by about 1.08: baseline points map to follow-up points
    assert np.mean(np.diag(np.reshape(affine.GetMatrix(), (3, 3)))) == pytest.approx(1.08, abs=0.03)


@pytest.mark.slow
def test_bspline_follows_lungs_that_move_differently(tmp_path):
    baseline, follow_up = lungs(), lungs(shift_right=4, shift_left=-3)
    affine = register_lungs(baseline, follow_up, "affine")
    deformable = register_lungs(baseline, follow_up, "bspline")
    assert lung_dice(baseline, follow_up, deformable) > max(0.98, lung_dice(baseline, follow_up, affine))
    write_transform(deformable, tmp_path / "t.tfm")
    again = sitk.ReadTransform(str(tmp_path / "t.tfm"))
    assert lung_dice(baseline, follow_up, again) == pytest.approx(lung_dice(baseline, follow_up, deformable))


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="rigid"):
        register_lungs(lungs(), lungs(), "demons")
