"""Agreement and detection statistics against textbook values and second libraries."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import confusion_matrix, roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from lungtrack.evaluate.agreement import agreement, bland_altman, icc_2_1
from lungtrack.evaluate.detection import auc, auc_bootstrap_ci, detect, operating_point, roc_curve, youden_point

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges; their ICC(2,1) is 0.29.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])


def scored_scans(seed=0, n=80):
    """Labels 0/1 and scores with ties (rounded), positives scoring higher on average."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    return labels, np.round(rng.normal(labels * 1.2, 1.0), 1)


# --- agreement -------------------------------------------------------------------------------

def test_icc_2_1_shrout_fleiss_table():
    assert icc_2_1(SHROUT_FLEISS) == pytest.approx(0.2898, abs=5e-4)


def test_icc_2_1_absolute_agreement():
    ref = np.array([1.0, 4.0, 2.0, 8.0, 5.0])
    assert icc_2_1(np.column_stack([ref, ref])) == pytest.approx(1.0)
    # a constant offset keeps consistency but lowers absolute agreement
    assert icc_2_1(np.column_stack([ref + 2.0, ref])) < 0.9
    assert math.isnan(icc_2_1(np.ones((2, 2))))


def test_bland_altman_known_differences():
    ref = np.array([10.0, 20.0, 30.0, 40.0])
    ba = bland_altman(ref + np.array([1.0, 2.0, 3.0, 4.0]), ref)
    sd = np.std([1, 2, 3, 4], ddof=1)
    assert (ba.n, ba.bias, ba.sd) == (4, pytest.approx(2.5), pytest.approx(sd))
    assert ba.loa_low == pytest.approx(2.5 - 1.96 * sd, abs=1e-3)
    assert ba.loa_high == pytest.approx(2.5 + 1.96 * sd, abs=1e-3)


def test_agreement_correlations_match_pandas_and_drop_missing():
    rng = np.random.default_rng(3)
    ref = rng.gamma(2.0, 5.0, 40)
    pred = ref * 1.1 + rng.normal(0, 2, 40)
    pred_missing = pred.copy()
    pred_missing[[3, 7]] = np.nan
    result = agreement(pred_missing, ref)
    keep = ~np.isnan(pred_missing)
    frame = pd.DataFrame({"pred": pred[keep], "ref": ref[keep]})
    assert result["n"] == 38
    assert result["pearson_r"] == pytest.approx(frame.corr(method="pearson").iloc[0, 1])
    assert result["spearman_rho"] == pytest.approx(frame.corr(method="spearman").iloc[0, 1])
    assert result["bias"] == pytest.approx((frame["pred"] - frame["ref"]).mean())
    assert 0 < result["pearson_p"] < 1e-6
    too_few = agreement([1.0, 2.0], [1.0, 2.5])
    assert too_few["n"] == 2 and math.isnan(too_few["icc_2_1"]) and math.isnan(too_few["pearson_r"])


# --- detection -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1])
def test_roc_curve_and_auc_match_scikit_learn(seed):
    labels, scores = scored_scans(seed)
    fpr, tpr, thresholds = roc_curve(labels, scores)
    sk_fpr, sk_tpr, sk_thresholds = sk_roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    np.testing.assert_array_equal(thresholds, sk_thresholds)
    assert auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))
    # AUC = Mann-Whitney U / (n+ n−)
    u = stats.mannwhitneyu(scores[labels == 1], scores[labels == 0]).statistic
    assert auc(labels, scores) == pytest.approx(u / ((labels == 1).sum() * (labels == 0).sum()))


def test_bootstrap_interval_brackets_auc_and_is_reproducible():
    labels, scores = scored_scans(2)
    low, high = auc_bootstrap_ci(labels, scores, n_boot=500, seed=1)
    assert low < auc(labels, scores) < high
    assert 0.05 < high - low < 0.4
    assert auc_bootstrap_ci(labels, scores, n_boot=500, seed=1) == (low, high)
    # more scans, narrower interval
    big_labels, big_scores = scored_scans(2, n=800)
    big_low, big_high = auc_bootstrap_ci(big_labels, big_scores, n_boot=500, seed=1)
    assert big_high - big_low < (high - low) / 2
    # perfect separation: every resample has AUC 1
    assert auc_bootstrap_ci([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], n_boot=100) == (1.0, 1.0)


def test_operating_point_matches_confusion_matrix():
    labels, scores = scored_scans(4)
    point = operating_point(labels, scores, 0.5)
    tn, fp, fn, tp = confusion_matrix(labels, scores >= 0.5).ravel()
    assert point.sensitivity == pytest.approx(tp / (tp + fn))
    assert point.specificity == pytest.approx(tn / (tn + fp))
    assert point.sensitivity_ci[0] < point.sensitivity < point.sensitivity_ci[1]
    # Clopper-Pearson for 0 of 10: upper limit 1 − 0.025^(1/10)
    none = operating_point([1] * 10 + [0], [0.0] * 10 + [1.0], 0.5)
    assert none.sensitivity == 0.0
    assert none.sensitivity_ci == pytest.approx((0.0, 1 - 0.025 ** 0.1))


def test_youden_point_is_the_best_threshold():
    labels, scores = scored_scans(5)
    best = youden_point(labels, scores)
    j = [operating_point(labels, scores, t) for t in np.unique(scores)]
    assert best.sensitivity + best.specificity == pytest.approx(max(p.sensitivity + p.specificity for p in j))
    assert best.threshold in scores


def test_detect_collects_everything_and_refuses_one_class():
    labels, scores = scored_scans(6)
    result = detect(labels, scores, threshold=0.5, n_boot=200)
    assert result.n_positive + result.n_negative == labels.size
    assert result.auc == pytest.approx(roc_auc_score(labels, scores))
    assert result.at_threshold.threshold == 0.5
    with pytest.raises(ValueError, match="one positive and one negative"):
        roc_curve([1, 1, 1], [0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="0 .absent. or 1"):
        roc_curve([0, 2], [0.2, 0.3])
