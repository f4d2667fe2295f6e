"""The figures and plain-sentence captions of a model's evaluation: ROC and precision-recall curves,
the confusion matrix, the leaderboard's bars, cost and threshold trade-offs, calibration, regression
errors and the per-class bars of a multiclass model. Pure functions from the tables of
``reports``/``multiclass`` to plotly figures and sentences, so a theme or a translation never
touches the computation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.evaluation.reports import get_threshold_row
from core.formatting import format_money
from core.problem.definition import (
    format_metric_value,
    get_metric_label,
    is_higher_better,
)
from core.style import (
    ACCENT,
    BAD,
    GOOD,
    HEIGHT,
    MUTED,
    TEMPLATE,
    WARN,
    plot_texts,
)
from core.training.catalog import BASELINE_KEY


def _layout(fig: go.Figure, title: str, **kwargs: Any) -> go.Figure:
    # Not style_figure: the same settings, but in this order the figure's JSON stays byte-identical.
    fig.update_layout(template=TEMPLATE, title=title, height=HEIGHT, margin=dict(l=60, r=20, t=60, b=50), **kwargs)
    return fig


def _amount(value: float) -> str:
    """A size in the target's units: 12,300 / 4.57 / 0.0312."""
    return format_metric_value("mae", value)


def plot_roc(roc_df: pd.DataFrame, auc: float) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="Guessing (AUC 0.50)",
            line=dict(color=MUTED, dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=roc_df["fpr"],
            y=roc_df["tpr"],
            mode="lines",
            name=f"Model (AUC {auc:.2f})",
            line=dict(color=ACCENT, width=3),
            customdata=roc_df["threshold"],
            hovertemplate="False alarms: %{x:.0%}<br>Caught: %{y:.0%}<br>Threshold: %{customdata:.2f}<extra></extra>",
        )
    )
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


def plot_confusion(df: pd.DataFrame) -> go.Figure:
    order = list(dict.fromkeys(df["actual"]))
    counts = df.pivot(index="actual", columns="predicted", values="count").reindex(index=order, columns=order)
    shares = df.pivot(index="actual", columns="predicted", values="share_of_actual").reindex(index=order, columns=order)
    text = [[f"{c:,}<br>({s:.0%})" for c, s in zip(cr, sr)] for cr, sr in zip(counts.to_numpy(), shares.to_numpy())]
    fig = go.Figure(
        go.Heatmap(
            z=shares.to_numpy(),
            x=plot_texts(map(str, order)),
            y=plot_texts(map(str, order)),
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate="Actual %{y}, predicted %{x}: %{text}<extra></extra>",
        )
    )
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


def plot_residuals(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        go.Scatter(
            x=df["predicted"],
            y=df["residual"],
            mode="markers",
            marker=dict(color=ACCENT, opacity=0.5, size=6),
            name="Test rows",
            hovertemplate="Predicted %{x:,.4~g}<br>Error %{y:,.4~g}<extra></extra>",
        )
    )
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
        colors[0] = GOOD  # the winner
    std = ranked["cv_std"] if "cv_std" in ranked.columns else None
    label = get_metric_label(metric)
    fig = go.Figure(
        go.Bar(
            x=ranked["cv_score"],
            y=ranked["model"],
            orientation="h",
            marker_color=colors,
            error_x=dict(type="data", array=std, visible=std is not None),
            text=[format_metric_value(metric, v) for v in ranked["cv_score"]],
            textposition="inside",
            hovertemplate="%{y}: %{x:.4~g}<extra></extra>",
        )
    )
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
    sentence = (
        f"{best['model']} ranks first with a cross-validated {label} of {format_metric_value(metric, best['cv_score'])}"
    )
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


