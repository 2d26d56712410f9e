"""Lesion shapes inserted into a CT with COVID-19 HU (``lungtrack.evaluate.insertion``), on small synthetic volumes."""

import numpy as np
import SimpleITK as sitk

from lungtrack.evaluate.insertion import LesionLook, insert_lesion, place_shape


def _image(array, spacing_xyz, origin=(0.0, 0.0, 0.0), direction=None):
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing_xyz)
    image.SetOrigin(origin)
    if direction is not None:
        image.SetDirection(direction)
    return image


def _ball(shape, centre, radius_mm, spacing_zyx):
    zz, yy, xx = np.indices(shape)
    d2 = sum(((g - c) * s) ** 2 for g, c, s in zip((zz, yy, xx), centre, spacing_zyx))
    return d2 <= radius_mm**2


def test_shape_keeps_its_size_in_plane_and_stays_inside_the_lungs():
    # shape: a 10 mm ball at the centre of a 1 mm x 1 mm x 4 mm field of 40 x 100 x 100 voxels (y flipped)
    shape = _ball((40, 100, 100), (20, 50, 50), 10.0, (4.0, 1.0, 1.0)).astype(np.uint8)
    shape_img = _image(shape, (1.0, 1.0, 4.0), direction=(1, 0, 0, 0, -1, 0, 0, 0, 1))
    # lungs: a box 60 mm wide, 80 slices of 2 mm (160 mm, as the shape's 160 mm field of view)
    lungs = np.zeros((90, 80, 80), dtype=np.uint8)
    lungs[5:85, 10:70, 10:70] = 1
    lungs_img = _image(lungs, (1.5, 1.5, 2.0), origin=(-20.0, 30.0, -100.0))
    placed = place_shape(shape_img, lungs_img)
    assert placed.any() and not (placed & (lungs == 0)).any()
    zz, _, xx = np.nonzero(placed)
    assert abs((xx.max() - xx.min() + 1) * 1.5 - 20.0) <= 3.0  # 20 mm across, as the ball
    assert abs((zz.max() - zz.min() + 1) * 2.0 - 20.0) <= 4.0  # z: 160 mm of field onto 160 mm of lung
    assert abs(zz.mean() - 44.5) <= 1.0 and abs(xx.mean() - 39.5) <= 1.0  # centred on the lungs


def test_hu_model_keeps_vessels_and_air_bronchograms():
    spacing = (2.0, 1.0, 1.0)
    hu = np.full((30, 60, 60), -850.0, dtype=np.float32)
    hu[:, 28:32, :] = 40.0  # a vessel through the lesion
    hu[:, :, 28:31] = -960.0  # a bronchus crossing it
    lesion = _ball(hu.shape, (15, 30, 30), 14.0, spacing)
    rng = np.random.default_rng(0)
    ggo, labels = insert_lesion(hu, lesion, spacing, LesionLook(ggo_hu=-550.0, alpha=1.0, noise_hu=10.0), rng)
    assert np.array_equal(labels > 0, lesion) and set(np.unique(labels)) == {0, 1}
    parenchyma = lesion & (hu == -850.0)
    assert abs(np.median(ggo[parenchyma]) + 550.0) < 10.0  # aerated lung raised to the target
    assert abs(np.median(ggo[lesion & (hu == 40.0)]) - 40.0) < 10.0  # the vessel stays as dense
    assert np.array_equal(ggo[~lesion], hu[~lesion])
    look = LesionLook(ggo_hu=-550.0, core_hu=-20.0, core_depth_mm=5.0, noise_hu=10.0)
    mixed, labels = insert_lesion(hu, lesion, spacing, look, np.random.default_rng(0))
    core = labels == 2
    assert core.any() and (labels == 1).any()
    assert abs(np.median(mixed[core & (hu == -850.0)]) + 20.0) < 10.0  # consolidated
    air = core & (hu == -960.0)
    assert air.any() and mixed[air].max() < -400.0  # air bronchograms: ground glass at most, never consolidated
