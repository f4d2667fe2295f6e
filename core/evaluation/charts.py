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

from core.formatting import format_as
from core.i18n import _
from core.problem.definition import (
    format_metric_value,
    get_metric_label,
    is_higher_better,
)
from core.style import (
    ACCENT,
    GOOD,
    HEIGHT,
    MUTED,
    TEMPLATE,
    WARN,
    plot_texts,
)
from core.training.catalog import BASELINE_KEY


def titled_layout(fig: go.Figure, title: str, **kwargs: Any) -> go.Figure:
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
            name=_("Guessing (AUC 0.50)"),
            line=dict(color=MUTED, dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=roc_df["fpr"],
            y=roc_df["tpr"],
            mode="lines",
            name=_("Model (AUC {auc})").format(auc=format_as(auc, ".2f")),
            line=dict(color=ACCENT, width=3),
            customdata=roc_df["threshold"],
            hovertemplate="False alarms: %{x:.0%}<br>Caught: %{y:.0%}<br>Threshold: %{customdata:.2f}<extra></extra>",
        )
    )
    titled_layout(fig, _("ROC curve: ROC-AUC {auc}").format(auc=format_as(auc, ".2f")))
    fig.update_xaxes(title=_("Share of negatives flagged (false positive rate)"), range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title=_("Share of positives caught (true positive rate)"), range=[0, 1.02], tickformat=".0%")
    fig.update_layout(legend=dict(x=0.55, y=0.08))
    return fig


def _auc_quality(auc: float) -> str:
    if auc >= 0.9:
        return _("excellent separation")
    if auc >= 0.8:
        return _("good separation")
    if auc >= 0.7:
        return _("fair separation")
    if auc >= 0.6:
        return _("weak separation")
    return _("barely better than guessing") if auc > 0.5 else _("no better than guessing")


def caption_roc(auc: float, positive_label: str | None = None) -> str:
    if auc is None or math.isnan(auc):
        return _("The ROC curve needs both classes in the test set; this test set holds only one.")
    case = (
        _("'{positive_label}' case").format(positive_label=positive_label)
        if positive_label is not None
        else _("positive case")
    )
    return _(
        "The model ranks a randomly chosen {case} above a randomly chosen other one {auc} of the time (ROC-AUC {auc2}): {auc_quality}."
    ).format(case=case, auc=format_as(auc, ".0%"), auc2=format_as(auc, ".2f"), auc_quality=_auc_quality(auc))


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
    titled_layout(fig, _("Confusion matrix: actual vs predicted (test set)"))
    fig.update_xaxes(title=_("Predicted"), type="category")
    fig.update_yaxes(title=_("Actual"), type="category", autorange="reversed")
    return fig


def caption_confusion(df: pd.DataFrame, positive_label: str | None = None) -> str:
    """Binary (positive_label given): caught / missed / false alarms; otherwise overall accuracy."""
    total = int(df["count"].sum())
    if total == 0:
        return _("The test set is empty, so there is nothing to count.")
    correct = int(df.loc[df["actual"] == df["predicted"], "count"].sum())
    if positive_label is not None and str(positive_label) in set(df["actual"]):
        pos = str(positive_label)
        actual_pos = df[df["actual"] == pos]
        caught = int(actual_pos.loc[actual_pos["predicted"] == pos, "count"].sum())
        n_pos = int(actual_pos["count"].sum())
        false_alarms = int(df.loc[(df["actual"] != pos) & (df["predicted"] == pos), "count"].sum())
        n_neg = total - n_pos
        share = f" ({caught / n_pos:.0%})" if n_pos else ""
        return _(
            "Of the {n_pos} test rows that really are '{pos}', the model catches {caught}{share} and misses {value}; it also raises {false_alarms} false alarms among the {n_neg} others."
        ).format(
            n_pos=format_as(n_pos, ","),
            pos=pos,
            caught=format_as(caught, ","),
            share=share,
            value=format_as(n_pos - caught, ","),
            false_alarms=format_as(false_alarms, ","),
            n_neg=format_as(n_neg, ","),
        )
    wrong = df[(df["actual"] != df["predicted"]) & (df["count"] > 0)]
    sentence = _("The model labels {value} of the {total} test rows correctly").format(
        value=format_as(correct / total, ".0%"), total=format_as(total, ",")
    )
    if wrong.empty:
        return sentence + "."
    worst = wrong.sort_values("count", ascending=False).iloc[0]
    return sentence + _("; its most common mistake is calling '{actual}' '{predicted}' ({count} times).").format(
        actual=worst["actual"], predicted=worst["predicted"], count=format_as(int(worst["count"]), ",")
    )