def plot_pr(pr_df: pd.DataFrame, pr_auc: float, positive_rate: float) -> go.Figure:
    """``positive_rate`` (share of positives) is the precision of guessing: the flat reference line."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[positive_rate, positive_rate],
            mode="lines",
            name=f"Guessing (PR-AUC {positive_rate:.2f})",
            line=dict(color=MUTED, dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=pr_df["recall"],
            y=pr_df["precision"],
            mode="lines",
            line_shape="hv",
            name=f"Model (PR-AUC {pr_auc:.2f})",
            line=dict(color=ACCENT, width=3),
            customdata=pr_df["threshold"],
            hovertemplate="Caught: %{x:.0%}<br>Right when flagged: %{y:.0%}<br>Threshold: %{customdata:.2f}<extra></extra>",
        )
    )
    _layout(fig, f"Precision-recall curve: PR-AUC {pr_auc:.2f}")
    fig.update_xaxes(title="Share of positives caught (recall)", range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title="Share of flagged rows that are positive (precision)", range=[0, 1.02], tickformat=".0%")
    fig.update_layout(legend=dict(x=0.02, y=0.08))
    return fig


def caption_pr(
    pr_df: pd.DataFrame,
    pr_auc: float,
    positive_rate: float,
    positive_label: str | None = None,
    target_recall: float = 0.8,
) -> str:
    """E.g. "To catch 80% of the 'Yes' rows, the model must flag rows of which 45% really are 'Yes'
    (PR-AUC 0.62; guessing would give 0.26)."""
    if pr_auc is None or math.isnan(pr_auc) or pr_df.empty:
        return "The precision-recall curve needs both classes in the test set; this test set holds only one."
    case = f"'{positive_label}'" if positive_label is not None else "positive"
    reachable = pr_df[pr_df["recall"] >= target_recall]
    precision = float(reachable["precision"].max()) if not reachable.empty else float("nan")
    return (
        f"To catch {target_recall:.0%} of the {case} rows, the model must flag rows of which {precision:.0%} "
        f"really are {case} (PR-AUC {pr_auc:.2f}; guessing would give {positive_rate:.2f})."
    )


def plot_cost_curve(
    threshold_df: pd.DataFrame,
    best_threshold: float | None = None,
    threshold: float | None = None,
    currency: str = "€",
) -> go.Figure:
    """Total cost on the test rows per threshold, with the cheapest and the chosen threshold marked."""
    fig = go.Figure(
        go.Scatter(
            x=threshold_df["threshold"],
            y=threshold_df["cost"],
            mode="lines",
            line=dict(color=ACCENT, width=3),
            line_shape="hv",
            name="Total cost",
            customdata=threshold_df[["fn", "fp"]].to_numpy(),
            hovertemplate=f"Threshold %{{x:.2f}}<br>Cost {currency}%{{y:,.0f}}<br>"
            "Missed: %{customdata[0]:,}<br>False alarms: %{customdata[1]:,}<extra></extra>",
        )
    )
    if best_threshold is not None and threshold is not None and abs(best_threshold - threshold) < 0.005:
        fig.add_vline(
            x=best_threshold,
            line=dict(color=GOOD, dash="dash"),
            annotation_text=f"chosen = cheapest {best_threshold:.2f}",
            annotation_position="top right",
        )
        best_threshold = threshold = None
    if best_threshold is not None:
        fig.add_vline(
            x=best_threshold,
            line=dict(color=GOOD, dash="dash"),
            annotation_text=f"cheapest {best_threshold:.2f}",
            annotation_position="top left",
        )
    if threshold is not None:
        fig.add_vline(
            x=threshold,
            line=dict(color=BAD, dash="dot"),
            annotation_text=f"chosen {threshold:.2f}",
            annotation_position="top right",
        )
    _layout(fig, "Business cost of the mistakes per threshold (test set)", showlegend=False)
    fig.update_xaxes(title="Threshold: rows scoring above it are flagged", range=[0, 1])
    fig.update_yaxes(title=f"Total cost ({currency})", rangemode="tozero")
    return fig


def caption_cost_curve(
    threshold_df: pd.DataFrame,
    best_threshold: float,
    currency: str = "€",
    default: float = 0.5,
    noun: str = "test rows",
) -> str:
    """E.g. "Flagging the customers scored 0.31 or more costs least: €12,400 on these 1,409 customers,
    €3,100 less than the default 0.50." (``noun`` names the rows: "customers", "transactions"…)"""
    if threshold_df.empty or threshold_df["cost"].isna().all():
        return (
            "Set the cost of a missed positive and of a false alarm on the Problem page to see the cheapest threshold."
        )
    best = get_threshold_row(threshold_df, best_threshold)
    usual = get_threshold_row(threshold_df, default)
    rows = int(best["tp"] + best["fp"] + best["fn"] + best["tn"])
    sentence = (
        f"Flagging the {noun} scored {best_threshold:.2f} or more costs least: "
        f"{format_money(best['cost'], currency)} on these {rows:,} {noun}"
    )
    saving = float(usual["cost"] - best["cost"])
    if saving <= 0:
        return sentence + f", the same as the default threshold {default:.2f}."
    return sentence + f", {format_money(saving, currency)} less than the default {default:.2f}."


