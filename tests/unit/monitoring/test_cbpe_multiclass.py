"""Multi-class CBPE: the expected per-class confusion counts and metrics from calibrated probabilities
(by hand), one-vs-rest calibration with rows renormalised, and the estimate against realised metrics."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from core.monitoring.cbpe import (
    calibrate_probabilities,
    estimate_multiclass_metric,
    fit_class_calibrations,
    get_expected_class_counts,
)
from core.monitoring.estimation import Estimator, estimate_windows, fit_estimator

P = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])
PREDICTED = np.array([0, 1])


def test_expected_class_counts_and_metrics_by_hand():
    tp, fp, fn = get_expected_class_counts(P, PREDICTED)
    assert tp == pytest.approx([0.7, 0.5, 0.0])
    assert fp == pytest.approx([0.3, 0.5, 0.0])
    assert fn == pytest.approx([0.2, 0.2, 0.4])
    assert estimate_multiclass_metric("accuracy", P, PREDICTED) == pytest.approx(0.6)
    # Classes 0 and 1 are answered (weight 1); class 2 is in the labels with chance 1 - 0.9 × 0.7.
    f1 = (1.4 / 1.9 + 1.0 / 1.7 + 0.0 * 0.37) / (1 + 1 + 0.37)
    assert estimate_multiclass_metric("f1_macro", P, PREDICTED) == pytest.approx(f1)
    present = np.array([1 - 0.3 * 0.8, 1 - 0.8 * 0.5, 1 - 0.9 * 0.7])
    recall = np.array([0.7 / 0.9, 0.5 / 0.7, 0.0])
    assert estimate_multiclass_metric("balanced_accuracy", P, PREDICTED) == pytest.approx(
        (recall * present).sum() / present.sum()
    )


def test_certain_probabilities_give_the_realised_metric():
    y = np.array([0, 1, 2, 2, 1, 0, 0])
    answered = np.array([0, 2, 2, 1, 1, 0, 1])
    certain = np.eye(3)[y]  # the probabilities are the labels
    assert estimate_multiclass_metric("accuracy", certain, answered) == pytest.approx(accuracy_score(y, answered))
    assert estimate_multiclass_metric("f1_macro", certain, answered) == pytest.approx(
        f1_score(y, answered, average="macro")
    )
    assert estimate_multiclass_metric("balanced_accuracy", certain, answered) == pytest.approx(
        balanced_accuracy_score(y, answered)
    )


def test_estimates_match_the_average_realised_metric_when_probabilities_are_calibrated():
    rng = np.random.default_rng(0)
    p = rng.dirichlet([0.6, 0.6, 0.6, 0.6], 600)
    answered = p.argmax(axis=1)
    realised: dict[str, list[float]] = {"accuracy": [], "f1_macro": [], "balanced_accuracy": []}
    for _ in range(300):
        y = (rng.random((len(p), 1)) > p.cumsum(axis=1)).sum(axis=1)  # one draw from each row's probabilities
        realised["accuracy"].append(accuracy_score(y, answered))
        realised["f1_macro"].append(f1_score(y, answered, average="macro"))
        realised["balanced_accuracy"].append(balanced_accuracy_score(y, answered))
    for metric, values in realised.items():
        assert estimate_multiclass_metric(metric, p, answered) == pytest.approx(np.mean(values), abs=0.005), metric


def test_unknown_metric_is_refused():
    with pytest.raises(ValueError, match="does not estimate 'roc_auc' of a multi-class model"):
        estimate_multiclass_metric("roc_auc", P, PREDICTED)


def _overconfident(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.dirichlet([1.0, 1.0, 1.0], n)
    y = (rng.random((n, 1)) > truth.cumsum(axis=1)).sum(axis=1)
    sharp = truth**3
    return y, truth, sharp / sharp.sum(axis=1, keepdims=True)


def test_one_vs_rest_calibration_learns_overconfident_scores_and_rows_sum_to_one():
    y, truth, scores = _overconfident(6000, 1)
    calibrations = fit_class_calibrations(y, scores)
    assert all(c.calibrated for c in calibrations)
    calibrated = calibrate_probabilities(calibrations, scores)
    assert calibrated.sum(axis=1) == pytest.approx(np.ones(len(y)))
    assert np.abs(calibrated - truth).mean() < np.abs(scores - truth).mean() / 2
    zeros = calibrate_probabilities(calibrations, np.zeros((2, 3)))  # nothing left after calibration: uniform
    assert zeros.sum(axis=1) == pytest.approx([1.0, 1.0])


def test_estimator_tracks_the_realised_accuracy_of_windows_it_has_not_seen():
    y, _, scores = _overconfident(4000, 2)
    estimator, note = fit_estimator(
        "multiclass", "accuracy", y[:2000], np.zeros(2000), rows=scores[:2000], read_rows=np.asarray
    )
    assert estimator is not None and "3 of the 3 classes" in note
    windows = np.repeat(np.arange(1, 11), 200)
    # Each window of the unseen half is sorted by confidence, so their accuracies differ a lot.
    order = np.argsort(scores[2000:].max(axis=1))
    rows, labels = scores[2000:][order], y[2000:][order]
    estimated = estimate_windows(estimator, windows, np.zeros(2000), rows)
    realised = [accuracy_score(labels[windows == w], rows[windows == w].argmax(axis=1)) for w in range(1, 11)]
    assert np.ptp(realised) > 0.3
    assert np.abs(estimated.to_numpy() - realised).mean() < 0.04
    raw = [rows[windows == w].max(axis=1).mean() for w in range(1, 11)]  # the model's own overconfident guess
    assert np.abs(np.array(raw) - realised).mean() > 0.08
    loaded = Estimator.from_dict(estimator.to_dict())
    assert loaded == estimator and not loaded.ready  # it keeps its calibrations, not the row reader