def plot_residuals(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        go.Scatter(
            x=df["predicted"],
            y=df["residual"],
            mode="markers",
            marker=dict(color=ACCENT, opacity=0.5, size=6),
            name=_("Test rows"),
            hovertemplate="Predicted %{x:,.4~g}<br>Error %{y:,.4~g}<extra></extra>",
        )
    )
    fig.add_hline(y=0, line=dict(color=MUTED, dash="dash"))
    titled_layout(fig, _("Prediction errors on the test set (residuals)"), showlegend=False)
    fig.update_xaxes(title=_("Predicted value"))
    fig.update_yaxes(title=_("Actual − predicted"))
    return fig


def caption_residuals(df: pd.DataFrame) -> str:
    if df.empty:
        return _("The test set is empty, so there are no prediction errors to show.")
    typical = float(df["residual"].abs().median())
    bias = float(df["residual"].mean())
    mae = float(df["residual"].abs().mean())
    sentence = _("Half of the predictions are within {amount} of the true value").format(amount=_amount(typical))
    if mae == 0 or abs(bias) < 0.1 * mae:
        return sentence + _(", and the errors are balanced: the model is not systematically too high or too low.")
    direction = _("too low") if bias > 0 else _("too high")
    return sentence + _(", but the model predicts {direction} by {amount} on average.").format(
        direction=direction, amount=_amount(abs(bias))
    )


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
            y=[_(str(m)) for m in ranked["model"]],  # family names in the reader's language
            orientation="h",
            marker_color=colors,
            error_x=dict(type="data", array=std, visible=std is not None),
            text=[format_metric_value(metric, v) for v in ranked["cv_score"]],
            textposition="inside",
            hovertemplate="%{y}: %{x:.4~g}<extra></extra>",
        )
    )
    title = (
        _("Cross-validated {label} per model (higher is better)")
        if is_higher_better(metric)
        else _("Cross-validated {label} per model (lower is better)")
    )
    titled_layout(fig, title.format(label=label), showlegend=False)
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title=_("{label} (mean over folds, bar = ± 1 std)").format(label=label))
    return fig


def caption_leaderboard(leaderboard_df: pd.DataFrame, metric: str, baseline_prediction: str | None = None) -> str:
    """E.g. "Gradient boosting ranks first with a cross-validated ROC-AUC of 0.84, 0.34 above the
    baseline that always predicts 'No'." (``baseline_prediction`` = ``TrainResult.baseline_prediction``)."""
    ranked = _ranked(leaderboard_df, metric)
    is_base = _is_baseline_row(ranked)
    models, baselines = ranked[~is_base], ranked[is_base]
    label = get_metric_label(metric)
    if models.empty:
        return _("No model could be trained besides the baseline; check the errors in the table.")
    best = models.iloc[0]
    sentence = _("{model} ranks first with a cross-validated {label} of {metric_value}").format(
        model=_(str(best["model"])), label=label, metric_value=format_metric_value(metric, best["cv_score"])
    )
    if baselines.empty:
        return sentence + "."
    base_score = float(baselines.iloc[0]["cv_score"])
    gain = (best["cv_score"] - base_score) * (1 if is_higher_better(metric) else -1)
    what = (
        _("the baseline that always predicts {baseline_prediction}").format(baseline_prediction=baseline_prediction)
        if baseline_prediction
        else _("the baseline")
    )
    if gain <= 0:
        return sentence + _(", no better than {what}: the features may not carry the signal needed.").format(what=what)
    if is_higher_better(metric):
        return sentence + _(", {metric_value} above {what}.").format(
            metric_value=format_metric_value(metric, gain), what=what
        )
    return sentence + _(", {metric_value} lower (better) than {what}.").format(
        metric_value=format_metric_value(metric, gain), what=what
    )


