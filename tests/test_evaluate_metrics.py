"""Overlap, surface-distance and volume metrics against analytic answers and independent computations."""

import math

import numpy as np
import pytest
from scipy import ndimage
from sklearn.metrics import f1_score, jaccard_score

from lungtrack.evaluate.cases import compare_masks
from lungtrack.evaluate.surface import (
    SurfaceDistances,
    boundary,
    hd95,
    normalized_surface_dice,
    surface_distances,
)
from lungtrack.measure.comparison import label_masks, poi_error, volume_error
from lungtrack.measure.overlap import dice, iou

ANISO = (0.7, 0.8, 2.5)  # x, y, z mm


def ball_mm(shape, spacing, centre_mm, radius_mm):
    """Boolean (z, y, x) ball of ``radius_mm`` around ``centre_mm`` (z, y, x) on an anisotropic grid."""
    z, y, x = (np.arange(n) * s for n, s in zip(shape, spacing[::-1], strict=True))
    return ((z[:, None, None] - centre_mm[0]) ** 2 + (y[None, :, None] - centre_mm[1]) ** 2
            + (x[None, None, :] - centre_mm[2]) ** 2) <= radius_mm ** 2


def random_blobs(seed, shape=(24, 40, 36)):
    rng = np.random.default_rng(seed)
    return ndimage.gaussian_filter(rng.normal(size=shape), 2.0) > 0.05


# --- overlap ---------------------------------------------------------------------------------

def test_dice_iou_known_counts():
    a, b = np.zeros(20, bool), np.zeros(20, bool)
    a[:10], b[5:15] = True, True
    assert dice(a, b) == pytest.approx(0.5)
    assert iou(a, b) == pytest.approx(5 / 15)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dice_iou_match_scikit_learn(seed):
    a, b = random_blobs(seed), random_blobs(seed + 10)
    assert dice(a, b) == pytest.approx(f1_score(b.ravel(), a.ravel()))
    assert iou(a, b) == pytest.approx(jaccard_score(b.ravel(), a.ravel()))
    # IoU = Dice / (2 − Dice) for any pair
    assert iou(a, b) == pytest.approx(dice(a, b) / (2 - dice(a, b)))


def test_overlap_empty_conventions():
    empty, full = np.zeros((3, 4, 5), bool), np.ones((3, 4, 5), bool)
    assert dice(empty, empty) == 1.0 and iou(empty, empty) == 1.0
    assert dice(full, empty) == 0.0 and iou(empty, full) == 0.0
    with pytest.raises(ValueError, match="shape"):
        dice(empty, np.zeros((3, 4), bool))


# --- surface ---------------------------------------------------------------------------------

def test_boundary_of_a_cube_is_its_shell():
    cube = np.zeros((8, 8, 8), bool)
    cube[2:6, 2:6, 2:6] = True
    assert boundary(cube).sum() == 4 ** 3 - 2 ** 3
    # the array edge counts as outside
    assert boundary(np.ones((3, 3, 3), bool)).sum() == 26


@pytest.mark.parametrize("seed", [3, 4])
def test_surface_distances_match_brute_force_edt(seed):
    """k-d tree distances equal scipy's exact EDT over the full array, anisotropic spacing."""
    a, b = random_blobs(seed), random_blobs(seed + 20)
    found = surface_distances(a, b, ANISO)
    sampling = ANISO[::-1]
    sa, sb = boundary(a), boundary(b)
    np.testing.assert_allclose(found.a_to_b, ndimage.distance_transform_edt(~sb, sampling=sampling)[sa], atol=1e-9)
    np.testing.assert_allclose(found.b_to_a, ndimage.distance_transform_edt(~sa, sampling=sampling)[sb], atol=1e-9)


@pytest.mark.parametrize("axis, step_mm", [(0, ANISO[2]), (1, ANISO[1]), (2, ANISO[0])])
def test_cube_shift_by_one_voxel_along_each_axis(axis, step_mm):
    """Translation maps boundary onto boundary: every distance is 0 or at most the voxel step."""
    a = np.zeros((12, 14, 16), bool)
    a[3:8, 4:10, 5:12] = True
    b = np.roll(a, 1, axis=axis)
    d = surface_distances(a, b, ANISO)
    assert max(d.a_to_b.max(), d.b_to_a.max()) == pytest.approx(step_mm)
    assert d.hd95() == pytest.approx(step_mm)
    assert d.nsd(step_mm) == 1.0
    assert 0.0 < d.nsd(step_mm * 0.99) < 1.0


