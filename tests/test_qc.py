"""Quality control of a measured scan (lungtrack.measure.qc): every rule can pass, warn and fail."""

import numpy as np
import pytest

from lungtrack.measure import qc

SPACING = (5.0, 2.0, 2.0)  # (z, y, x) mm: 0.02 mL per voxel


def _lungs(shape=(60, 160, 200), right=(10, 50, 30, 130, 20, 90), left=(10, 50, 30, 130, 110, 180)):
    """Canonical (z, y, x) label map with box lungs given as (z0, z1, y0, y1, x0, x1) voxel bounds."""
    lungs = np.zeros(shape, dtype=np.uint8)
    for label, (z0, z1, y0, y1, x0, x1) in ((1, right), (2, left)):
        lungs[z0:z1, y0:y1, x0:x1] = label
    return lungs


def test_whole_chest_passes():
    lungs = _lungs(right=(10, 50, 40, 110, 30, 80), left=(10, 50, 40, 110, 120, 170))  # 2 x 2800 mL
    record = qc.scan_qc(lungs, np.zeros_like(lungs), SPACING)
    assert record == {"qc": "pass", "qc_reasons": []}


@pytest.mark.parametrize("scale, word", [(0.05, "below"), (2.0, "above")])
def test_implausible_lung_volume_fails(scale, word):
    lungs = _lungs(right=(10, 50, 40, 110, 30, 80), left=(10, 50, 40, 110, 120, 170))
    record = qc.scan_qc(lungs, np.zeros_like(lungs), (SPACING[0] * scale, SPACING[1], SPACING[2]))
    assert record["qc"] == "fail"
    assert word in record["qc_reasons"][0] and "mL" in record["qc_reasons"][0]


def test_crop_with_a_few_ml_of_lung_fails():
    lungs = np.zeros((40, 60, 60), dtype=np.uint8)
    lungs[10:20, 10:30, 10:30] = 1  # 80 mL
    record = qc.scan_qc(lungs, np.zeros_like(lungs), SPACING)
    assert record["qc"] == "fail"
    assert record["qc_reasons"][0].startswith("lung volume 80 mL is below 1000 mL")


@pytest.mark.parametrize("z0, z1, end", [(0, 50, "the base"), (10, 60, "the apex")])
def test_lungs_cut_off_at_an_end_warn_and_say_which(z0, z1, end):
    lungs = _lungs(right=(z0, z1, 40, 110, 30, 80), left=(z0, z1, 40, 110, 120, 170))
    record = qc.scan_qc(lungs, np.zeros_like(lungs), SPACING)
    assert record["qc"] == "warn"
    assert len(record["qc_reasons"]) == 1 and end in record["qc_reasons"][0]


def test_lungs_at_the_in_plane_edge_warn():
    lungs = _lungs(right=(10, 50, 40, 110, 0, 50), left=(10, 50, 40, 110, 120, 170))
    record = qc.scan_qc(lungs, np.zeros_like(lungs), SPACING)
    assert record["qc"] == "warn" and "the right edge" in record["qc_reasons"][0]


def test_strong_right_left_imbalance_warns():
    lungs = _lungs(right=(10, 50, 40, 110, 30, 90), left=(10, 50, 40, 70, 140, 160))
    record = qc.scan_qc(lungs, np.zeros_like(lungs), SPACING)
    assert record["qc"] == "warn"
    assert record["qc_reasons"] == [record["qc_reasons"][0]] and "left lung" in record["qc_reasons"][0]


def test_coarse_grid_fails_even_with_plausible_lungs():
    lungs = _lungs(right=(10, 50, 40, 110, 30, 80), left=(10, 50, 40, 110, 120, 170))
    coarse = qc.scan_qc(lungs[:, ::3, ::3], np.zeros_like(lungs[:, ::3, ::3]), (5.0, 6.0, 6.0))
    assert coarse["qc"] == "fail" and "coarser than 4 / 10 mm" in coarse["qc_reasons"][0]


def test_fail_reasons_come_before_warnings():
    lungs = np.zeros((40, 60, 60), dtype=np.uint8)
    lungs[0:20, 10:30, 0:30] = 1  # small, at the base and the right edge, no left lung
    record = qc.scan_qc(lungs, np.zeros_like(lungs), SPACING)
    assert record["qc"] == "fail"
    assert "below" in record["qc_reasons"][0] and len(record["qc_reasons"]) == 3


