"""Anatomy that the phantom lacked until real CT showed it: a lung base that pulls away from the
lateral chest wall above a domed diaphragm must stay lung-only and lesion-free; a mass in the
paravertebral gutter must be taken back into the lung, a tube beside the spine must not."""

import numpy as np
import pytest
import SimpleITK as sitk

from lungtrack.phantom import make_case
from lungtrack.segment import segment_lesions, segment_lungs
from lungtrack.segment.pleura import fill_wall_lesions


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


def _chest(spacing=(5.0, 3.0, 3.0)):
    """A small (z, y, x) chest on ``spacing`` (mm): elliptic body of soft tissue (40 HU), two
    elliptic lungs (-850 HU) from 20 to 180 mm; coordinates (z, y, x) in mm, y = 0 at the body's
    centre and positive towards the back. Returns (lungs, body, hu, coordinates)."""
    z, y, x = np.meshgrid(np.arange(40) * spacing[0], (np.arange(96) - 48) * spacing[1],
                          (np.arange(112) - 56) * spacing[2], indexing="ij")
    body = (x / 150) ** 2 + (y / 110) ** 2 < 1
    lungs = [body & (z > 20) & (z < 180) & (((x - side * 70) / 55) ** 2 + ((y - 5) / 80) ** 2 < 1) for side in (-1, 1)]
    hu = np.where(body, 40.0, -1000.0).astype(np.float32)
    hu[lungs[0] | lungs[1]] = -850.0
    return lungs, body, hu, (z, y, x)


def test_mass_in_the_paravertebral_gutter_is_taken_back_into_the_lung():
    """A 40 mm solid mass in the left lung's posterior-medial corner, lung in front, beside and
    partly behind it: rays from the body's centre meet lung beyond it, so it is found behind the
    lung and grown through its outline (main recovered 32 % of it)."""
    spacing = (5.0, 3.0, 3.0)
    lungs, body, hu, (z, y, x) = _chest(spacing)
    mass = body & ((x - 40) ** 2 + (y - 70) ** 2 + (z - 100) ** 2 < 20 ** 2)
    hu[mass] = 40.0
    seen = [m & (hu < -400) for m in lungs]
    right, left = fill_wall_lesions(seen, body, hu, spacing)
    inside = mass & lungs[1]
    assert (inside & left).sum() >= 0.95 * inside.sum()
    assert not (right & ~seen[0]).any()  # nothing added to the other lung
    assert ((left & ~lungs[1]) & ~mass).sum() <= 0.1 * mass.sum()  # wall beside the mass: 2 mL of its 33 mL


def test_tube_along_the_whole_lung_stays_outside_it():
    """The same indentation over the lung's whole height (the descending aorta beside the spine)
    is anatomy: the wall behind the lung is as thick in every slice, so nothing is added."""
    spacing = (5.0, 3.0, 3.0)
    lungs, body, hu, (_, y, x) = _chest(spacing)
    tube = body & ((x - 40) ** 2 + (y - 70) ** 2 < 15 ** 2)
    hu[tube] = 40.0
    seen = [m & (hu < -400) for m in lungs]
    right, left = fill_wall_lesions(seen, body, hu, spacing)
    assert (tube & lungs[1]).sum() > 1000
    assert not (right & ~seen[0]).any() and not (left & ~seen[1]).any()


def test_phantom_paravertebral_mass_is_lung_and_lesion():
    """The phantom's solid mass in the left lung's posterior-medial corner (option
    ``paravertebral_mass_mm``) is segmented as lung and as consolidation, and nothing around it is
    taken in."""
    case = make_case(1234, timepoint=0, n_timepoints=1, lesions=False, paravertebral_mass_mm=40.0)
    mass = case.lesions == 2
    assert mass.sum() * case.voxel_ml > 10.0 and not (case.lesions == 1).any()
    assert np.unique(case.lungs[mass]).tolist() == [2]  # left lung
    image = case.image()
    lungs_image = segment_lungs(image)
    lungs = sitk.GetArrayFromImage(lungs_image) > 0
    lesions = sitk.GetArrayFromImage(segment_lesions(image, lungs_image)) > 0
    truth = case.lungs > 0
    assert (lungs & mass).sum() >= 0.85 * mass.sum()  # 0.94 (0.01 before the rays straight back)
    assert (lesions & mass).sum() >= 0.8 * mass.sum()  # 0.94
    assert abs(lungs.sum() - truth.sum()) <= 0.03 * truth.sum() and (lungs & ~truth).sum() <= 0.02 * truth.sum()