def test_concentric_spheres_known_distance():
    """Spheres of radii 10 and 13 mm on a 0.7 × 0.8 × 2.5 mm grid: surfaces 3 mm apart."""
    shape, centre = (20, 64, 72), (25.0, 25.6, 25.2)
    inner = ball_mm(shape, ANISO, centre, 10.0)
    outer = ball_mm(shape, ANISO, centre, 13.0)
    d = surface_distances(inner, outer, ANISO)
    # boundary voxel centres lie up to one voxel step inside the true sphere (2.5 mm along z, less elsewhere)
    assert d.hd95() == pytest.approx(3.0, abs=1.0)
    assert np.median(np.r_[d.a_to_b, d.b_to_a]) == pytest.approx(3.0, abs=0.5)
    assert d.nsd(3.0 + 2.5) == 1.0
    assert d.nsd(1.0) < 0.05
    assert hd95(outer, inner, ANISO) == pytest.approx(d.hd95())
    assert normalized_surface_dice(inner, outer, ANISO, 2.0) == pytest.approx(d.nsd(2.0))


def test_spacing_scales_distances():
    a, b = random_blobs(5), random_blobs(6)
    once = surface_distances(a, b, ANISO)
    twice = surface_distances(a, b, tuple(2 * s for s in ANISO))
    assert twice.hd95() == pytest.approx(2 * once.hd95())
    assert twice.nsd(3.0) == pytest.approx(once.nsd(1.5))
    # spacing is (x, y, z): swapping it changes the answer for an anisotropic shift along z
    b_z = np.roll(a, 1, axis=0)
    assert hd95(a, b_z, (0.7, 0.8, 2.5)) == pytest.approx(2.5)
    assert hd95(a, b_z, (2.5, 0.8, 0.7)) == pytest.approx(0.7)


def test_hd95_is_the_larger_directed_percentile():
    d = SurfaceDistances(np.arange(100.0), np.zeros(10))
    assert d.hd95() == pytest.approx(np.percentile(np.arange(100.0), 95))
    assert SurfaceDistances(np.zeros(10), np.arange(100.0)).hd95() == pytest.approx(d.hd95())


def test_surface_empty_conventions():
    empty = np.zeros((5, 6, 7), bool)
    cube = empty.copy()
    cube[1:4, 2:5, 2:5] = True
    both = surface_distances(empty, empty, ANISO)
    assert math.isnan(both.hd95()) and both.nsd(1.0) == 1.0
    one = surface_distances(cube, empty, ANISO)
    assert math.isnan(one.hd95()) and one.nsd(100.0) == 0.0
    same = surface_distances(cube, cube, ANISO)
    assert same.hd95() == 0.0 and same.nsd(0.0) == 1.0


# --- volumes and the per-label table ----------------------------------------------------------

def test_volume_and_poi_errors():
    assert volume_error(110.0, 100.0) == pytest.approx((10.0, 10.0))
    error_ml, error_pct = volume_error(5.0, 0.0)
    assert error_ml == 5.0 and math.isnan(error_pct)
    assert poi_error(30.0, 3000.0, 60.0, 3000.0) == pytest.approx((1.0, 2.0, -1.0))
    assert math.isnan(poi_error(1.0, 0.0, 1.0, 100.0)[2])


def test_compare_masks_rows_and_conventions():
    spacing = (0.5, 0.5, 2.0)  # voxel 0.0005 mL
    lungs = np.zeros((10, 20, 20), np.uint8)
    lungs[1:9, 2:18, 2:9], lungs[1:9, 2:18, 11:18] = 1, 2
    lesions = np.zeros_like(lungs)
    lesions[3:6, 5:10, 3:7] = 1                      # GGO, the same in both
    ref = label_masks(lungs, lesions)
    pred_lesions = lesions.copy()
    pred_lesions[3:6, 5:10, 12:14] = 2               # extra consolidation, none in the reference
    pred_lesions[0, 0, 0] = 1                        # outside the lung: not counted
    rows = {r["label"]: r for r in compare_masks(label_masks(lungs, pred_lesions), ref, spacing)}
    assert list(rows) == ["lung", "lesion", "ggo", "consolidation"]
    assert rows["lung"]["dice"] == 1.0 and rows["lung"]["hd95_mm"] == 0.0 and "poi_error_pp" not in rows["lung"]
    assert rows["ggo"]["dice"] == 1.0 and rows["ggo"]["nsd_1mm"] == 1.0
    cons = rows["consolidation"]
    assert cons["dice"] == 0.0 and cons["nsd_2mm"] == 0.0 and math.isnan(cons["hd95_mm"])
    assert math.isnan(cons["volume_error_pct"])
    voxel_ml = 0.5 * 0.5 * 2.0 / 1000
    assert cons["volume_error_ml"] == pytest.approx(3 * 5 * 2 * voxel_ml)
    lung_ml = np.count_nonzero(lungs) * voxel_ml
    assert rows["lesion"]["poi_error_pp"] == pytest.approx(100 * 30 * voxel_ml / lung_ml)
    assert rows["lesion"]["ref_poi"] == pytest.approx(100 * 60 * voxel_ml / lung_ml)
    # a reference without lungs gives lesion rows without a reference POI
    no_lung = compare_masks(label_masks(lungs, pred_lesions), label_masks(None, lesions), spacing)
    assert [r["label"] for r in no_lung] == ["lesion", "ggo", "consolidation"]
    assert math.isnan(no_lung[0]["ref_poi"])
