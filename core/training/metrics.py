"""The metrics of a model's predictions: one metric, every holdout metric of a task, and the
(predictions, scores) a fitted model gives. Training scores folds and holdouts with them,
monitoring scores live traffic, and evaluation builds on them: their own home low in the pipeline,
so each of those imports it downwards."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from joblib import parallel_config
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from core.i18n import _
from core.problem.definition import METRICS, ProblemConfig
from core.workspace.errors import ConfigError

# What the leaderboard reports on the holdout: the task's gate metrics plus metrics that stay
# honest when one class is rare (balanced accuracy, PR-AUC = average precision).
TEST_METRICS: dict[str, tuple[str, ...]] = {
    "binary": METRICS["binary"] + ("balanced_accuracy", "pr_auc"),
    "multiclass": METRICS["multiclass"] + ("balanced_accuracy",),
    "regression": METRICS["regression"],
}


# ---------------------------------------------------------------- metrics


def compute_metric(metric: str, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None) -> float:
    """One metric; NaN when it is undefined (ROC-AUC/PR-AUC with one class, R² with one row)."""
    y_true = np.asarray(y_true)
    if metric in ("roc_auc", "pr_auc"):
        if y_score is None or len(np.unique(y_true)) < 2:
            return float("nan")
        if metric == "pr_auc":
            return float(average_precision_score(y_true, y_score))
        return float(roc_auc_score(y_true, y_score))
    if metric == "accuracy":
        return float(accuracy_score(y_true, y_pred))
    if metric == "balanced_accuracy":
        with warnings.catch_warnings():  # "y_pred contains classes not in y_true": still well defined
            warnings.simplefilter("ignore", category=UserWarning)
            return float(balanced_accuracy_score(y_true, y_pred))
    if metric == "f1_macro":
        return float(f1_score(y_true, y_pred, average="macro", zero_division=0))
    if metric == "r2":
        return float(r2_score(y_true, y_pred)) if len(y_true) >= 2 else float("nan")
    if metric == "rmse":
        return float(root_mean_squared_error(y_true, y_pred))
    if metric == "mae":
        return float(mean_absolute_error(y_true, y_pred))
    raise ConfigError(
        _(
            "Unknown metric '{metric}'; choose one of roc_auc, pr_auc, f1_macro, accuracy, balanced_accuracy, r2, rmse, mae."
        ).format(metric=metric)
    )


def compute_metrics(
    problem: ProblemConfig, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None
) -> dict[str, float]:
    """Every holdout metric of the task (``TEST_METRICS``): binary roc_auc/f1_macro/accuracy/
    balanced_accuracy/pr_auc (y_score = P(positive)), multiclass f1_macro/accuracy/balanced_accuracy,
    regression r2/rmse/mae."""
    return {metric: compute_metric(metric, y_true, y_pred, y_score) for metric in TEST_METRICS[problem.task]}


def predict_scores(problem: ProblemConfig, model: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
    """(predictions, scores): binary scores = P(class 1); multiclass = probabilities; regression = predictions.

    Forests predict in one thread here: with two, the trees' votes are summed in whichever order
    the threads finish, which changes scores in the 17th digit and can flip tied ranks (ROC-AUC)
    between two identical runs.
    """
    with parallel_config(backend="sequential"):
        y_pred = np.asarray(model.predict(X))
        if problem.task == "regression":
            return y_pred, y_pred
        proba = np.asarray(model.predict_proba(X))
    if problem.task == "binary":
        classes = list(model.classes_)
        positive = proba[:, classes.index(1)] if 1 in classes else np.zeros(len(proba))
        return y_pred, positive
    return y_pred, proba