def _chest_with_trachea():
    """(HU, lungs, lumen) of a soft-tissue body with a trachea of air (HU -1000) and two box lungs."""
    shape = (50, 100, 100)
    hu = np.full(shape, -1000.0, dtype=np.float32)
    yy, xx = np.indices(shape[1:])
    body = (yy - 50) ** 2 + (xx - 50) ** 2 < 45 ** 2
    hu[:, body] = 40.0
    lumen = (yy - 50) ** 2 + (xx - 50) ** 2 < 5 ** 2
    hu[:, lumen] = -1000.0
    lungs = np.zeros(shape, dtype=np.uint8)
    lungs[5:45, 30:70, 12:40] = 1
    lungs[5:45, 30:70, 60:88] = 2
    hu[lungs > 0] = -850.0
    return hu, lungs, lumen


def test_lesion_in_the_airway_lumen_warns():
    """A trachea of air (HU -1000) inside a soft-tissue body, walked down from the top: lesion
    voxels in its lumen are flagged, the same lesion in the lung is not."""
    hu, lungs, lumen = _chest_with_trachea()
    lesions = np.zeros(hu.shape, dtype=np.uint8)
    lesions[20:30, 40:50, 15:25] = 1  # in the right lung: fine
    assert qc.airway_lesion_ml(hu, lesions, SPACING) == 0.0
    lesions[30:45, lumen] = 1  # 15 slices of the lumen: 81 voxels x 15 x 0.02 mL
    assert qc.airway_lesion_ml(hu, lesions, SPACING) > 20.0
    record = qc.scan_qc(lungs, lesions, SPACING, hu)
    assert any("airway lumen" in r for r in record["qc_reasons"])


@pytest.mark.parametrize("spacing", [SPACING, (1.0, 0.8, 0.8), (1.25, 0.6, 0.7)])
def test_airway_lesion_volume_equals_the_whole_volume_count(spacing):
    """The margin around the airway is dilated and counted on the airway's box (grown by the
    dilation's reach): the same volume as the whole-volume dilated mask against the lesions."""
    from lungtrack.io.images import spacing_volume_ml
    from lungtrack.segment.airways import track_airways
    from lungtrack.segment.body import body_mask
    from lungtrack.segment.morphology import dilate

    hu, lungs, lumen = _chest_with_trachea()
    rng = np.random.default_rng(5)
    lesions = (rng.random(hu.shape) < 0.3).astype(np.uint8) * rng.integers(1, 4, hu.shape, dtype=np.uint8)
    body = body_mask(hu, spacing)
    airway = track_airways((hu < qc.AIRWAY_HU) & body, body, spacing)
    near = dilate(airway, qc.AIRWAY_MARGIN_MM, spacing)
    assert airway.any() and (near & ~airway).any() == (min(spacing) <= qc.AIRWAY_MARGIN_MM)
    expected = float((near & (lesions > 0)).sum()) * spacing_volume_ml(spacing)
    assert expected > 0 and qc.airway_lesion_ml(hu, lesions, spacing) == expected


@pytest.mark.parametrize("direction", [(1, 0, 0, 0, 1, 0, 0, 0, 1), (-1, 0, 0, 0, 1, 0, 0, 0, -1),
                                       (0, 1, 0, 1, 0, 0, 0, 0, 1)])
def test_case_qc_reads_the_scan_in_canonical_orientation_whatever_its_grid(direction):
    # an LPS grid is used as it is, any other one reoriented: the record is the one of the canonical arrays
    import SimpleITK as sitk

    from lungtrack.io.images import array_like
    from lungtrack.measure.metrics import case_qc
    from lungtrack.segment.orientation import spacing_zyx, to_canonical

    lungs = _lungs(right=(0, 50, 40, 110, 30, 80), left=(10, 50, 40, 110, 120, 170))  # cut at the first slice
    lesions = (lungs == 1).astype(np.uint8)
    lesions[:, :, :60] = 0
    image = sitk.GetImageFromArray(np.where(lungs > 0, -850, 40).astype(np.int16))
    image.SetSpacing(SPACING[::-1])
    image.SetDirection(direction)
    canonical = to_canonical(image)
    expected = qc.scan_qc(*(sitk.GetArrayFromImage(to_canonical(array_like(a, image))) for a in (lungs, lesions)),
                          spacing_zyx(canonical), sitk.GetArrayViewFromImage(canonical))
    assert case_qc(image, lungs, lesions) == expected
    assert expected["qc"] == "warn" and expected["qc_reasons"]