def plot_threshold_metrics(threshold_df: pd.DataFrame, threshold: float | None = None) -> go.Figure:
    """Precision, recall and F1 as the threshold moves: the trade-off the threshold controls."""
    fig = go.Figure()
    for column, name, color in (("precision", "Precision", GOOD), ("recall", "Recall", ACCENT), ("f1", "F1", WARN)):
        fig.add_trace(
            go.Scatter(
                x=threshold_df["threshold"],
                y=threshold_df[column],
                mode="lines",
                line_shape="hv",
                name=name,
                line=dict(color=color, width=2),
                hovertemplate=f"Threshold %{{x:.2f}}: {name} %{{y:.0%}}<extra></extra>",
            )
        )
    if threshold is not None:
        fig.add_vline(x=threshold, line=dict(color=BAD, dash="dot"))
    _layout(fig, "Precision, recall and F1 per threshold (test set)")
    fig.update_xaxes(title="Threshold: rows scoring above it are flagged", range=[0, 1])
    fig.update_yaxes(title="Score", range=[0, 1.02], tickformat=".0%")
    return fig


def caption_threshold(threshold_df: pd.DataFrame, threshold: float, positive_label: str | None = None) -> str:
    """E.g. "At 0.30 the model flags 412 rows: it catches 78% of the 'Yes' rows, and 55% of the rows
    it flags really are 'Yes'." """
    row = get_threshold_row(threshold_df, threshold)
    case = f"'{positive_label}'" if positive_label is not None else "positive"
    if row["flagged"] == 0:
        return f"At {threshold:.2f} the model flags no row at all, so it catches none of the {case} rows."
    return (
        f"At {threshold:.2f} the model flags {int(row['flagged']):,} rows: it catches {row['recall']:.0%} of the {case} rows, "
        f"and {row['precision']:.0%} of the rows it flags really are {case}."
    )


def plot_calibration(calibration_df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="Perfectly calibrated",
            line=dict(color=MUTED, dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=calibration_df["mean_predicted"],
            y=calibration_df["observed_rate"],
            mode="lines+markers",
            name="Model",
            line=dict(color=ACCENT, width=3),
            marker=dict(size=9),
            customdata=calibration_df["count"],
            hovertemplate="Predicted %{x:.0%}<br>Really happened %{y:.0%}<br>%{customdata:,} rows<extra></extra>",
        )
    )
    _layout(fig, "Calibration: predicted chance vs what really happened (test set)")
    fig.update_xaxes(title="Average predicted chance (10 equal-size groups)", range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title="Observed share of positives", range=[0, 1.02], tickformat=".0%")
    fig.update_layout(legend=dict(x=0.02, y=0.98))
    return fig


def caption_calibration(calibration_df: pd.DataFrame) -> str:
    """Reads the weighted average gap between predicted and observed rates (expected calibration error)."""
    if calibration_df.empty:
        return "The test set is empty, so calibration cannot be checked."
    weights = calibration_df["count"] / calibration_df["count"].sum()
    gaps = calibration_df["mean_predicted"] - calibration_df["observed_rate"]
    ece = float((weights * gaps.abs()).sum())
    bias = float((weights * gaps).sum())
    worst = calibration_df.loc[gaps.abs().idxmax()]
    if ece <= 0.05:
        return (
            f"The predicted chances match reality: on average they are {ece * 100:.0f} percentage points from the "
            "observed rate, so a score of 0.30 can be read as a 30% chance."
        )
    if bias > 0.5 * ece:
        direction = "run too high"
    elif bias < -0.5 * ece:
        direction = "run too low"
    else:
        direction = "are off in both directions"
    return (
        f"The predicted chances {direction}: on average {ece * 100:.0f} percentage points from what happened "
        f"(rows predicted {worst['mean_predicted']:.0%} were really {worst['observed_rate']:.0%}), "
        "so use the scores to rank rows, not as exact probabilities."
    )


