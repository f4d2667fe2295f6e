"""Evaluation of a model choosing among several classes: every metric at once, and how well it does
on each class (the overall accuracy can hide a class it never gets right).

``proba`` has one column per class, in the order of ``classes`` (the fitted model's ``classes_``).
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
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

from core.evaluation.reports import ACCENT, HEIGHT, TEMPLATE
from core.style import plot_texts

REPORT_WORDS = {"accuracy": "Accuracy", "balanced_accuracy": "Balanced accuracy",
                "precision_macro": "Precision (class average)", "recall_macro": "Recall (class average)",
                "f1_macro": "F1 (class average)", "roc_auc_ovr": "ROC-AUC (each class vs the rest)",
                "log_loss": "Log loss"}


def get_multiclass_report(y_true: Sequence, y_pred: Sequence, proba: np.ndarray | None,
                          classes: Sequence[str]) -> dict[str, float]:
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


def get_per_class_df(y_true: Sequence, y_pred: Sequence, classes: Sequence[str]) -> pd.DataFrame:
    """One row per class: rows (how many really are it), precision, recall, F1."""
    labels = [str(c) for c in classes]
    precision, recall, f1, support = precision_recall_fscore_support(
        np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str), labels=labels, zero_division=0)
    return pd.DataFrame({"class": labels, "rows": support.astype(int), "precision": precision,
                         "recall": recall, "f1": f1})


def plot_per_class(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for column, name, color in (("precision", "Precision", "#16a34a"), ("recall", "Recall", ACCENT),
                                ("f1", "F1", "#f59e0b")):
        fig.add_trace(go.Bar(x=plot_texts(df["class"]), y=df[column], name=name, marker_color=color,
                             hovertemplate=f"%{{x}}: {name} %{{y:.0%}}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, title="Precision, recall and F1 of each class (test set)", height=HEIGHT,
                      margin=dict(l=60, r=20, t=60, b=50), barmode="group")
    fig.update_xaxes(title="Class", type="category")
    fig.update_yaxes(title="Score", range=[0, 1.02], tickformat=".0%")
    return fig


def caption_per_class(df: pd.DataFrame) -> str:
    """E.g. "It finds 91% of the 'gold' rows but only 52% of the 'silver' ones: …" """
    seen = df[df["rows"] > 0]
    if seen.empty:
        return "None of the classes appears in the test rows, so nothing can be said per class."
    best, worst = seen.loc[seen["recall"].idxmax()], seen.loc[seen["recall"].idxmin()]
    if best["class"] == worst["class"] or np.isclose(best["recall"], worst["recall"]):
        return f"It finds {worst['recall']:.0%} of the rows of every class: no class is left behind."
    return (f"It finds {best['recall']:.0%} of the '{best['class']}' rows but only {worst['recall']:.0%} of the "
            f"'{worst['class']}' ones ({int(worst['rows']):,} test rows): look there first if the business "
            "cares about that class.")
