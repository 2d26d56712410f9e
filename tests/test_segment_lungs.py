"""Lung segmentation, threshold backend, on small synthetic chests built inline."""

import numpy as np
import pytest
import SimpleITK as sitk
from test_segment_chest import synthetic_chest

from lungtrack.segment import segment_lungs


def dice(a, b):
    return 2 * (a & b).sum() / max(a.sum() + b.sum(), 1)


@pytest.fixture(scope="module")
def chest():
    image, lungs, lesions, parts = synthetic_chest()
    return image, lungs, lesions, parts, sitk.GetArrayFromImage(segment_lungs(image))


def test_lungs_match_truth_and_right_is_right(chest):
    image, lungs, _, _, found = chest
    assert found.dtype == np.uint8 and found.shape == lungs.shape
    assert dice(found == 1, lungs == 1) > 0.97
    assert dice(found == 2, lungs == 2) > 0.97
    x = np.arange(found.shape[2])
    right_x = np.average(x, weights=(found == 1).sum(axis=(0, 1)))
    left_x = np.average(x, weights=(found == 2).sum(axis=(0, 1)))
    assert right_x < left_x  # LPS: the patient's right has the low x indices


@pytest.mark.parametrize("part", ["airway", "stomach", "table", "padding"])
def test_air_that_is_not_lung_is_excluded(chest, part):
    *_, parts, found = chest
    assert (found[parts[part]] > 0).mean() < 0.02


def test_outside_air_is_excluded(chest):
    image, lungs, *_ = chest
    ct = sitk.GetArrayFromImage(image)
    found = chest[-1]
    outside = (ct < -900) & (lungs == 0)
    assert (found[outside] > 0).sum() < 0.002 * outside.sum()


def test_consolidation_against_chest_wall_is_kept_above_the_diaphragm(chest):
    """The consolidation lies against the dorsal wall and on the left dome. Where aerated lung lies
    below it as well as beside it, the wall fill keeps it; the part lying on the diaphragm is not
    told from a lung base that pulls away from the wall above its dome, and is a documented limit
    (at least a fifth of it is still kept, through the lung's notch)."""
    _, lungs, lesions, _, found = chest
    cons = lesions == 2
    z_base = np.flatnonzero((lungs > 0).any(axis=(1, 2)))[0]
    above = cons.copy()
    above[: z_base + 14] = False  # more than 50 mm (14 slices of 4 mm) above the lowest lung slice
    assert above.sum() > 0.15 * cons.sum()
    assert (found[above] > 0).mean() > 0.85
    assert (found[cons] > 0).mean() > 0.2
    wall = (lungs == 0) & (sitk.GetArrayFromImage(chest[0]) > -200)
    assert (found[wall] > 0).sum() < 0.01 * (lungs > 0).sum()  # no leak into the chest wall


def test_touching_lungs_are_split():
    image, lungs, _, _ = synthetic_chest(touching=True, seed=1)
    found = sitk.GetArrayFromImage(segment_lungs(image))
    assert dice(found == 1, lungs == 1) > 0.95
    assert dice(found == 2, lungs == 2) > 0.95


def test_anisotropic_thick_slices_and_no_padding():
    image, lungs, lesions, parts = synthetic_chest(spacing=(1.4, 1.4, 5.0), padding_hu=None, table_gap_mm=0.0, seed=2)
    found = sitk.GetArrayFromImage(segment_lungs(image))
    assert dice(found == 1, lungs == 1) > 0.95
    assert dice(found == 2, lungs == 2) > 0.95
    assert (found[parts["table"]] > 0).mean() < 0.02


def test_flipped_orientation_gives_same_labels_in_world_space(chest):
    image, *_, found = chest
    flipped = sitk.DICOMOrient(image, "RAI")  # same voxels in space, every axis reversed
    assert flipped.GetDirection() != image.GetDirection()
    labels = segment_lungs(flipped)
    assert labels.GetDirection() == flipped.GetDirection() and labels.GetOrigin() == flipped.GetOrigin()
    back = sitk.GetArrayFromImage(sitk.DICOMOrient(labels, "LPS"))
    assert (back != found).mean() < 1e-3


def test_single_slice_is_segmented_in_plane(chest):
    image, lungs, *_ = chest
    z = int(np.argmax((lungs > 0).sum(axis=(1, 2))))
    one = image[:, :, z : z + 1]
    found = sitk.GetArrayFromImage(segment_lungs(one))
    assert found.shape == (1,) + lungs.shape[1:]
    assert dice(found[0] == 1, lungs[z] == 1) > 0.9 and dice(found[0] == 2, lungs[z] == 2) > 0.9


def test_volume_without_lungs_gives_empty_labels():
    image, lungs, _, _ = synthetic_chest(size_mm=(360.0, 300.0, 60.0), stomach=False)
    found = sitk.GetArrayFromImage(segment_lungs(image))
    assert not (lungs > 0).any() and not (found > 0).any()


def test_unknown_backend_is_refused(chest):
    with pytest.raises(ValueError, match="unknown segmentation backend"):
        segment_lungs(chest[0], backend="magic")


@pytest.mark.shared
def test_real_chest_slices_have_two_plausible_lungs(shared_data):
    files = sorted(str(p) for p in (shared_data / "dicom" / "chest-ct-slices-lungmask").glob("*.dcm"))
    image = sitk.ReadImage(files)
    found = sitk.GetArrayFromImage(segment_lungs(image))
    area_cm2 = [(found == k).sum() / found.shape[0] * np.prod(image.GetSpacing()[:2]) / 100 for k in (1, 2)]
    assert all(40 < a < 300 for a in area_cm2)  # each lung's cross-section at heart level, per slice
    x = np.arange(found.shape[2])
    assert np.average(x, weights=(found == 1).sum(axis=(0, 1))) < found.shape[2] / 2
    assert np.average(x, weights=(found == 2).sum(axis=(0, 1))) > found.shape[2] / 2
