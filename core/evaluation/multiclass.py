"""Evaluation of a model choosing among several classes: every metric at once, and how well it does
on each class (the overall accuracy can hide a class it never gets right). Drawn by ``core.evaluation.charts``.

``proba`` has one column per class, in the order of ``classes`` (the fitted model's ``classes_``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
    roc_auc_score,
)

from core.problem.definition import get_metric_heading

# Headings of the report's numbers: the metric names' one home (core.problem.definition).
REPORT_WORDS = {
    key: get_metric_heading(key)
    for key in (
        "accuracy",
        "balanced_accuracy",
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "roc_auc_ovr",
        "log_loss",
    )
}


def get_multiclass_report(
    y_true: ArrayLike, y_pred: ArrayLike, proba: np.ndarray | None, classes: Sequence[str]
) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro precision/recall/F1 (each class counts the same, however
    rare), and from the probabilities ROC-AUC one-vs-rest and log loss (NaN without them, or when a
    class is missing from ``y_true`` so the area is undefined)."""
    y, pred = np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)
    labels = [str(c) for c in classes]
    with warnings.catch_warnings():  # "y_pred contains classes not in y_true": expected on a small test set
        warnings.simplefilter("ignore", UserWarning)
        report = {
            "accuracy": float(accuracy_score(y, pred)),
            "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
            "precision_macro": float(precision_score(y, pred, labels=labels, average="macro", zero_division=0)),
            "recall_macro": float(recall_score(y, pred, labels=labels, average="macro", zero_division=0)),
            "f1_macro": float(f1_score(y, pred, labels=labels, average="macro", zero_division=0)),
            "roc_auc_ovr": float("nan"),
            "log_loss": float("nan"),
        }
        if proba is not None and len(y):
            proba = np.asarray(proba, dtype=float)
            report["log_loss"] = float(log_loss(y, proba, labels=labels))
            if set(labels) <= set(y):
                report["roc_auc_ovr"] = float(roc_auc_score(y, proba, multi_class="ovr", labels=labels))
    return report


def get_per_class_df(y_true: ArrayLike, y_pred: ArrayLike, classes: Sequence[str]) -> pd.DataFrame:
    """One row per class: rows (how many really are it), precision, recall, F1."""
    labels = [str(c) for c in classes]
    precision, recall, f1, support = precision_recall_fscore_support(
        np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str), labels=labels, zero_division=0
    )
    return pd.DataFrame(
        {"class": labels, "rows": support.astype(int), "precision": precision, "recall": recall, "f1": f1}
    )
