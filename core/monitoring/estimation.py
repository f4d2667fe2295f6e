"""Performance before labels, for any task: the one way in. ``fit_estimator`` learns on the model's
holdout how to estimate its metric (``cbpe``: calibrated confidence for yes/no and multi-class models;
``dle``: a model of the errors for a regression), or says why it cannot; ``estimate_windows`` gives the
estimate per traffic window. Monitoring's performance table calls it, and so may anything that watches
live traffic.

What each task reads per row (``Estimator.get_inputs``): a yes/no model its score (P(positive)); a
multi-class model each class's probability, from ``read_rows`` (the traffic rows → n × k matrix, the
classes in the model's order); a regression its encoded inputs from ``read_rows`` with its prediction
as the last column. A saved estimator keeps its calibrations and its note; a regression's loss model
and the row readers live in memory only (refit them from the holdout to estimate again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    root_mean_squared_error,
)

from core.monitoring.cbpe import (
    ESTIMABLE_METRICS,
    MULTICLASS_METRICS,
    Calibration,
    calibrate_probabilities,
    estimate_metric,
    estimate_multiclass_metric,
    fit_calibration,
    fit_class_calibrations,
)
from core.monitoring.dle import LOSSES, LossModel, fit_loss_model

RowReader = Callable[[pd.DataFrame], np.ndarray]
REALISED: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "accuracy": accuracy_score,
    "f1_macro": lambda y, answered: f1_score(y, answered, average="macro", zero_division=0),
    "balanced_accuracy": balanced_accuracy_score,
    "mae": mean_absolute_error,
    "rmse": root_mean_squared_error,
    "r2": r2_score,
}
BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "accuracy": (0.0, 1.0),
    "f1_macro": (0.0, 1.0),
    "balanced_accuracy": (0.0, 1.0),
    "mae": (0.0, None),
    "rmse": (0.0, None),
    "r2": (None, 1.0),
}
ESTIMATED = {"binary": ESTIMABLE_METRICS, "multiclass": MULTICLASS_METRICS, "regression": tuple(LOSSES)}


@dataclass(frozen=True)
class Estimator:
    """How one model's ``metric`` is estimated before labels; ``note`` says so in words."""

    task: str  # binary | multiclass | regression
    metric: str
    note: str
    calibrations: tuple[Calibration, ...] = ()  # binary: one; multi-class: one per class
    decision_threshold: float = 0.5
    offset: float = 0.0  # multi-class and regression: realised − estimated on the holdout, added to every estimate
    loss_model: LossModel | None = field(default=None, compare=False)
    read_rows: RowReader | None = field(default=None, compare=False)

    @property
    def calibration(self) -> Calibration | None:
        return self.calibrations[0] if self.task == "binary" and self.calibrations else None

    @property
    def ready(self) -> bool:
        """Whether it can estimate now (a loaded estimator of a multi-class or regression model cannot)."""
        if self.task == "binary":
            return bool(self.calibrations)
        return self.read_rows is not None and (self.task != "regression" or self.loss_model is not None)

    def get_inputs(self, rows: pd.DataFrame | None, scores: np.ndarray) -> np.ndarray:
        """What the estimate reads per row: the scores, the class probabilities or the encoded inputs
        with the prediction."""
        scores = np.asarray(scores, dtype=float)
        if self.task == "binary":
            return scores
        if self.read_rows is None or rows is None:
            raise ValueError("This estimator has no row reader; fit it again with read_rows to estimate.")
        read = np.asarray(self.read_rows(rows), dtype=float)
        return read if self.task == "multiclass" else np.column_stack([read, scores])

    def estimate(self, inputs: np.ndarray) -> float:
        """The expected metric on one window whose ``get_inputs`` are ``inputs``."""
        inputs = np.asarray(inputs, dtype=float)
        if self.task == "binary":
            probabilities = self.calibrations[0].apply(inputs)
            return estimate_metric(self.metric, probabilities, inputs, self.decision_threshold)
        if self.task == "multiclass":
            probabilities = calibrate_probabilities(self.calibrations, inputs)
            value = estimate_multiclass_metric(self.metric, probabilities, inputs.argmax(axis=1))
        elif self.loss_model is not None:
            value = self.loss_model.estimate(inputs)
        else:
            return float("nan")
        low, high = BOUNDS[self.metric]
        return float(np.clip(value + self.offset, low, high))

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "metric": self.metric,
            "note": self.note,
            "calibrations": [c.to_dict() for c in self.calibrations],
            "decision_threshold": self.decision_threshold,
            "offset": self.offset,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Estimator:
        return cls(
            task=data["task"],
            metric=data["metric"],
            note=data.get("note", ""),
            calibrations=tuple(Calibration.from_dict(c) for c in data.get("calibrations", ())),
            decision_threshold=float(data.get("decision_threshold", 0.5)),
            offset=float(data.get("offset", 0.0)),
        )


