"""Evaluation: pure compute (``get_*_df``), plotly builders (``plot_*``) and one-sentence
captions (``caption_*``) for the ROC curve, the confusion matrix, the residuals and the leaderboard.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn.metrics import confusion_matrix, roc_curve

from core.models import BASELINE_KEY
from core.problem import format_metric_value, get_metric_label, is_higher_better

TEMPLATE = "plotly_white"
HEIGHT = 420
ACCENT = "#2563eb"
MUTED = "#9ca3af"


def _layout(fig: go.Figure, title: str, **kwargs: Any) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title=title, height=HEIGHT, margin=dict(l=60, r=20, t=60, b=50), **kwargs)
    return fig


def _amount(value: float) -> str:
    """A size in the target's units: 12,300 / 4.57 / 0.0312."""
    return format_metric_value("mae", value)


# ---------------------------------------------------------------- ROC

def get_roc_df(y_true: Sequence, y_score: Sequence) -> pd.DataFrame:
    """False/true positive rates at every threshold; y_true is 1 for the positive class."""
    fpr, tpr, thresholds = roc_curve(np.asarray(y_true), np.asarray(y_score))
    thresholds = np.where(np.isfinite(thresholds), thresholds, np.nan)  # the first threshold is +inf
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": thresholds})


def plot_roc(roc_df: pd.DataFrame, auc: float) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[0, 1], y=[0, 1], mode="lines", name="Guessing (AUC 0.50)", line=dict(color=MUTED, dash="dash"),
    ))
    fig.add_trace(go.Scatter(
        x=roc_df["fpr"], y=roc_df["tpr"], mode="lines", name=f"Model (AUC {auc:.2f})",
        line=dict(color=ACCENT, width=3), customdata=roc_df["threshold"],
        hovertemplate="False alarms: %{x:.0%}<br>Caught: %{y:.0%}<br>Threshold: %{customdata:.2f}<extra></extra>",
    ))
    _layout(fig, f"ROC curve: ROC-AUC {auc:.2f}")
    fig.update_xaxes(title="Share of negatives flagged (false positive rate)", range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title="Share of positives caught (true positive rate)", range=[0, 1.02], tickformat=".0%")
    fig.update_layout(legend=dict(x=0.55, y=0.08))
    return fig


def _auc_quality(auc: float) -> str:
    if auc >= 0.9:
        return "excellent separation"
    if auc >= 0.8:
        return "good separation"
    if auc >= 0.7:
        return "fair separation"
    if auc >= 0.6:
        return "weak separation"
    return "barely better than guessing" if auc > 0.5 else "no better than guessing"


def caption_roc(auc: float, positive_label: str | None = None) -> str:
    if auc is None or math.isnan(auc):
        return "The ROC curve needs both classes in the test set; this test set holds only one."
    case = f"'{positive_label}' case" if positive_label is not None else "positive case"
    return (
        f"The model ranks a randomly chosen {case} above a randomly chosen other one "
        f"{auc:.0%} of the time (ROC-AUC {auc:.2f}): {_auc_quality(auc)}."
    )


# ---------------------------------------------------------------- confusion matrix

def get_confusion_df(
    y_true: Sequence, y_pred: Sequence, labels: Sequence, names: Sequence[str] | None = None
) -> pd.DataFrame:
    """Long table (actual, predicted, count, share_of_actual), one row per cell.

    ``labels`` are the values as they appear in y (e.g. [0, 1]); ``names`` how to show them
    (e.g. ["No", "Yes"], which is ``TrainResult.classes`` for a binary task).
    """
    labels = list(labels)
    names = [str(n) for n in (names if names is not None else labels)]
    matrix = confusion_matrix(np.asarray(y_true), np.asarray(y_pred), labels=labels)
    rows = []
    for i, actual in enumerate(names):
        row_total = matrix[i].sum()
        for j, predicted in enumerate(names):
            count = int(matrix[i, j])
            rows.append({
                "actual": actual,
                "predicted": predicted,
                "count": count,
                "share_of_actual": count / row_total if row_total else 0.0,
            })
    return pd.DataFrame(rows, columns=["actual", "predicted", "count", "share_of_actual"])


def plot_confusion(df: pd.DataFrame) -> go.Figure:
    order = list(dict.fromkeys(df["actual"]))
    counts = df.pivot(index="actual", columns="predicted", values="count").reindex(index=order, columns=order)
    shares = df.pivot(index="actual", columns="predicted", values="share_of_actual").reindex(index=order, columns=order)
    text = [[f"{c:,}<br>({s:.0%})" for c, s in zip(cr, sr)] for cr, sr in zip(counts.to_numpy(), shares.to_numpy())]
    fig = go.Figure(go.Heatmap(
        z=shares.to_numpy(), x=[str(c) for c in order], y=[str(c) for c in order], text=text,
        texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=1, showscale=False,
        hovertemplate="Actual %{y}, predicted %{x}: %{text}<extra></extra>",
    ))
    _layout(fig, "Confusion matrix: actual vs predicted (test set)")
    fig.update_xaxes(title="Predicted", type="category")
    fig.update_yaxes(title="Actual", type="category", autorange="reversed")
    return fig


