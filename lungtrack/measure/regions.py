"""Regional measures: POI per lung, zone and lobe, and the CT severity score.

Arrays are in canonical orientation (``sitk.DICOMOrient(image, "LPS")``): axes (z, y, x) with
z = 0 at the feet, y = 0 anterior, x = 0 at the patient's right. Lung labels 1 right, 2 left;
lesion labels 1 GGO, 2 consolidation. Zones: upper, middle and lower thirds of each lung's
craniocaudal extent, and ventral and dorsal halves of its anteroposterior extent.
"""

import numpy as np

from lungtrack.labels import LOBES, LUNGS

THIRDS = ("lower", "middle", "upper")  # in order of increasing z (feet to head)
HALVES = ("ventral", "dorsal")  # in order of increasing y (anterior to posterior)
#: Zones of the six-zone CT severity score (0–30), head to feet within each lung.
SCORED_ZONES = [f"{lung}_{third}" for lung in ("right", "left") for third in ("upper", "middle", "lower")]
#: Every zone, in display order.
ZONES = SCORED_ZONES + [f"{lung}_{half}" for lung in ("right", "left") for half in HALVES]


def severity_score(poi_pct: float) -> int:
    """CT severity score of one zone or lobe from its involvement (%): 0 none, 1 <5, 2 5–25, 3 26–50,
    4 51–75, 5 >75."""
    if poi_pct <= 0:
        return 0
    return 1 + int(poi_pct >= 5.0) + int(poi_pct > 25.0) + int(poi_pct > 50.0) + int(poi_pct > 75.0)


def _bins(lo: int, hi: int, parts: int) -> np.ndarray:
    """Boundaries splitting the index range [lo, hi] into ``parts`` parts of equal extent."""
    return lo + (hi - lo + 1) * np.arange(1, parts) / parts


def _row_counts(mask: np.ndarray) -> np.ndarray:
    """Voxels of a (z, y, x) boolean mask in each row: a (z, y) array (exact integer counts)."""
    return np.add.reduce(mask.view(np.uint8), axis=2, dtype=np.uint32)


def _extent(rows: np.ndarray) -> tuple[int, int, int, int] | None:
    """(z_min, z_max, y_min, y_max) voxel index bounds of the non-empty rows of a (z, y) count array."""
    z, y = np.flatnonzero(rows.any(axis=1)), np.flatnonzero(rows.any(axis=0))
    return (int(z[0]), int(z[-1]), int(y[0]), int(y[-1])) if z.size else None


def lung_extents(lungs: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    """(z_min, z_max, y_min, y_max) voxel index bounds of each lung label present."""
    extents = {label: _extent(_row_counts(lungs == label)) for label in LUNGS}
    return {label: extent for label, extent in extents.items() if extent is not None}


def zone_of(lung_label: int, z: float, y: float, extents: dict) -> tuple[str, str]:
    """(third, half) of a position (voxel indices z, y) in the given lung."""
    z0, z1, y0, y1 = extents[lung_label]
    third = THIRDS[int(np.searchsorted(_bins(z0, z1, 3), z, side="right"))]
    half = HALVES[int(np.searchsorted(_bins(y0, y1, 2), y, side="right"))]
    return third, half


def zone_measures(lungs: np.ndarray, lesions: np.ndarray, voxel_ml: float) -> list[dict]:
    """Per lung and zone: lung and lesion volume (mL), POI (%), and per third the severity score.

    Returns rows ``{"region", "metric", "value"}``; metrics ``lung_ml``, ``lesion_ml``, ``poi``,
    ``severity`` (thirds only), plus one row ``severity_total`` (0–30, region ``all``).
    """
    rows = []
    lesion = lesions > 0
    total = 0
    for label, lung in LUNGS.items():
        inside = lungs == label
        lung_rows = _row_counts(inside)
        extent = _extent(lung_rows)
        if extent is None:
            continue
        lesion_rows = _row_counts(np.logical_and(inside, lesion, out=inside))
        lung_z, lesion_z = lung_rows.sum(axis=1, dtype=np.int64), lesion_rows.sum(axis=1, dtype=np.int64)
        lung_y, lesion_y = lung_rows.sum(axis=0, dtype=np.int64), lesion_rows.sum(axis=0, dtype=np.int64)
        z0, z1, y0, y1 = extent
        parts = [(THIRDS, lung_z, lesion_z, _bins(z0, z1, 3)), (HALVES, lung_y, lesion_y, _bins(y0, y1, 2))]
        for names, lung_profile, lesion_profile, bounds in parts:
            index = np.searchsorted(bounds, np.arange(lung_profile.size), side="right")
            for i, name in enumerate(names):
                lung_ml = float(lung_profile[index == i].sum()) * voxel_ml
                lesion_ml = float(lesion_profile[index == i].sum()) * voxel_ml
                poi = lesion_ml / lung_ml * 100.0 if lung_ml > 0 else 0.0
                region = f"{lung}_{name}"
                rows += [{"region": region, "metric": "lung_ml", "value": lung_ml},
                         {"region": region, "metric": "lesion_ml", "value": lesion_ml},
                         {"region": region, "metric": "poi", "value": poi}]
                if names is THIRDS:
                    score = severity_score(poi)
                    total += score
                    rows.append({"region": region, "metric": "severity", "value": score})
    rows.append({"region": "all", "metric": "severity_total", "value": total})
    return rows


def lobe_measures(lobes: np.ndarray, lesions: np.ndarray, voxel_ml: float) -> list[dict]:
    """The same per lobe, from a lobe label map (:data:`LOBES`) on the lesions' grid.

    Returns rows like :func:`zone_measures` with severity per lobe and ``lobe_severity_total`` (0–25).
    """
    lobe_ml = np.bincount(lobes.ravel(), minlength=6)[:6] * voxel_ml
    lesion_ml = np.bincount(lobes[lesions > 0], minlength=6)[:6] * voxel_ml
    rows, total = [], 0
    for label, name in LOBES.items():
        poi = float(lesion_ml[label] / lobe_ml[label] * 100.0) if lobe_ml[label] > 0 else 0.0
        score = severity_score(poi)
        total += score
        rows += [{"region": name, "metric": "lung_ml", "value": float(lobe_ml[label])},
                 {"region": name, "metric": "lesion_ml", "value": float(lesion_ml[label])},
                 {"region": name, "metric": "poi", "value": poi},
                 {"region": name, "metric": "severity", "value": score}]
    rows.append({"region": "all", "metric": "lobe_severity_total", "value": total})
    return rows