def _describe_class_calibrations(calibrations: tuple[Calibration, ...]) -> str:
    recalibrated = sum(c.calibrated for c in calibrations)
    if recalibrated == 0:
        return (
            "Estimated before labels from the model's class probabilities as they are: recalibrating them on the "
            "holdout did not make them more accurate on rows it had not seen."
        )
    return (
        f"Estimated before labels from the model's class probabilities: {recalibrated} of the {len(calibrations)} "
        "classes' scores were recalibrated on the holdout (isotonic regression, where that made them more accurate "
        "on rows it had not seen), then each row's probabilities scaled to add up to 1."
    )


def fit_estimator(
    task: str,
    metric: str,
    y: np.ndarray,
    scores: np.ndarray,
    *,
    rows: pd.DataFrame | None = None,
    read_rows: RowReader | None = None,
    decision_threshold: float = 0.5,
    seed: int = 0,
) -> tuple[Estimator | None, str]:
    """(the estimator, what was decided in words) from the holdout: its labels ``y`` (binary: 1 for the
    positive class; multi-class: the class index 0..k-1; regression: the true value), the model's
    ``scores`` on it (binary: P(positive); regression: the prediction; multi-class: unused) and, for
    multi-class and regression, the holdout ``rows`` and ``read_rows``. None with the reason when the
    metric is not estimated."""
    if metric not in ESTIMATED.get(task, ()):
        return None, f"{metric} is not estimated before labels arrive: only the realised value is shown."
    y = np.asarray(y)
    if task == "binary":
        calibration = fit_calibration(y, scores, seed=seed)
        return Estimator(task, metric, calibration.note, (calibration,), decision_threshold), calibration.note
    reader = Estimator(task, metric, "", read_rows=read_rows)
    inputs = reader.get_inputs(rows, scores)
    if task == "multiclass":
        calibrations = fit_class_calibrations(y, inputs, seed=seed)
        fitted = Estimator(task, metric, _describe_class_calibrations(calibrations), calibrations, read_rows=read_rows)
        answered = inputs.argmax(axis=1)
    else:
        loss_model, note = fit_loss_model(metric, y, inputs, seed=seed)
        if loss_model is None:
            return None, note
        fitted = Estimator(task, metric, note, loss_model=loss_model, read_rows=read_rows)
        answered = inputs[:, -1]
    # Anchored on the holdout: what the estimate adds is the change from it. Uncalibrated scores (a
    # holdout too small to calibrate on) would otherwise shift every window by the same bias.
    offset = float(REALISED[metric](y, answered)) - fitted.estimate(inputs)
    return replace(fitted, offset=offset if np.isfinite(offset) else 0.0), fitted.note


def estimate_windows(
    estimator: Estimator, windows: np.ndarray, scores: np.ndarray, rows: pd.DataFrame | None = None
) -> pd.Series:
    """The estimated metric per window (a Series indexed by window, sorted), from the traffic's
    ``scores`` and, for multi-class and regression, its ``rows``. The rows are read once, not per window."""
    windows = np.asarray(windows)
    inputs = estimator.get_inputs(rows, scores)
    keys = np.unique(windows)
    return pd.Series([estimator.estimate(inputs[windows == w]) for w in keys], index=keys, dtype=float)