def caption_confusion(df: pd.DataFrame, positive_label: str | None = None) -> str:
    """Binary (positive_label given): caught / missed / false alarms; otherwise overall accuracy."""
    total = int(df["count"].sum())
    if total == 0:
        return "The test set is empty, so there is nothing to count."
    correct = int(df.loc[df["actual"] == df["predicted"], "count"].sum())
    if positive_label is not None and str(positive_label) in set(df["actual"]):
        pos = str(positive_label)
        actual_pos = df[df["actual"] == pos]
        caught = int(actual_pos.loc[actual_pos["predicted"] == pos, "count"].sum())
        n_pos = int(actual_pos["count"].sum())
        false_alarms = int(df.loc[(df["actual"] != pos) & (df["predicted"] == pos), "count"].sum())
        n_neg = total - n_pos
        share = f" ({caught / n_pos:.0%})" if n_pos else ""
        return (
            f"Of the {n_pos:,} test rows that really are '{pos}', the model catches {caught:,}{share} "
            f"and misses {n_pos - caught:,}; it also raises {false_alarms:,} false alarms among the {n_neg:,} others."
        )
    wrong = df[(df["actual"] != df["predicted"]) & (df["count"] > 0)]
    sentence = f"The model labels {correct / total:.0%} of the {total:,} test rows correctly"
    if wrong.empty:
        return sentence + "."
    worst = wrong.sort_values("count", ascending=False).iloc[0]
    return (
        sentence + f"; its most common mistake is calling '{worst['actual']}' '{worst['predicted']}' "
        f"({int(worst['count']):,} times)."
    )


# ---------------------------------------------------------------- residuals

def get_residuals_df(y_true: Sequence, y_pred: Sequence) -> pd.DataFrame:
    """actual, predicted, residual (= actual − predicted: positive means the model predicted too low)."""
    actual = np.asarray(y_true, dtype="float64")
    predicted = np.asarray(y_pred, dtype="float64")
    return pd.DataFrame({"actual": actual, "predicted": predicted, "residual": actual - predicted})


def plot_residuals(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Scatter(
        x=df["predicted"], y=df["residual"], mode="markers", marker=dict(color=ACCENT, opacity=0.5, size=6),
        name="Test rows", hovertemplate="Predicted %{x:,.4~g}<br>Error %{y:,.4~g}<extra></extra>",
    ))
    fig.add_hline(y=0, line=dict(color=MUTED, dash="dash"))
    _layout(fig, "Prediction errors on the test set (residuals)", showlegend=False)
    fig.update_xaxes(title="Predicted value")
    fig.update_yaxes(title="Actual − predicted")
    return fig


def caption_residuals(df: pd.DataFrame) -> str:
    if df.empty:
        return "The test set is empty, so there are no prediction errors to show."
    typical = float(df["residual"].abs().median())
    bias = float(df["residual"].mean())
    mae = float(df["residual"].abs().mean())
    sentence = f"Half of the predictions are within {_amount(typical)} of the true value"
    if mae == 0 or abs(bias) < 0.1 * mae:
        return sentence + ", and the errors are balanced: the model is not systematically too high or too low."
    direction = "too low" if bias > 0 else "too high"
    return sentence + f", but the model predicts {direction} by {_amount(abs(bias))} on average."


# ---------------------------------------------------------------- leaderboard

def _is_baseline_row(df: pd.DataFrame) -> pd.Series:
    if "key" in df.columns:
        return df["key"] == BASELINE_KEY
    return df["model"].astype(str).str.lower().str.startswith("baseline")


def _ranked(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    scored = df[df["cv_score"].notna()]
    return scored.sort_values("cv_score", ascending=not is_higher_better(metric), kind="stable")


def plot_leaderboard(leaderboard_df: pd.DataFrame, metric: str) -> go.Figure:
    """Horizontal bars of the cross-validated score, best on top, baseline in grey."""
    ranked = _ranked(leaderboard_df, metric)
    baseline = _is_baseline_row(ranked).to_numpy()
    colors = [MUTED if b else ACCENT for b in baseline]
    if len(ranked) and not baseline[0]:
        colors[0] = "#16a34a"  # the winner
    std = ranked["cv_std"] if "cv_std" in ranked.columns else None
    label = get_metric_label(metric)
    fig = go.Figure(go.Bar(
        x=ranked["cv_score"], y=ranked["model"], orientation="h", marker_color=colors,
        error_x=dict(type="data", array=std, visible=std is not None),
        text=[format_metric_value(metric, v) for v in ranked["cv_score"]], textposition="inside",
        hovertemplate="%{y}: %{x:.4~g}<extra></extra>",
    ))
    better = "higher" if is_higher_better(metric) else "lower"
    _layout(fig, f"Cross-validated {label} per model ({better} is better)", showlegend=False)
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title=f"{label} (mean over folds, bar = ± 1 std)")
    return fig


def caption_leaderboard(leaderboard_df: pd.DataFrame, metric: str, baseline_prediction: str | None = None) -> str:
    """E.g. "Gradient boosting ranks first with a cross-validated ROC-AUC of 0.84, 0.34 above the
    baseline that always predicts 'No'." (``baseline_prediction`` = ``TrainResult.baseline_prediction``)."""
    ranked = _ranked(leaderboard_df, metric)
    is_base = _is_baseline_row(ranked)
    models, baselines = ranked[~is_base], ranked[is_base]
    label = get_metric_label(metric)
    if models.empty:
        return "No model could be trained besides the baseline; check the errors in the table."
    best = models.iloc[0]
    sentence = f"{best['model']} ranks first with a cross-validated {label} of {format_metric_value(metric, best['cv_score'])}"
    if baselines.empty:
        return sentence + "."
    base_score = float(baselines.iloc[0]["cv_score"])
    gain = (best["cv_score"] - base_score) * (1 if is_higher_better(metric) else -1)
    what = f"the baseline that always predicts {baseline_prediction}" if baseline_prediction else "the baseline"
    if gain <= 0:
        return sentence + f", no better than {what}: the features may not carry the signal needed."
    if is_higher_better(metric):
        return sentence + f", {format_metric_value(metric, gain)} above {what}."
    return sentence + f", {format_metric_value(metric, gain)} lower (better) than {what}."
