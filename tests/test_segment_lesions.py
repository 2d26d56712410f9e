"""Lesion segmentation (GGO / consolidation), threshold backend, on small synthetic chests."""

import numpy as np
import pytest
import SimpleITK as sitk
from test_segment_chest import synthetic_chest

from lungtrack.segment import segment_lesions, segment_lungs
from lungtrack.segment.hu import aerated_lung_hu


def dice(a, b):
    return 2 * (a & b).sum() / max(a.sum() + b.sum(), 1)


def _truth_lungs(image, lungs):
    mask = sitk.GetImageFromArray(lungs)
    mask.CopyInformation(image)
    return mask


@pytest.fixture(scope="module")
def chest():
    image, lungs, lesions, parts = synthetic_chest(seed=3)
    found = segment_lesions(image, _truth_lungs(image, lungs))
    return image, lungs, lesions, parts, sitk.GetArrayFromImage(found)


def test_ggo_and_consolidation_are_told_apart(chest):
    _, _, lesions, _, found = chest
    assert found.dtype == np.uint8
    assert dice(found == 1, lesions == 1) > 0.85
    assert dice(found == 2, lesions == 2) > 0.85


def test_vessels_and_their_rims_are_not_lesion(chest):
    _, lungs, lesions, parts, found = chest
    assert (found[parts["vessels"]] > 0).mean() < 0.05
    healthy = (lungs > 0) & (lesions == 0)
    assert (found[healthy] > 0).sum() < 0.002 * healthy.sum()


def test_lesions_only_inside_lungs(chest):
    _, lungs, _, _, found = chest
    assert not (found[lungs == 0] > 0).any()


def test_healthy_lungs_have_no_lesions():
    image, lungs, _, _ = synthetic_chest(ggo=False, consolidation=False, seed=4)
    found = sitk.GetArrayFromImage(segment_lesions(image, segment_lungs(image)))
    assert (found > 0).sum() * np.prod(image.GetSpacing()) < 1000.0  # under 1 mL


def test_thick_slices_with_segmented_lungs():
    """Lesions are measured inside the pipeline's own lungs; the part of the consolidation that lies
    on the diaphragm is outside them (a documented limit, tests/test_segment_lungs.py)."""
    image, lungs, lesions, _ = synthetic_chest(spacing=(1.4, 1.4, 5.0), seed=5)
    found_lungs = segment_lungs(image)
    found = sitk.GetArrayFromImage(segment_lesions(image, found_lungs))
    within = np.where(sitk.GetArrayFromImage(found_lungs) > 0, lesions, 0)
    assert dice(found > 0, within > 0) > 0.8
    assert dice(found == 2, within == 2) > 0.75


def test_aerated_lung_hu_is_the_histogram_peak_not_the_lesion_hump():
    rng = np.random.default_rng(0)
    values = np.r_[rng.normal(-840, 30, 20000), rng.normal(-500, 60, 8000), rng.normal(20, 20, 4000)]
    assert abs(aerated_lung_hu(values) - (-840)) <= 15
