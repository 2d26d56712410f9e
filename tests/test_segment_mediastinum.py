"""The mediastinal prior of the lesion segmenter (``segment.mediastinum``), on small synthetic masks and the phantom."""

import numpy as np
import SimpleITK as sitk

from lungtrack.phantom import make_case
from lungtrack.segment import segment_lesions
from lungtrack.segment.mediastinum import mediastinum


def test_mediastinum_is_between_the_lungs_not_beside_them():
    right = np.zeros((4, 60, 80), dtype=bool)
    right[:, 10:50, 5:30] = True
    left = np.zeros_like(right)
    left[:, 10:50, 50:75] = True
    right[:, 25:35, 5:12] = False  # a lateral notch (a lesion against the wall)
    found = mediastinum(right, left, (5.0, 1.0, 1.0))
    assert found[:, 16:26, 36:44].all()  # the gap between the lungs, in front of their centre
    assert not found[:, 32:].any()  # behind it: spine and dorsal lung
    assert not found[:, 25:35, 5:12].any() and not (found & (right | left)).any()
    assert not mediastinum(right, np.zeros_like(left), (5.0, 1.0, 1.0)).any()  # one lung: nothing


def test_phantom_lesions_are_kept_and_tissue_between_the_lungs_is_dropped():
    case = make_case(3, timepoint=1, matrix=96, pixel_mm=3.6, slice_mm=5.0)
    image = case.image()
    lungs = case.lungs.copy()
    # a lung mask that took in the tissue in front of the trachea, between the lungs
    rows, cols = np.nonzero(case.lungs.any(axis=0))
    gap = slice(int(np.percentile(cols, 47)), int(np.percentile(cols, 53)) + 1)
    front = slice(int(rows.min()), int(rows.min()) + 6)
    lungs[:, front, gap][case.ct[:, front, gap] > -300] = 1
    lungs_img = sitk.GetImageFromArray(lungs)
    lungs_img.CopyInformation(image)
    taken_in = (lungs > 0) & (case.lungs == 0)
    with_prior = sitk.GetArrayFromImage(segment_lesions(image, lungs_img))
    without = sitk.GetArrayFromImage(segment_lesions(image, lungs_img, mediastinal_prior=False))
    truth = case.lesions > 0
    assert (with_prior[truth] > 0).mean() >= (without[truth] > 0).mean() - 0.01
    assert (with_prior[taken_in] > 0).sum() < (without[taken_in] > 0).sum()
