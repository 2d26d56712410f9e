"""Scan-level detection of pneumonia with a continuous score (POI in %, or lesion volume in mL).

A scan is called positive when its score is at or above the threshold. ``labels`` are 1 for
pneumonia present and 0 for absent. Scans with a missing score or label are dropped by the
caller (see ``summary``).
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class OperatingPoint:
    """Sensitivity and specificity (fractions) at ``threshold``, with exact 95 % binomial intervals."""

    threshold: float
    sensitivity: float
    sensitivity_ci: tuple[float, float]
    specificity: float
    specificity_ci: tuple[float, float]


def _check(labels, scores) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=float)
    if labels.shape != scores.shape or labels.ndim != 1:
        raise ValueError("labels and scores must be 1-D and of equal length")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 (absent) or 1 (present)")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    labels = labels.astype(bool)
    if labels.all() or not labels.any():
        raise ValueError("ROC analysis needs at least one positive and one negative scan")
    return labels, scores


def roc_curve(labels, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve: (false positive rate, true positive rate, thresholds), thresholds decreasing.

    One point per distinct score (ties move together) plus the origin at threshold +inf.
    """
    labels, scores = _check(labels, scores)
    order = np.argsort(-scores, kind="stable")
    scores, labels = scores[order], labels[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    tp = np.cumsum(labels)[last_of_tie]
    fp = (last_of_tie + 1) - tp
    tpr = np.r_[0.0, tp / labels.sum()]
    fpr = np.r_[0.0, fp / (~labels).sum()]
    return fpr, tpr, np.r_[np.inf, scores[last_of_tie]]


def auc(labels, scores) -> float:
    """Area under the ROC curve (trapezoidal rule; equals the Mann-Whitney probability)."""
    fpr, tpr, _ = roc_curve(labels, scores)
    return float(np.trapezoid(tpr, fpr))


def auc_bootstrap_ci(labels, scores, n_boot: int = 2000, seed: int = 0, level: float = 0.95):
    """Percentile bootstrap interval of the AUC, resampling positives and negatives separately.

    Stratified resampling keeps both classes in every replicate; returns (low, high).
    """
    labels, scores = _check(labels, scores)
    rng = np.random.default_rng(seed)
    pos, neg = scores[labels], scores[~labels]
    boot_labels = np.r_[np.ones(pos.size, bool), np.zeros(neg.size, bool)]
    values = np.empty(n_boot)
    for i in range(n_boot):
        sample = np.r_[rng.choice(pos, pos.size), rng.choice(neg, neg.size)]
        values[i] = auc(boot_labels, sample)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def operating_point(labels, scores, threshold: float) -> OperatingPoint:
    """Sensitivity and specificity when scans with score >= ``threshold`` are called positive."""
    labels, scores = _check(labels, scores)
    called = scores >= threshold
    tp, positives = int(np.sum(called & labels)), int(labels.sum())
    tn, negatives = int(np.sum(~called & ~labels)), int((~labels).sum())
    return OperatingPoint(
        float(threshold),
        tp / positives, _exact_ci(tp, positives),
        tn / negatives, _exact_ci(tn, negatives),
    )


def youden_point(labels, scores) -> OperatingPoint:
    """Operating point at the threshold maximising Youden's J = sensitivity + specificity − 1.

    Among equal J the highest threshold is taken. The threshold is chosen on the same data,
    so its sensitivity and specificity are optimistic.
    """
    fpr, tpr, thresholds = roc_curve(labels, scores)
    best = int(np.argmax((tpr - fpr)[1:])) + 1  # skip the +inf point (nothing called positive)
    return operating_point(labels, scores, thresholds[best])


def _exact_ci(successes: int, trials: int) -> tuple[float, float]:
    """Clopper-Pearson 95 % interval of a proportion."""
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=0.95, method="exact")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class Detection:
    """ROC analysis of one score: curve, AUC with its bootstrap interval and two operating points."""

    n_positive: int
    n_negative: int
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float
    auc_ci: tuple[float, float]
    at_threshold: OperatingPoint
    youden: OperatingPoint


def detect(labels, scores, threshold: float, n_boot: int = 2000, seed: int = 0) -> Detection:
    """Everything the detection table reports, for labels 0/1 and finite scores."""
    labels, scores = _check(labels, scores)
    fpr, tpr, thresholds = roc_curve(labels, scores)
    return Detection(
        n_positive=int(labels.sum()),
        n_negative=int((~labels).sum()),
        fpr=fpr,
        tpr=tpr,
        thresholds=thresholds,
        auc=float(np.trapezoid(tpr, fpr)),
        auc_ci=auc_bootstrap_ci(labels, scores, n_boot, seed),
        at_threshold=operating_point(labels, scores, threshold),
        youden=youden_point(labels, scores),
    )