def plot_pr(pr_df: pd.DataFrame, pr_auc: float, positive_rate: float) -> go.Figure:
    """``positive_rate`` (share of positives) is the precision of guessing: the flat reference line."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[positive_rate, positive_rate],
            mode="lines",
            name=_("Guessing (PR-AUC {positive_rate})").format(positive_rate=format_as(positive_rate, ".2f")),
            line=dict(color=MUTED, dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=pr_df["recall"],
            y=pr_df["precision"],
            mode="lines",
            line_shape="hv",
            name=_("Model (PR-AUC {pr_auc})").format(pr_auc=format_as(pr_auc, ".2f")),
            line=dict(color=ACCENT, width=3),
            customdata=pr_df["threshold"],
            hovertemplate="Caught: %{x:.0%}<br>Right when flagged: %{y:.0%}<br>Threshold: %{customdata:.2f}<extra></extra>",
        )
    )
    titled_layout(fig, _("Precision-recall curve: PR-AUC {pr_auc}").format(pr_auc=format_as(pr_auc, ".2f")))
    fig.update_xaxes(title=_("Share of positives caught (recall)"), range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title=_("Share of flagged rows that are positive (precision)"), range=[0, 1.02], tickformat=".0%")
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
        return _("The precision-recall curve needs both classes in the test set; this test set holds only one.")
    case = f"'{positive_label}'" if positive_label is not None else _("positive")
    reachable = pr_df[pr_df["recall"] >= target_recall]
    precision = float(reachable["precision"].max()) if not reachable.empty else float("nan")
    return _(
        "To catch {target_recall} of the {case} rows, the model must flag rows of which {precision} really are {case} (PR-AUC {pr_auc}; guessing would give {positive_rate})."
    ).format(
        target_recall=format_as(target_recall, ".0%"),
        case=case,
        precision=format_as(precision, ".0%"),
        pr_auc=format_as(pr_auc, ".2f"),
        positive_rate=format_as(positive_rate, ".2f"),
    )


def plot_calibration(calibration_df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name=_("Perfectly calibrated"),
            line=dict(color=MUTED, dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=calibration_df["mean_predicted"],
            y=calibration_df["observed_rate"],
            mode="lines+markers",
            name=_("Model"),
            line=dict(color=ACCENT, width=3),
            marker=dict(size=9),
            customdata=calibration_df["count"],
            hovertemplate="Predicted %{x:.0%}<br>Really happened %{y:.0%}<br>%{customdata:,} rows<extra></extra>",
        )
    )
    titled_layout(fig, _("Calibration: predicted chance vs what really happened (test set)"))
    fig.update_xaxes(title=_("Average predicted chance (10 equal-size groups)"), range=[0, 1], tickformat=".0%")
    fig.update_yaxes(title=_("Observed share of positives"), range=[0, 1.02], tickformat=".0%")
    fig.update_layout(legend=dict(x=0.02, y=0.98))
    return fig


def caption_calibration(calibration_df: pd.DataFrame) -> str:
    """Reads the weighted average gap between predicted and observed rates (expected calibration error)."""
    if calibration_df.empty:
        return _("The test set is empty, so calibration cannot be checked.")
    weights = calibration_df["count"] / calibration_df["count"].sum()
    gaps = calibration_df["mean_predicted"] - calibration_df["observed_rate"]
    ece = float((weights * gaps.abs()).sum())
    bias = float((weights * gaps).sum())
    worst = calibration_df.loc[gaps.abs().idxmax()]
    if ece <= 0.05:
        return _(
            "The predicted chances match reality: on average they are {value} percentage points from the observed rate, so a score of 0.30 can be read as a 30% chance."
        ).format(value=format_as(ece * 100, ".0f"))
    if bias > 0.5 * ece:
        direction = _("run too high")
    elif bias < -0.5 * ece:
        direction = _("run too low")
    else:
        direction = _("are off in both directions")
    return _(
        "The predicted chances {direction}: on average {value} percentage points from what happened (rows predicted {mean_predicted} were really {observed_rate}), so use the scores to rank rows, not as exact probabilities."
    ).format(
        direction=direction,
        value=format_as(ece * 100, ".0f"),
        mean_predicted=format_as(worst["mean_predicted"], ".0%"),
        observed_rate=format_as(worst["observed_rate"], ".0%"),
    )


def caption_regression_report(report: dict[str, float]) -> str:
    """E.g. "Predictions miss by 23,400 on average (MAE), 8% of the true value (MAPE); the model
    explains 84% of the variation in the target (R² 0.84)." """
    sentence = _("Predictions miss by {amount} on average (MAE)").format(amount=_amount(report["mae"]))
    if not math.isnan(report["mape"]):
        skipped = report.get("mape_skipped_rows", 0)
        note = (
            _(", leaving out {skipped} rows whose true value is 0").format(skipped=format_as(skipped, ","))
            if skipped
            else ""
        )
        sentence += _(", {mape} of the true value (MAPE{note})").format(
            mape=format_as(report["mape"], ".0%"), note=note
        )
    r2 = report["r2"]
    if math.isnan(r2):
        return sentence + "."
    if r2 <= 0:
        return sentence + _("; the model does no better than always predicting the average (R² {r2}).").format(
            r2=format_as(r2, ".2f")
        )
    return sentence + _("; the model explains {r2} of the variation in the target (R² {r22}).").format(
        r2=format_as(r2, ".0%"), r22=format_as(r2, ".2f")
    )


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
            name=_("Perfect prediction"),
            line=dict(color=MUTED, dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=residuals_df["actual"],
            y=residuals_df["predicted"],
            mode="markers",
            name=_("Test rows"),
            marker=dict(color=ACCENT, opacity=0.5, size=6),
            hovertemplate="Actual %{x:,.4~g}<br>Predicted %{y:,.4~g}<extra></extra>",
        )
    )
    titled_layout(fig, _("Predicted vs actual values (test set)"))
    fig.update_xaxes(title=_("Actual value"))
    fig.update_yaxes(title=_("Predicted value"))
    fig.update_layout(legend=dict(x=0.02, y=0.98))
    return fig


