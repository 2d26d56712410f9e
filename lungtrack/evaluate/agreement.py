"""Agreement of paired measurements (pipeline vs reference): Bland-Altman, ICC(2,1), correlations.

Pairs with a missing value (NaN) in either member are dropped. Statistics that need more pairs
than are left (2 for Bland-Altman, 3 for ICC and correlations) are NaN.
"""

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

# two-sided 95 % normal quantile used for the limits of agreement
Z95 = 1.959963984540054


@dataclass(frozen=True)
class BlandAltman:
    """Differences pred − ref (units of the inputs): bias, their SD and the 95 % limits of agreement."""

    n: int
    bias: float
    sd: float
    loa_low: float
    loa_high: float


def paired(pred, ref) -> tuple[np.ndarray, np.ndarray]:
    """The two sequences as float arrays, keeping only pairs where both values are finite."""
    pred = np.asarray(pred, dtype=float)
    ref = np.asarray(ref, dtype=float)
    if pred.shape != ref.shape or pred.ndim != 1:
        raise ValueError("paired measurements need two 1-D sequences of equal length")
    keep = np.isfinite(pred) & np.isfinite(ref)
    return pred[keep], ref[keep]


def bland_altman(pred, ref) -> BlandAltman:
    """Bland-Altman (1986) bias and 95 % limits of agreement, bias ± 1.96 SD (SD with n − 1)."""
    pred, ref = paired(pred, ref)
    diff = pred - ref
    if diff.size < 2:
        nan = float("nan")
        return BlandAltman(int(diff.size), float(diff.mean()) if diff.size else nan, nan, nan, nan)
    bias, sd = float(diff.mean()), float(diff.std(ddof=1))
    return BlandAltman(int(diff.size), bias, sd, bias - Z95 * sd, bias + Z95 * sd)


def icc_2_1(ratings) -> float:
    """ICC(2,1) of Shrout & Fleiss (1979): two-way random effects, absolute agreement, single rater.

    ``ratings`` is (n targets, k raters) without missing values:
    (BMS − EMS) / (BMS + (k − 1) EMS + k (JMS − EMS) / n).
    """
    x = np.asarray(ratings, dtype=float)
    n, k = x.shape
    if n < 3 or k < 2:
        return float("nan")
    grand = x.mean()
    ss_targets = k * np.sum((x.mean(axis=1) - grand) ** 2)
    ss_raters = n * np.sum((x.mean(axis=0) - grand) ** 2)
    ss_error = np.sum((x - grand) ** 2) - ss_targets - ss_raters
    bms = ss_targets / (n - 1)
    jms = ss_raters / (k - 1)
    ems = ss_error / ((n - 1) * (k - 1))
    denominator = bms + (k - 1) * ems + k * (jms - ems) / n
    return float((bms - ems) / denominator) if denominator > 0 else float("nan")


def agreement(pred, ref) -> dict:
    """Bland-Altman, ICC(2,1), Pearson r and Spearman ρ (with two-sided p values) of paired values."""
    pred, ref = paired(pred, ref)
    result = asdict(bland_altman(pred, ref))
    result["icc_2_1"] = icc_2_1(np.column_stack([pred, ref]))
    enough = pred.size >= 3 and np.ptp(pred) > 0 and np.ptp(ref) > 0
    nan = float("nan")
    pearson = stats.pearsonr(pred, ref) if enough else (nan, nan)
    spearman = stats.spearmanr(pred, ref) if enough else (nan, nan)
    result.update(
        pearson_r=float(pearson[0]), pearson_p=float(pearson[1]),
        spearman_rho=float(spearman[0]), spearman_p=float(spearman[1]),
    )
    return result
