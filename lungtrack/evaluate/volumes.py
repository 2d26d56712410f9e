"""Volume errors (mL, %) and POI errors (percentage points) against a reference.

Errors are prediction minus reference, so a positive error is an over-estimate. POI, the
percentage of infection, is lesion volume / lung volume × 100 (``lungtrack.measure.volumes.poi``).
"""

import math

from lungtrack.measure.volumes import poi


def volume_error(pred_ml: float, ref_ml: float) -> tuple[float, float]:
    """(error in mL, error in % of the reference); the % is NaN when the reference volume is 0."""
    error = pred_ml - ref_ml
    return error, (100.0 * error / ref_ml if ref_ml > 0 else math.nan)


def poi_error(pred_ml: float, pred_lung_ml: float, ref_ml: float, ref_lung_ml: float) -> tuple[float, float, float]:
    """(predicted POI %, reference POI %, error in pp) of a lesion volume within its own lung volume."""
    pred_poi, ref_poi = poi(pred_ml, pred_lung_ml), poi(ref_ml, ref_lung_ml)
    return pred_poi, ref_poi, pred_poi - ref_poi
