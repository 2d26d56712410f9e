"""Lesion components, matching by overlap and the events of an interval."""

import numpy as np
import SimpleITK as sitk

from lungtrack.track.lesions import describe_components, find_components, interval_events, lesion_ids, match


def test_components_are_sorted_and_small_ones_dropped():
    lesions = np.zeros((10, 10, 10), np.uint8)
    lesions[1:3, 1:3, 1:3] = 1  # 8 voxels
    lesions[5:9, 5:9, 5:9] = 2  # 64 voxels
    lesions[0, 9, 9] = 1  # 1 voxel: a speck
    image = sitk.GetImageFromArray(lesions)
    image.SetSpacing((2.0, 2.0, 2.0))  # 8 µL per voxel
    components = sitk.GetArrayFromImage(find_components(image, min_ml=0.02))
    assert components.max() == 2
    assert (components == 1).sum() == 64 and (components == 2).sum() == 8
    lungs = np.zeros_like(lesions)
    lungs[:, :, :5], lungs[:, :, 5:] = 1, 2
    ct = np.where(lesions == 2, 30, -500).astype(np.int16)
    info = describe_components(components, ct, lungs, voxel_ml=0.008)
    assert info[0]["lung"] == "left" and info[0]["mean_hu"] == 30 and abs(info[0]["volume_ml"] - 0.512) < 1e-9
    assert info[1]["lung"] == "right" and info[1]["mean_hu"] == -500


def test_components_on_the_lesions_box_equal_the_whole_volumes():
    """Many components of equal size (ties in the size order) away from the volume's edges."""
    rng = np.random.default_rng(2)
    lesions = np.zeros((40, 60, 70), np.uint8)
    lesions[8:30, 12:50, 20:61] = (rng.random((22, 38, 41)) < 0.08) * rng.integers(1, 3, (22, 38, 41))
    image = sitk.GetImageFromArray(lesions)
    components = find_components(image, min_ml=0.0)
    whole = sitk.RelabelComponent(sitk.ConnectedComponent(image > 0, True), 1, True)
    assert sitk.GetArrayViewFromImage(whole).max() > 255  # more labels than UInt8 holds
    assert components.GetPixelID() == sitk.sitkUInt16
    np.testing.assert_array_equal(sitk.GetArrayFromImage(components), sitk.GetArrayFromImage(whole))
    empty = find_components(sitk.GetImageFromArray(np.zeros((4, 5, 6), np.uint8)), min_ml=0.0)
    assert not sitk.GetArrayViewFromImage(empty).any() and empty.GetSize() == (6, 5, 4)


def test_match_needs_enough_overlap():
    earlier = np.zeros((1, 1, 20), np.int32)
    later = np.zeros_like(earlier)
    earlier[..., 0:10] = 1
    later[..., 9:19] = 1  # shares 1 of 10 voxels
    assert match(earlier, later, min_overlap=0.1) == [(1, 1)]
    assert match(earlier, later, min_overlap=0.2) == []


def events_of(earlier_ml, later_ml, links):
    ids = {a: f"L{a}" for a in earlier_ml}
    new_id = lesion_ids()
    for _ in earlier_ml:
        new_id()  # L1..Ln are taken by the earlier lesions
    return interval_events(ids, earlier_ml, later_ml, links, new_id, growth_pct=25.0)


def test_events_of_one_to_one_matches():
    later_ids, events, resolved = events_of({1: 2.0, 2: 2.0, 3: 2.0, 4: 1.0}, {1: 3.0, 2: 1.0, 3: 2.2, 4: 0.5},
                                            [(1, 1), (2, 2), (3, 3)])
    assert [events[b][0] for b in (1, 2, 3, 4)] == ["grown", "shrunk", "stable", "new"]
    assert later_ids == {1: "L1", 2: "L2", 3: "L3", 4: "L5"}
    assert resolved == [4]


def test_merge_and_split():
    # earlier 1 and 2 merge into later 1; earlier 3 splits into later 2 (larger) and 3
    later_ids, events, resolved = events_of({1: 2.0, 2: 1.0, 3: 3.0}, {1: 3.5, 2: 2.0, 3: 1.0},
                                            [(1, 1), (2, 1), (3, 2), (3, 3)])
    assert events[1] == ("merged", ["L2"]) and later_ids[1] == "L1"
    assert events[2][0] == events[3][0] == "split"
    assert later_ids[2] == "L3" and later_ids[3] == "L4"
    assert events[3][1] == ["L3"] and events[2][1] == ["L4"]
    assert resolved == []
