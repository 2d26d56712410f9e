"""Labelling and hole filling on a mask's bounding box give what they give on the whole volume.

``morphology`` labels components and fills holes only inside the mask's bounding box (speed and
memory on real-size CT, issue 13); small random (z, y, x) masks, some touching the volume's border,
are compared with the same operations done on the whole volume by SciPy and SimpleITK.
"""

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage as ndi

from lungtrack.segment.morphology import components, fill_holes_2d, largest_component, remove_small


def _blobs(seed: int, shape=(12, 40, 44), border: bool = False) -> np.ndarray:
    """Random blobs in a corner of the volume (or against its border), with holes and specks."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(shape, dtype=bool)
    inner = ndi.gaussian_filter(rng.random((8, 25, 30)), 1.5) > 0.5
    if border:
        mask[:8, :25, -30:] = inner
    else:
        mask[2:10, 6:31, 5:35] = inner
    return mask


@pytest.mark.parametrize("seed, border", [(1, False), (2, True), (3, False)])
def test_fill_holes_2d_equals_per_slice_fill(seed, border):
    mask = _blobs(seed, border=border)
    expected = np.stack([ndi.binary_fill_holes(s, structure=ndi.generate_binary_structure(2, 1)) for s in mask])
    got = fill_holes_2d(mask)
    assert got.sum() > mask.sum()  # there were holes to fill
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("seed, border", [(4, False), (5, True)])
def test_components_equal_whole_volume_labels(seed, border):
    mask = _blobs(seed, border=border)
    image = sitk.ConnectedComponent(sitk.GetImageFromArray(mask.astype(np.uint8)), True)
    expected = sitk.GetArrayFromImage(sitk.RelabelComponent(image, sortByObjectSize=True)).astype(np.int32)
    labels, counts = components(mask, full_connectivity=True)
    assert labels.max() > 2
    np.testing.assert_array_equal(labels, expected)
    np.testing.assert_array_equal(counts, np.bincount(expected.ravel()))


@pytest.mark.parametrize("seed", [6, 7])
def test_largest_and_small_components_equal_whole_volume(seed):
    mask = _blobs(seed)
    labels, n = ndi.label(mask, structure=ndi.generate_binary_structure(3, 3))
    counts = np.bincount(labels.ravel())
    big = np.flatnonzero(counts >= 20)[1:]  # label 0 is the background
    np.testing.assert_array_equal(remove_small(mask, 20.0, (1.0, 1.0, 1.0)), np.isin(labels, big))
    # with ``touching``: only the big pieces with a voxel in it
    touching = mask & (np.arange(mask.shape[2]) < 20)[None, None, :]
    touched = np.setdiff1d(np.unique(labels[touching]), [0])
    got = remove_small(mask, 20.0, (1.0, 1.0, 1.0), touching=touching)
    np.testing.assert_array_equal(got, np.isin(labels, np.intersect1d(big, touched)))
    six, _ = ndi.label(mask)
    six_counts = np.bincount(six.ravel())
    six_counts[0] = 0
    np.testing.assert_array_equal(largest_component(mask), six == np.argmax(six_counts))


def test_empty_masks_stay_empty():
    empty = np.zeros((3, 5, 6), dtype=bool)
    assert not fill_holes_2d(empty).any() and not largest_component(empty).any()
    assert not remove_small(empty, 1.0, (1.0, 1.0, 1.0), touching=empty).any()
    labels, counts = components(empty)
    assert labels.shape == empty.shape and not labels.any() and counts.tolist() == [empty.size]
