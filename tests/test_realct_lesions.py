"""Real COVID-19 lesion shapes (MosMedData expert masks) inserted into a real chest CT (bench/realct_lesions.py).

Needs ../shared/data (skipped with the reason when absent). The lungs of ``pyradiomics-lung2`` are
segmented once; two large ground-glass lesions (one with a consolidation core) are inserted and
segmented with the default threshold backend and with its specificity steps switched off, so
that a cut of the false-positive floor that also cuts real lesions shows here.
"""

import functools

import pytest
import SimpleITK as sitk

from bench.realct_lesions import CTS, cached_lungs, insertion_row
from lungtrack.io.images import read_image
from lungtrack.measure.reference import load_reference
from lungtrack.segment.morphology import dilate

pytestmark = [pytest.mark.shared, pytest.mark.slow]
NO_PRIORS = {"mediastinal_prior": False, "tube_threshold": None}


@pytest.fixture(scope="module")
def insert(shared_data, tmp_path_factory):
    """``insert(mask name, seed, consolidation, **opts)``: the bench row of one insertion into pyradiomics-lung2."""
    _, ct, tumour = CTS[0]
    realct = shared_data / "realct"
    image = read_image(realct / ct)
    lungs = cached_lungs(realct / ct, image, tmp_path_factory.mktemp("lungs"))
    tumour_mask = sitk.GetArrayFromImage(load_reference(realct / tumour, image)) > 0
    keep = (sitk.GetArrayFromImage(lungs) > 0) & ~dilate(tumour_mask, 2.0, image.GetSpacing()[::-1])
    hu = sitk.GetArrayFromImage(image)
    masks = shared_data / "masks" / "mosmeddata-covid-lesion-masks"

    @functools.cache
    def row(mask, seed, consolidation, priors=True):
        return insertion_row(image, hu, lungs, keep, masks / f"{mask}_mask.nii.gz", seed, consolidation,
                             **({} if priors else NO_PRIORS))

    return row


@pytest.mark.parametrize("mask, seed, consolidation", [("study_0255", 0, False), ("study_0260", 5, True)])
def test_inserted_lesion_is_found_and_the_priors_do_not_cut_it(insert, mask, seed, consolidation):
    row = insert(mask, seed, consolidation)
    assert row["true_ml"] > 40  # placed inside the lungs
    assert row["sensitivity"] >= 0.4 and row["dice"] >= 0.45
    assert abs(row["poi_error"]) <= 1.0
    assert row["fp_poi"] <= 0.5  # the CT's own floor outside the lesion
    plain = insert(mask, seed, consolidation, priors=False)
    assert row["sensitivity"] >= plain["sensitivity"] - 0.05
    assert row["fp_poi"] < plain["fp_poi"]