def caption_predicted_vs_actual(residuals_df: pd.DataFrame, tolerance: float = 0.1) -> str:
    """E.g. "Dots on the diagonal are perfect predictions: 62% of the test rows are predicted within
    10% of their true value, and the model under-predicts the highest 10% of values by 45,000 on average." """
    known = residuals_df[residuals_df["actual"] != 0]
    if known.empty:
        return _("There are no test rows with a non-zero true value to compare predictions against.")
    within = float((known["residual"].abs() <= tolerance * known["actual"].abs()).mean())
    sentence = _(
        "Dots on the diagonal are perfect predictions: {within} of the test rows are predicted within {tolerance} of their true value"
    ).format(within=format_as(within, ".0%"), tolerance=format_as(tolerance, ".0%"))
    top = residuals_df[residuals_df["actual"] >= residuals_df["actual"].quantile(0.9)]
    bias = float(top["residual"].mean()) if len(top) else 0.0
    mae = float(residuals_df["residual"].abs().mean())
    if len(residuals_df) < 20 or mae == 0 or abs(bias) < mae:
        return sentence + "."
    direction = "under-predicts" if bias > 0 else "over-predicts"
    return sentence + _(", and the model {direction} the highest 10% of values by {amount} on average.").format(
        direction=direction, amount=_amount(abs(bias))
    )


def plot_per_class(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for column, name, color in (
        ("precision", _("Precision"), GOOD),
        ("recall", _("Recall"), ACCENT),
        ("f1", "F1", WARN),
    ):
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
        title=_("Precision, recall and F1 of each class (test set)"),
        height=HEIGHT,
        margin=dict(l=60, r=20, t=60, b=50),
        barmode="group",
    )
    fig.update_xaxes(title=_("Class"), type="category")
    fig.update_yaxes(title=_("Score"), range=[0, 1.02], tickformat=".0%")
    return fig


def caption_per_class(df: pd.DataFrame) -> str:
    """E.g. "It finds 91% of the 'gold' rows but only 52% of the 'silver' ones: …" """
    seen = df[df["rows"] > 0]
    if seen.empty:
        return _("None of the classes appears in the test rows, so nothing can be said per class.")
    best, worst = seen.loc[seen["recall"].idxmax()], seen.loc[seen["recall"].idxmin()]
    if best["class"] == worst["class"] or np.isclose(best["recall"], worst["recall"]):
        return _("It finds {recall} of the rows of every class: no class is left behind.").format(
            recall=format_as(worst["recall"], ".0%")
        )
    return _(
        "It finds {recall} of the '{class_name}' rows but only {recall2} of the '{class_name2}' ones ({rows} test rows): look there first if the business cares about that class."
    ).format(
        recall=format_as(best["recall"], ".0%"),
        class_name=best["class"],
        recall2=format_as(worst["recall"], ".0%"),
        class_name2=worst["class"],
        rows=format_as(int(worst["rows"]), ","),
    )
