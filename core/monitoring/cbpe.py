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

from core.formatting import localize_number_text
from core.i18n import _

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
        return Calibration(
            note=_("The holdout is too small to learn a calibration, so the scores are used as they are.")
        )
    folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=seed)
    raw, calibrated = [], []
    for train, test in folds.split(scores.reshape(-1, 1), y):
        raw.append(_brier(y[test], scores[test]))
        calibrated.append(_brier(y[test], _fit_isotonic(y[train], scores[train]).predict(scores[test])))
    wins = sum(c < r for c, r in zip(calibrated, raw, strict=True))
    if np.mean(calibrated) >= np.mean(raw) or wins <= CALIBRATION_FOLDS // 2:
        return Calibration(
            note=_(
                "The scores are used as probabilities as they are: recalibrating them on the holdout did not "
                "make them more accurate on rows it had not seen (Brier score {raw} as they are, "
                "{calibrated} recalibrated, in {folds}-fold cross-validation)."
            ).format(raw=_brier_text(raw), calibrated=_brier_text(calibrated), folds=CALIBRATION_FOLDS)
        )
    model = _fit_isotonic(y, scores)
    return Calibration(
        thresholds=tuple(float(v) for v in model.X_thresholds_),
        values=tuple(float(v) for v in model.y_thresholds_),
        note=_(
            "The scores were recalibrated on the holdout (isotonic regression), because that made them more "
            "accurate as probabilities on rows it had not seen (Brier score {raw} → {calibrated} in "
            "{folds}-fold cross-validation)."
        ).format(raw=_brier_text(raw), calibrated=_brier_text(calibrated), folds=CALIBRATION_FOLDS),
    )


def _brier_text(scores: list[float]) -> str:
    """A mean Brier score as a note writes it (4 decimals), with the language's decimal mark."""
    return localize_number_text(f"{np.mean(scores):.4f}")


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


# ---------------------------------------------------------------- multi-class
# One-vs-rest: each class's score is calibrated as a yes/no score of "this class" (only where that
# helps, as above), then each row's probabilities are renormalised to sum to 1. A row predicted class
# k with calibrated probabilities p counts p[k] true positive of k, 1 - p[k] false positive of k, and
# p[j] false negative of every other class j: the expected confusion matrix, one class at a time.
MULTICLASS_METRICS = ("accuracy", "f1_macro", "balanced_accuracy")


def fit_class_calibrations(y: np.ndarray, probabilities: np.ndarray, *, seed: int = 0) -> tuple[Calibration, ...]:
    """One calibration per column of ``probabilities`` (n rows × k classes), learned on whether each
    row's class ``y`` (0..k-1) is that column's class."""
    y = np.asarray(y)
    probabilities = np.asarray(probabilities, dtype=float)
    return tuple(
        fit_calibration((y == k).astype(float), probabilities[:, k], seed=seed) for k in range(probabilities.shape[1])
    )


def calibrate_probabilities(calibrations: tuple[Calibration, ...], probabilities: np.ndarray) -> np.ndarray:
    """Each class's column through its calibration, then each row renormalised to sum to 1 (a row whose
    calibrated probabilities are all 0 becomes uniform)."""
    probabilities = np.asarray(probabilities, dtype=float)
    calibrated = np.column_stack([c.apply(probabilities[:, k]) for k, c in enumerate(calibrations)])
    totals = calibrated.sum(axis=1, keepdims=True)
    uniform = np.full_like(calibrated, 1.0 / calibrated.shape[1])
    return np.divide(calibrated, totals, out=uniform, where=totals > 0)


def get_expected_class_counts(probabilities: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, ...]:
    """Expected (TP, FP, FN) of each class (arrays of k) for rows with calibrated ``probabilities`` (n × k)
    and the model's predicted class index ``predicted``."""
    p = np.asarray(probabilities, dtype=float)
    chosen = np.zeros_like(p, dtype=bool)
    chosen[np.arange(len(p)), np.asarray(predicted, dtype=int)] = True
    tp = np.where(chosen, p, 0.0).sum(axis=0)
    fp = np.where(chosen, 1.0 - p, 0.0).sum(axis=0)
    fn = np.where(chosen, 0.0, p).sum(axis=0)
    return tp, fp, fn


def estimate_multiclass_metric(metric: str, probabilities: np.ndarray, predicted: np.ndarray) -> float:
    """The expected value of ``metric`` (one of ``MULTICLASS_METRICS``) on rows whose calibrated class
    probabilities are ``probabilities`` (n × k) and whose answer is class ``predicted`` (the largest of
    the model's own scores, before calibration). scikit-learn averages F1 over the classes present in
    the window's labels or answers, and balanced accuracy over those in its labels: each class weighs
    here by the chance that it is present (1 when the model answers it; else 1 - Π(1 - p))."""
    p = np.asarray(probabilities, dtype=float)
    if len(p) == 0:
        return float("nan")
    predicted = np.asarray(predicted, dtype=int)
    if metric == "accuracy":
        return float(p[np.arange(len(p)), predicted].mean())
    tp, fp, fn = get_expected_class_counts(p, predicted)
    present = 1.0 - np.exp(np.log1p(-np.clip(p, 0.0, 1.0 - 1e-12)).sum(axis=0))  # in the labels
    if metric == "f1_macro":
        weights = np.where(np.bincount(predicted, minlength=p.shape[1]) > 0, 1.0, present)
        values = [_ratio(2 * t, 2 * t + f + n) for t, f, n in zip(tp, fp, fn, strict=True)]
    elif metric == "balanced_accuracy":
        weights = present
        values = [_ratio(t, t + n) for t, n in zip(tp, fn, strict=True)]
    else:
        raise ValueError(
            f"CBPE does not estimate '{metric}' of a multi-class model; it estimates {MULTICLASS_METRICS}."
        )
    return float(np.average(values, weights=weights)) if weights.sum() > 0 else float("nan")