def caption_regression_report(report: dict[str, float]) -> str:
    """E.g. "Predictions miss by 23,400 on average (MAE), 8% of the true value (MAPE); the model
    explains 84% of the variation in the target (R² 0.84)." """
    sentence = f"Predictions miss by {_amount(report['mae'])} on average (MAE)"
    if not math.isnan(report["mape"]):
        skipped = report.get("mape_skipped_rows", 0)
        note = f", leaving out {skipped:,} rows whose true value is 0" if skipped else ""
        sentence += f", {report['mape']:.0%} of the true value (MAPE{note})"
    r2 = report["r2"]
    if math.isnan(r2):
        return sentence + "."
    if r2 <= 0:
        return sentence + f"; the model does no better than always predicting the average (R² {r2:.2f})."
    return sentence + f"; the model explains {r2:.0%} of the variation in the target (R² {r2:.2f})."


def plot_predicted_vs_actual(residuals_df: pd.DataFrame) -> go.Figure:
    """Takes ``get_residuals_df``: one dot per test row, the diagonal is a perfect prediction."""
    low = float(min(residuals_df["actual"].min(), residuals_df["predicted"].min())) if len(residuals_df) else 0.0
    high = float(max(residuals_df["actual"].max(), residuals_df["predicted"].max())) if len(residuals_df) else 1.0
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[low, high],
            y=[low, high],
            mode="lines",
            name="Perfect prediction",
            line=dict(color=MUTED, dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=residuals_df["actual"],
            y=residuals_df["predicted"],
            mode="markers",
            name="Test rows",
            marker=dict(color=ACCENT, opacity=0.5, size=6),
            hovertemplate="Actual %{x:,.4~g}<br>Predicted %{y:,.4~g}<extra></extra>",
        )
    )
    _layout(fig, "Predicted vs actual values (test set)")
    fig.update_xaxes(title="Actual value")
    fig.update_yaxes(title="Predicted value")
    fig.update_layout(legend=dict(x=0.02, y=0.98))
    return fig


def caption_predicted_vs_actual(residuals_df: pd.DataFrame, tolerance: float = 0.1) -> str:
    """E.g. "Dots on the diagonal are perfect predictions: 62% of the test rows are predicted within
    10% of their true value, and the model under-predicts the highest 10% of values by 45,000 on average." """
    known = residuals_df[residuals_df["actual"] != 0]
    if known.empty:
        return "There are no test rows with a non-zero true value to compare predictions against."
    within = float((known["residual"].abs() <= tolerance * known["actual"].abs()).mean())
    sentence = (
        f"Dots on the diagonal are perfect predictions: {within:.0%} of the test rows are predicted within "
        f"{tolerance:.0%} of their true value"
    )
    top = residuals_df[residuals_df["actual"] >= residuals_df["actual"].quantile(0.9)]
    bias = float(top["residual"].mean()) if len(top) else 0.0
    mae = float(residuals_df["residual"].abs().mean())
    if len(residuals_df) < 20 or mae == 0 or abs(bias) < mae:
        return sentence + "."
    direction = "under-predicts" if bias > 0 else "over-predicts"
    return sentence + f", and the model {direction} the highest 10% of values by {_amount(abs(bias))} on average."


def plot_per_class(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for column, name, color in (("precision", "Precision", GOOD), ("recall", "Recall", ACCENT), ("f1", "F1", WARN)):
        fig.add_trace(
            go.Bar(
                x=plot_texts(df["class"]),
                y=df[column],
                name=name,
                marker_color=color,
                hovertemplate=f"%{{x}}: {name} %{{y:.0%}}<extra></extra>",
            )
        )
    fig.update_layout(
        template=TEMPLATE,
        title="Precision, recall and F1 of each class (test set)",
        height=HEIGHT,
        margin=dict(l=60, r=20, t=60, b=50),
        barmode="group",
    )
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
    return (
        f"It finds {best['recall']:.0%} of the '{best['class']}' rows but only {worst['recall']:.0%} of the "
        f"'{worst['class']}' ones ({int(worst['rows']):,} test rows): look there first if the business "
        "cares about that class."
    )
