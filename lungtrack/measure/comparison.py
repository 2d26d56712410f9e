"""Masks against reference masks, per label: Dice, volumes (mL) and their errors, POI (%) and its error (pp).

The one comparison of ``lungtrack measure`` (the ``dice_*`` and ``*_error`` keys of a metrics JSON)
and ``lungtrack evaluate`` (which adds surface distances, :mod:`lungtrack.evaluate.cases`).
Labels: ``lung`` (lungs > 0), ``lesion`` (lesions > 0), ``ggo`` (lesions == 1) and
``consolidation`` (lesions == 2). Lesions count only inside the lung of the same mask set (the
reference lesions inside the reference lung when there is one), as POI is defined within the lung.
Errors are prediction minus reference, so a positive error is an over-estimate.
"""

import math

import numpy as np

from lungtrack.measure.overlap import dice
from lungtrack.labels import CONSOLIDATION, GGO
from lungtrack.measure.volumes import poi

LABELS = ("lung", "lesion", "ggo", "consolidation")


def label_masks(lungs: np.ndarray | None, lesions: np.ndarray | None) -> dict[str, np.ndarray]:
    """Boolean (z, y, x) mask per label from label arrays on one grid (either may be None)."""
    masks = {}
    if lungs is not None:
        masks["lung"] = lungs > 0
    if lesions is not None:
        inside = lesions if lungs is None else np.where(masks["lung"], lesions, 0)
        masks.update(lesion=inside > 0, ggo=inside == GGO, consolidation=inside == CONSOLIDATION)
    return masks


def volume_error(pred_ml: float, ref_ml: float) -> tuple[float, float]:
    """(error in mL, error in % of the reference); the % is NaN when the reference volume is 0."""
    error = pred_ml - ref_ml
    return error, (100.0 * error / ref_ml if ref_ml > 0 else math.nan)


def poi_error(pred_ml: float, pred_lung_ml: float, ref_ml: float, ref_lung_ml: float) -> tuple[float, float, float]:
    """(predicted POI %, reference POI %, error in pp) of a lesion volume within its own lung volume."""
    pred_poi, ref_poi = poi(pred_ml, pred_lung_ml), poi(ref_ml, ref_lung_ml)
    return pred_poi, ref_poi, pred_poi - ref_poi


def compare_labels(pred: dict, ref: dict, voxel_ml: float, labels=LABELS) -> list[dict]:
    """One row per label of ``labels`` present in both ``pred`` and ``ref`` (dicts of :func:`label_masks`).

    ``voxel_ml`` is the volume of one voxel in mL. Columns: label, dice, pred_ml, ref_ml,
    volume_error_ml, volume_error_pct and, for lesion labels, pred_poi, ref_poi (%) and
    poi_error_pp (NaN without a lung mask on that side).
    """
    volume = {name: {label: np.count_nonzero(mask) * voxel_ml for label, mask in masks.items()}
              for name, masks in (("pred", pred), ("ref", ref))}
    rows = []
    for label in labels:
        if label not in pred or label not in ref:
            continue
        pred_ml, ref_ml = volume["pred"][label], volume["ref"][label]
        error_ml, error_pct = volume_error(pred_ml, ref_ml)
        row = {"label": label, "dice": dice(pred[label], ref[label]), "pred_ml": pred_ml, "ref_ml": ref_ml,
               "volume_error_ml": error_ml, "volume_error_pct": error_pct}
        if label != "lung":
            pred_poi, ref_poi, error_pp = poi_error(
                pred_ml, volume["pred"].get("lung", math.nan), ref_ml, volume["ref"].get("lung", math.nan)
            )
            row.update(pred_poi=pred_poi, ref_poi=ref_poi, poi_error_pp=error_pp)
        rows.append(row)
    return rows
