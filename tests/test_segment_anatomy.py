"""Lesion-free anatomy that the phantom lacked until real CT showed it: a lung base that pulls away
from the lateral chest wall above a domed diaphragm must stay lung-only and lesion-free."""

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.phantom import make_case
from lungtrack.segment import segment_lesions, segment_lungs


@pytest.fixture(scope="module", params=[0.0, 45.0], ids=["wall-contact", "base-pulls-away"])
def healthy(request):
    case = make_case(1234, timepoint=0, n_timepoints=1, lesions=False, basal_retraction_mm=request.param)
    image = case.image()
    lungs = segment_lungs(image)
    lesions = segment_lesions(image, lungs)
    return request.param, case, sitk.GetArrayFromImage(lungs), sitk.GetArrayFromImage(lesions)


def test_phantom_base_pulls_away_from_the_lateral_wall():
    """The option moves the lowest lung slices' lateral edge inwards, leaving the top alone."""
    flat = make_case(1234, timepoint=0, n_timepoints=1, lesions=False)
    domed = make_case(1234, timepoint=0, n_timepoints=1, lesions=False, basal_retraction_mm=45.0)

    def width(case, fraction):
        zs = np.flatnonzero((case.lungs > 0).any(axis=(1, 2)))
        z = zs[0] + int(fraction * (zs[-1] - zs[0]))
        cols = np.flatnonzero((case.lungs[z] > 0).any(axis=0))
        return cols[-1] - cols[0]

    assert width(domed, 0.1) <= width(flat, 0.1) - 9  # at least 16 mm narrower (1.8 mm pixels)
    assert abs(width(domed, 0.8) - width(flat, 0.8)) <= 1


def test_lesion_free_lungs_keep_their_volume_and_get_no_lesions(healthy):
    retraction, case, lungs, lesions = healthy
    truth = case.lungs > 0
    found = lungs > 0
    assert abs(found.sum() - truth.sum()) <= 0.03 * truth.sum()
    assert (found & ~truth).sum() <= 0.02 * truth.sum()  # no chest wall or diaphragm taken in
    poi = 100.0 * ((lesions > 0) & found).sum() / found.sum()
    assert poi <= 0.5
