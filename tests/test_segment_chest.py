"""A small synthetic chest CT with known lungs and lesions, for the segmentation tests.

World coordinates in mm, LPS: x to the patient's left, y posterior, z to the head. Arrays (z, y, x).
"""

import numpy as np
import SimpleITK as sitk

RIGHT_CENTRE, LEFT_CENTRE = (-70.0, 0.0, 150.0), (70.0, 0.0, 150.0)
LUNG_AXES = (58.0, 75.0, 105.0)  # semi-axes (x, y, z) in mm


def _inside(x, y, z, centre, axes):
    return sum(((c - c0) / a) ** 2 for c, c0, a in zip((x, y, z), centre, axes)) <= 1.0


def _tube(x, y, z, start, end, radius):
    p, a, b = np.stack([x, y, z], -1), np.array(start, float), np.array(end, float)
    t = np.clip(((p - a) @ (b - a)) / ((b - a) @ (b - a)), 0, 1)
    return np.linalg.norm(p - (a + t[..., None] * (b - a)), axis=-1) <= radius


def synthetic_chest(
    spacing=(2.0, 2.0, 4.0),
    size_mm=(360.0, 300.0, 280.0),
    body_axes=(165.0, 115.0),
    wall_mm=28.0,
    table_gap_mm=6.0,
    padding_hu=-2000,
    stomach=True,
    touching=False,
    ggo=True,
    consolidation=True,
    noise_hu=15.0,
    seed=0,
):
    """(CT image in HU, truth lungs (0/1 right/2 left), truth lesions (0/1 GGO/2 consolidation),
    parts: dict of (z, y, x) boolean masks "airway", "vessels", "stomach", "table", "padding").

    ``spacing`` (x, y, z) mm; ``size_mm`` (x, y, z) field of view; ``body_axes`` (x, y) body
    semi-axes and ``wall_mm`` chest wall thickness in mm. The lungs fill the thoracic cavity above
    domed hemidiaphragms, around a mediastinum, heart and spine; a trachea and main bronchi, vessels,
    a GGO blob in the right lung and a consolidation against the dorsal chest wall and diaphragm
    of the left lung. ``touching`` narrows the anterior mediastinum so the lungs touch;
    ``table_gap_mm`` is the air gap between back and a hollow table; ``padding_hu`` fills the
    corners outside a round field of view; ``stomach`` puts a gas bubble under the left dome.
    """
    rng = np.random.default_rng(seed)
    n = [int(round(s / d)) for s, d in zip(size_mm, spacing)]
    x = (np.arange(n[0]) - (n[0] - 1) / 2) * spacing[0]
    y = (np.arange(n[1]) - (n[1] - 1) / 2) * spacing[1]
    z = np.arange(n[2]) * spacing[2]
    Z, Y, X = np.meshgrid(z, y, x, indexing="ij")
    ct = np.full(Z.shape, -1000.0)
    a, b = body_axes
    ct[(X / a) ** 2 + (Y / b) ** 2 <= 1] = -90.0  # subcutaneous fat
    ct[(X / (a - 10)) ** 2 + (Y / (b - 10)) ** 2 <= 1] = 45.0  # muscle
    cavity = (X / (a - wall_mm)) ** 2 + (Y / (b - wall_mm)) ** 2 <= 1
    ct[cavity] = 35.0
    back = b + table_gap_mm
    table = (Y >= back) & (Y <= back + 25) & (np.abs(X) <= 200)
    ct[table] = 250.0
    ct[table & (Y >= back + 3) & (Y <= back + 22) & (np.abs(X) <= 195)] = -1000.0  # hollow core
    dome = 70.0 + 35.0 * np.clip(1 - ((np.abs(X) - 60) / 80) ** 2 - (Y / 90) ** 2, 0, 1) - 0.15 * Y
    apex = _inside(np.abs(X), Y, Z, (60.0, 0.0, 190.0), (75.0, 95.0, 70.0))
    mediastinum = np.where(Y < -40, 4.0 if touching else 12.0, 28.0)
    lung = cavity & (Z > dome) & ((Z < 190) | apex) & (np.abs(X) > mediastinum)
    lung &= ~_inside(X, Y, Z, (20.0, -35.0, 120.0), (55.0, 45.0, 45.0))  # heart
    lung &= np.hypot(X, Y - 70) > 22  # spine
    lungs = np.zeros(Z.shape, np.uint8)
    lungs[lung & (X < 0)], lungs[lung & (X >= 0)] = 1, 2
    ct[lungs > 0] = -850.0
    vessels = np.zeros(Z.shape, bool)
    for start, end in (((-70, -30, 120), (-90, 40, 200)), ((75, 20, 110), (60, -50, 190)),
                       ((-60, 0, 90), (-40, 10, 230))):
        vessels |= _tube(X, Y, Z, start, end, 2.5) & (lungs > 0)
    ct[vessels] = 40.0
    trachea = ((0, 0, 200), (0, 0, size_mm[2] + 10))
    airway = _tube(X, Y, Z, *trachea, 9.0)
    for hilum in ((-45.0, 5.0, 170.0), (45.0, 5.0, 165.0)):
        airway |= _tube(X, Y, Z, (0, 0, 200), hilum, 6.0)
    ct[_tube(X, Y, Z, *trachea, 11.5) & (lungs == 0)] = 40.0
    ct[airway] = -1000.0
    lungs[airway & (np.abs(X) < 30)] = 0  # trachea and main bronchi are not lung
    gas = _inside(X, Y, Z, (70.0, -20.0, 30.0), (40.0, 35.0, 20.0)) & stomach
    ct[gas] = -1000.0
    lesions = np.zeros(Z.shape, np.uint8)
    if ggo:
        blob = _inside(X, Y, Z, (-80.0, -20.0, 170.0), (20.0, 25.0, 25.0)) & (lungs == 1) & ~vessels
        ct[blob] = -550.0
        lesions[blob] = 1
    if consolidation:
        blob = _inside(X, Y, Z, (80.0, 60.0, 95.0), (40.0, 30.0, 35.0)) & (lungs == 2) & ~vessels
        ct[blob] = 20.0
        lesions[blob] = 2
    ct += rng.normal(0, noise_hu, ct.shape)
    padding = (np.hypot(X, Y) > min(size_mm[:2]) / 2) & (padding_hu is not None)
    ct[padding] = padding_hu or 0
    image = sitk.GetImageFromArray(np.round(ct).astype(np.int16))
    image.SetSpacing(tuple(float(s) for s in spacing))
    image.SetOrigin((float(x[0]), float(y[0]), 0.0))
    parts = {"airway": airway & (lungs == 0), "vessels": vessels, "stomach": gas, "table": table, "padding": padding}
    return image, lungs, lesions, parts


def test_synthetic_chest_truth_is_consistent():
    image, lungs, lesions, parts = synthetic_chest()
    ct = sitk.GetArrayFromImage(image)
    assert ct.shape == lungs.shape == lesions.shape
    assert set(np.unique(lungs)) == {0, 1, 2} and set(np.unique(lesions)) == {0, 1, 2}
    assert np.all(lungs[lesions > 0] > 0)
    x = np.arange(ct.shape[2])
    assert np.average(x, weights=(lungs == 1).sum(axis=(0, 1))) < np.average(x, weights=(lungs == 2).sum(axis=(0, 1)))
    assert ct.min() <= -2000
    for name, mask in parts.items():
        assert mask.any(), name
        assert not (mask & (lesions > 0)).any(), name
