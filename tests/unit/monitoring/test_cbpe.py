"""CBPE: the expected confusion matrix and metrics from calibrated probabilities, and calibration."""

from fractions import Fraction

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from core.monitoring.cbpe import (
    Calibration,
    estimate_metric,
    estimate_roc_auc,
    fit_calibration,
    get_expected_confusion,
)

P = np.array([0.9, 0.8, 0.3, 0.1])


def test_expected_confusion_and_metrics_by_hand():
    tp, fp, fn, tn = get_expected_confusion(P, P >= 0.5)
    assert (tp, fp, fn, tn) == pytest.approx((1.7, 0.3, 0.4, 1.6))
    assert estimate_metric("accuracy", P, P, 0.5) == pytest.approx(3.3 / 4)
    f1_yes, f1_no = 3.4 / (3.4 + 0.7), 3.2 / (3.2 + 0.7)
    assert estimate_metric("f1_macro", P, P, 0.5) == pytest.approx((f1_yes + f1_no) / 2)
    assert estimate_metric("balanced_accuracy", P, P, 0.5) == pytest.approx((1.7 / 2.1 + 1.6 / 1.9) / 2)


def test_expected_roc_auc_by_hand():
    # Ranked by score, the expected positives/negatives add up to (0.9, 0.1), (1.7, 0.3), (2.0, 1.0),
    # (2.1, 1.9): the area under that curve, by trapezoids, in exact fractions.
    tps = [Fraction(0), Fraction(9, 10), Fraction(17, 10), Fraction(2), Fraction(21, 10)]
    fps = [Fraction(0), Fraction(1, 10), Fraction(3, 10), Fraction(1), Fraction(19, 10)]
    area = sum((fps[i + 1] - fps[i]) / fps[-1] * (tps[i + 1] + tps[i]) / tps[-1] / 2 for i in range(len(tps) - 1))
    assert estimate_roc_auc(P, P) == pytest.approx(float(area))
    assert estimate_metric("roc_auc", P, P, 0.5) == pytest.approx(float(area))


def test_tied_scores_step_together_as_roc_auc_does():
    scores = np.array([0.7, 0.7, 0.2, 0.2])
    certain = np.array([1.0, 0.0, 1.0, 0.0])  # probabilities that are the labels: the estimate is the metric
    assert estimate_roc_auc(certain, scores) == pytest.approx(roc_auc_score(certain, scores))


def test_estimates_match_the_average_realised_metric_when_scores_are_calibrated():
    rng = np.random.default_rng(0)
    p = rng.beta(0.6, 2.5, 500)  # a window of calibrated scores
    realised = {"accuracy": [], "f1_macro": [], "roc_auc": []}
    for _ in range(600):
        y = (rng.random(len(p)) < p).astype(int)
        realised["accuracy"].append(accuracy_score(y, p >= 0.5))
        realised["f1_macro"].append(f1_score(y, p >= 0.5, average="macro"))
        realised["roc_auc"].append(roc_auc_score(y, p))
    for metric, values in realised.items():
        assert estimate_metric(metric, p, p, 0.5) == pytest.approx(np.mean(values), abs=0.005), metric


def test_unknown_metric_is_refused():
    with pytest.raises(ValueError, match="does not estimate 'r2'"):
        estimate_metric("r2", P, P, 0.5)


def test_calibration_learns_overconfident_scores_and_keeps_calibrated_ones():
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, 4000)
    y = (rng.random(4000) < p).astype(int)
    kept = fit_calibration(y, p)
    assert not kept.calibrated and "as they are" in kept.note
    overconfident = np.clip(p + (p - 0.5) * 0.9, 0, 1)
    learned = fit_calibration(y, overconfident)
    assert learned.calibrated and "recalibrated" in learned.note
    assert np.abs(learned.apply(overconfident) - p).mean() < np.abs(overconfident - p).mean() / 2
    assert Calibration.from_dict(learned.to_dict()) == learned


def test_too_small_a_holdout_is_not_calibrated():
    assert not fit_calibration(np.array([0, 1] * 10), np.linspace(0, 1, 20)).calibrated
