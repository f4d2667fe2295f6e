"""Performance before the labels arrive: confidence-based performance estimation (CBPE) for a yes/no
model. If the model's probabilities are calibrated (of the rows scored 0.8, 80% are positives), each
row's expected share of a true positive, false positive… is known from its score alone, so the
expected confusion matrix of a window, and any metric built on it, can be computed before a single
label has come back. The idea and the ROC-AUC estimate follow NannyML's CBPE (Apache-2.0); the code
is our own.

What it cannot see: a change in the link between inputs and outcome (concept drift) leaves the scores,
and so the estimate, unchanged. Only the realised metric, once labels arrive, shows that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import StratifiedKFold

# Metrics of a yes/no model that CBPE estimates (the studio's binary metrics, as training computes them).
ESTIMABLE_METRICS = ("roc_auc", "accuracy", "f1_macro", "balanced_accuracy")
CALIBRATION_FOLDS = 5
MIN_CALIBRATION_ROWS = 50  # fewer reference rows (or fewer than 2 of a class per fold): keep the scores


@dataclass(frozen=True)
class Calibration:
    """The map from a model's score to the probability of a positive, learned on the holdout.

    ``thresholds``/``values`` are the isotonic step function (empty: the scores are used as they are);
    ``note`` says in words what was decided and why. JSON round-trippable."""

    thresholds: tuple[float, ...] = ()
    values: tuple[float, ...] = ()
    note: str = "The model's scores are used as probabilities as they are."

    @property
    def calibrated(self) -> bool:
        return bool(self.thresholds)

    def apply(self, scores: np.ndarray) -> np.ndarray:
        scores = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
        if not self.calibrated:
            return scores
        return np.interp(scores, np.asarray(self.thresholds), np.asarray(self.values))

    def to_dict(self) -> dict[str, Any]:
        return {"thresholds": list(self.thresholds), "values": list(self.values), "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        return cls(tuple(data.get("thresholds", ())), tuple(data.get("values", ())), data.get("note", cls.note))


def _fit_isotonic(y: np.ndarray, scores: np.ndarray) -> IsotonicRegression:
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True).fit(scores, y)


def _brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def fit_calibration(y: np.ndarray, scores: np.ndarray, *, seed: int = 0) -> Calibration:
    """Calibrate the scores on the holdout (isotonic regression) only when that helps on rows it did
    not see: in 5-fold cross-validation the calibrated scores must have a lower Brier score (mean
    squared error of the probability) than the raw scores in most folds and on average. Otherwise
    (already calibrated, or too few rows to learn a better map) the scores are used as they are."""
    y = np.asarray(y, dtype=float)
    scores = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    positives = int(y.sum())
    if len(y) < MIN_CALIBRATION_ROWS or min(positives, len(y) - positives) < 2 * CALIBRATION_FOLDS:
        return Calibration(note="The holdout is too small to learn a calibration, so the scores are used as they are.")
    folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=seed)
    raw, calibrated = [], []
    for train, test in folds.split(scores.reshape(-1, 1), y):
        raw.append(_brier(y[test], scores[test]))
        calibrated.append(_brier(y[test], _fit_isotonic(y[train], scores[train]).predict(scores[test])))
    wins = sum(c < r for c, r in zip(calibrated, raw, strict=True))
    if np.mean(calibrated) >= np.mean(raw) or wins <= CALIBRATION_FOLDS // 2:
        return Calibration(
            note=f"The scores are used as probabilities as they are: recalibrating them on the holdout did not "
            f"make them more accurate on rows it had not seen (Brier score {np.mean(raw):.4f} as they are, "
            f"{np.mean(calibrated):.4f} recalibrated, in {CALIBRATION_FOLDS}-fold cross-validation)."
        )
    model = _fit_isotonic(y, scores)
    return Calibration(
        thresholds=tuple(float(v) for v in model.X_thresholds_),
        values=tuple(float(v) for v in model.y_thresholds_),
        note=f"The scores were recalibrated on the holdout (isotonic regression), because that made them more "
        f"accurate as probabilities on rows it had not seen (Brier score {np.mean(raw):.4f} → "
        f"{np.mean(calibrated):.4f} in {CALIBRATION_FOLDS}-fold cross-validation).",
    )


def get_expected_confusion(probabilities: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float, float]:
    """Expected (TP, FP, FN, TN) counts: a row predicted positive with probability p of being positive
    counts p true positive and 1 - p false positive; one predicted negative, p false negative and
    1 - p true negative."""
    p = np.asarray(probabilities, dtype=float)
    yes = np.asarray(predicted, dtype=bool)
    tp, fp = float(p[yes].sum()), float((1 - p[yes]).sum())
    fn, tn = float(p[~yes].sum()), float((1 - p[~yes]).sum())
    return tp, fp, fn, tn


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def estimate_roc_auc(probabilities: np.ndarray, scores: np.ndarray) -> float:
    """Expected ROC-AUC: rank the rows by the model's score, then walk down the ranking adding each
    row's probability to the expected true positives and the rest to the expected false positives;
    the area under that expected curve. Tied scores move together (one step of the curve)."""
    p = np.asarray(probabilities, dtype=float)
    s = np.asarray(scores, dtype=float)
    order = np.argsort(-s, kind="stable")
    p, s = p[order], s[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    tps = np.r_[0.0, np.cumsum(p)[last_of_tie]]
    fps = np.r_[0.0, np.cumsum(1 - p)[last_of_tie]]
    if tps[-1] <= 0 or fps[-1] <= 0:
        return float("nan")
    return float(np.trapezoid(tps / tps[-1], fps / fps[-1]))


def estimate_metric(metric: str, probabilities: np.ndarray, scores: np.ndarray, decision_threshold: float) -> float:
    """The expected value of ``metric`` (one of ``ESTIMABLE_METRICS``) on rows whose calibrated
    probabilities of being positive are ``probabilities``, the model's raw scores ``scores`` and its
    answers "yes" at scores ≥ ``decision_threshold``."""
    if len(probabilities) == 0:
        return float("nan")
    if metric == "roc_auc":
        return estimate_roc_auc(probabilities, scores)
    tp, fp, fn, tn = get_expected_confusion(probabilities, np.asarray(scores) >= decision_threshold)
    if metric == "accuracy":
        return (tp + tn) / (tp + fp + fn + tn)
    if metric == "f1_macro":
        return (_ratio(2 * tp, 2 * tp + fp + fn) + _ratio(2 * tn, 2 * tn + fn + fp)) / 2
    if metric == "balanced_accuracy":
        return (_ratio(tp, tp + fn) + _ratio(tn, tn + fp)) / 2
    raise ValueError(f"CBPE does not estimate '{metric}'; it estimates {', '.join(ESTIMABLE_METRICS)}.")
