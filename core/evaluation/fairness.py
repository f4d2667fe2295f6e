"""Who does the model serve worse? Metrics per group of a sensitive column (fairness) and the
segments of the data where the model makes the most mistakes (error analysis).

Inputs are aligned by position: ``y_true``/``y_pred`` are arrays in the same row order as the
``groups`` series or the ``X`` table. Binary tasks use 0/1 labels (1 = the positive class).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.workspace.errors import DataError
from core.style import plot_text, plot_texts
from core.problem.definition import format_metric_value

TEMPLATE = "plotly_white"
HEIGHT = 420
ACCENT = "#2563eb"
MUTED = "#9ca3af"
MIN_GROUP_ROWS = 30
MISSING = "(missing)"

# Group metrics per task, in display order, with the words a non-specialist reads.
GROUP_METRICS: dict[str, dict[str, str]] = {
    "binary": {
        "positive_rate": "flagged rate",
        "tpr": "recall (share of real positives caught)",
        "fpr": "false alarm rate",
        "accuracy": "accuracy",
        "roc_auc": "ROC-AUC",
    },
    "multiclass": {"accuracy": "accuracy"},
    "regression": {"mae": "typical error (MAE)", "mean_error": "average under-prediction"},
}


def _layout(fig: go.Figure, title: str, **kwargs: Any) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title=title, height=HEIGHT, margin=dict(l=60, r=20, t=60, b=50), **kwargs)
    return fig


def _check_task(task: str) -> None:
    if task not in GROUP_METRICS:
        raise DataError(f"The task must be one of {', '.join(GROUP_METRICS)}; got '{task}' instead.")


def _short_number(value: float) -> str:
    if float(value).is_integer() or abs(value) >= 100:
        text = f"{abs(value):,.0f}"
    elif abs(value) >= 1:
        text = f"{abs(value):,.1f}"
    else:
        text = f"{abs(value):.2g}"
    return ("−" if value < 0 else "") + text


def to_segments(values: pd.Series, bins: int = 4, max_values: int = 5) -> pd.Series:
    """Readable group labels (str) for any column: numbers with more than ``max_values`` distinct
    values fall into ``bins`` quantile bins labelled by their range ("1–12"); dates likewise
    ("2021-03-01 – 2021-09-30"); other values as text; missing values as "(missing)"."""
    values = values.reset_index(drop=True)
    is_date = pd.api.types.is_datetime64_any_dtype(values)
    is_number = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if (is_date or is_number) and values.nunique() > max_values:
        numbers = (values - values.min()).dt.total_seconds() if is_date else values.astype("float64")
        codes = pd.qcut(numbers, bins, labels=False, duplicates="drop")
        codes = codes.where(values.notna())
        labels = pd.Series(MISSING, index=values.index, dtype=object)
        for code in codes.dropna().unique():
            members = values[codes == code]
            low, high = members.min(), members.max()
            if is_date:
                text = low.strftime("%Y-%m-%d") if low == high else f"{low:%Y-%m-%d} – {high:%Y-%m-%d}"
            else:
                dash = " to " if low < 0 or high < 0 else "–"  # "−1–10" would read as a minus sign
                text = _short_number(low) if low == high else f"{_short_number(low)}{dash}{_short_number(high)}"
            labels[codes == code] = text
        return labels
    labels = values.astype(object).map(lambda v: _short_number(v) if isinstance(v, (float, np.floating)) else str(v),
                                       na_action="ignore")
    return labels.where(values.notna(), MISSING).astype(object)


# ---------------------------------------------------------------- fairness: metrics per group

def _binary_group_metrics(y: np.ndarray, pred: np.ndarray, score: np.ndarray | None) -> dict[str, float]:
    positives, negatives = y == 1, y == 0
    metrics = {
        "actual_rate": float(positives.mean()),
        "positive_rate": float((pred == 1).mean()),
        "tpr": float((pred[positives] == 1).mean()) if positives.any() else float("nan"),
        "fpr": float((pred[negatives] == 1).mean()) if negatives.any() else float("nan"),
        "accuracy": float((pred == y).mean()),
    }
    if score is not None:
        metrics["roc_auc"] = _auc(y, score) if positives.any() and negatives.any() else float("nan")
    return metrics


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    ranks = pd.Series(score).rank().to_numpy()  # mean rank for ties
    n_pos = int((y == 1).sum())
    n_neg = len(y) - n_pos
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def get_group_metrics_df(
    y_true: Sequence,
    y_pred: Sequence,
    groups: pd.Series,
    task: str,
    *,
    score: Sequence | None = None,
    min_rows: int = MIN_GROUP_ROWS,
) -> pd.DataFrame:
    """One row per group of ``groups`` (labelled by ``to_segments``), largest first: group, rows,
    share, reliable (rows ≥ ``min_rows``), then per task
    binary: actual_rate, positive_rate (selection rate), tpr, fpr, accuracy (+ roc_auc with ``score``);
    multiclass: accuracy; regression: mean_actual, mean_predicted, mae, mean_error (actual −
    predicted: positive means predicted too low)."""
    _check_task(task)
    y, pred = np.asarray(y_true), np.asarray(y_pred)
    if not len(y) == len(pred) == len(groups):
        raise DataError(
            f"The sensitive column has {len(groups)} values for {len(y)} rows; pass the test rows of that column."
        )
    s = None if score is None else np.asarray(score, dtype="float64")
    labels = to_segments(pd.Series(groups)).to_numpy()
    rows = []
    for group in pd.unique(labels):
        mask = labels == group
        row: dict[str, Any] = {"group": group, "rows": int(mask.sum()), "share": float(mask.mean())}
        row["reliable"] = row["rows"] >= min_rows
        if task == "binary":
            row.update(_binary_group_metrics(y[mask].astype("int64"), pred[mask].astype("int64"),
                                             None if s is None else s[mask]))
        elif task == "multiclass":
            row["accuracy"] = float((pred[mask] == y[mask]).mean())
        else:
            actual, predicted = y[mask].astype("float64"), pred[mask].astype("float64")
            row.update({
                "mean_actual": float(actual.mean()), "mean_predicted": float(predicted.mean()),
                "mae": float(np.abs(actual - predicted).mean()), "mean_error": float((actual - predicted).mean()),
            })
        rows.append(row)
    return pd.DataFrame(rows).sort_values(["rows", "group"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _task_of(group_df: pd.DataFrame) -> str:
    if "positive_rate" in group_df.columns:
        return "binary"
    return "regression" if "mae" in group_df.columns else "multiclass"


def get_fairness_gaps(group_df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per metric, the largest gap between two groups: {metric: {gap, low_group, low, high_group,
    high, ratio (low / high), reliable}}. Only reliable groups count when at least two are reliable
    (``reliable`` is then True); otherwise every group counts and ``reliable`` is False."""
    trusted = group_df[group_df["reliable"]]
    reliable = len(trusted) >= 2
    pool = trusted if reliable else group_df
    gaps: dict[str, dict[str, Any]] = {}
    for metric in GROUP_METRICS[_task_of(group_df)]:
        if metric not in pool.columns:
            continue
        values = pool[["group", metric]].dropna()
        if len(values) < 2:
            continue
        low, high = values.loc[values[metric].idxmin()], values.loc[values[metric].idxmax()]
        gaps[metric] = {
            "gap": float(high[metric] - low[metric]),
            "low_group": low["group"], "low": float(low[metric]),
            "high_group": high["group"], "high": float(high[metric]),
            "ratio": float(low[metric] / high[metric]) if high[metric] > 0 else float("nan"),
            "reliable": reliable,
        }
    return gaps


def plot_group_metrics(group_df: pd.DataFrame) -> go.Figure:
    """Bars per metric, one colour per group; groups too small to trust are faded and say so."""
    task = _task_of(group_df)
    metrics = [m for m in GROUP_METRICS[task] if m in group_df.columns and m != "mean_error"]
    names = [m.split(" (")[0].capitalize() for m in (GROUP_METRICS[task][k] for k in metrics)]
    fig = go.Figure()
    for row in group_df.itertuples(index=False):
        suffix = "" if row.reliable else f" (only {row.rows} rows: unreliable)"
        values = [getattr(row, m) for m in metrics]
        shown = [format_metric_value("mae", v) if task == "regression" else f"{v:.0%}" for v in values]
        fig.add_trace(go.Bar(
            x=names, y=values, name=plot_text(f"{row.group}{suffix}"), opacity=1.0 if row.reliable else 0.4,
            text=shown, textposition="outside", customdata=[[row.rows, plot_text(row.group)]] * len(values),
            # The group's name goes in as data, not into the template, where "%{…}" would be read.
            hovertemplate="%{customdata[1]}: %{text} (%{customdata[0]:,} rows)<extra></extra>",
        ))
    title = "Typical error per group (test set)" if task == "regression" else "Model behaviour per group (test set)"
    _layout(fig, title, barmode="group", legend_title_text="Group")
    if task != "regression":
        fig.update_yaxes(range=[0, 1.1], tickformat=".0%")
    return fig


def caption_fairness(group_df: pd.DataFrame, gaps: dict[str, dict[str, Any]], column: str | None = None) -> str:
    """E.g. "'F' and 'M' are flagged at similar rates (24% vs 27%); the largest gap is in recall
    (share of real positives caught): 0.61 for 'F' vs 0.70 for 'M'." """
    task = _task_of(group_df)
    of = f" of {column}" if column else ""
    if len(group_df) < 2:
        only = f"'{group_df['group'].iloc[0]}'" if len(group_df) else "none"
        return f"The test rows hold a single group{of} ({only}), so there is nothing to compare."
    if task == "binary":
        sentence = _flag_rate_clause(group_df, gaps, of)
        others = {m: g for m, g in gaps.items() if m in ("tpr", "fpr", "accuracy", "roc_auc")}
        if others:
            metric, gap = max(others.items(), key=lambda item: item[1]["gap"])
            sentence += (
                f"; the largest gap is in {GROUP_METRICS['binary'][metric]}: {gap['low']:.2f} for '{gap['low_group']}' "
                f"vs {gap['high']:.2f} for '{gap['high_group']}'"
            )
    elif task == "multiclass" and "accuracy" in gaps:
        gap = gaps["accuracy"]
        sentence = (
            f"Accuracy ranges from {gap['low']:.0%} for '{gap['low_group']}' to {gap['high']:.0%} for "
            f"'{gap['high_group']}' across the groups{of}"
        )
    elif task == "regression" and "mae" in gaps:
        gap = gaps["mae"]
        sentence = (
            f"The typical error is largest for '{gap['high_group']}' ({format_metric_value('mae', gap['high'])}) "
            f"and smallest for '{gap['low_group']}' ({format_metric_value('mae', gap['low'])}) across the groups{of}"
        )
    else:
        sentence = f"The groups{of} cannot be compared: the metric is undefined in all but one of them"
    small = group_df.loc[~group_df["reliable"], "group"].tolist()
    if small:
        shown = ", ".join(f"'{g}'" for g in small[:3]) + (" …" if len(small) > 3 else "")
        sentence += f"; {shown} {'has' if len(small) == 1 else 'have'} too few rows to judge"
    return sentence + "."


def _flag_rate_clause(group_df: pd.DataFrame, gaps: dict[str, dict[str, Any]], of: str) -> str:
    gap = gaps.get("positive_rate")
    if gap is None:
        return f"The groups{of} cannot be compared"
    note = ""
    if gap["gap"] < 0.05:
        how = "similar"
    elif not math.isnan(gap["ratio"]) and gap["ratio"] < 0.8:
        how, note = "very different", ", below the four-fifths rule of thumb"
    else:
        how = "somewhat different"
    pool = group_df[group_df["reliable"]] if gap["reliable"] else group_df
    if len(pool) == 2:
        first, second = pool["group"].tolist()
        rate = dict(zip(pool["group"], pool["positive_rate"]))
        return f"'{first}' and '{second}' are flagged at {how} rates ({rate[first]:.0%} vs {rate[second]:.0%}{note})"
    return (
        f"Across the {len(pool)} groups{of}, rows are flagged at {how} rates, from {gap['low']:.0%} for "
        f"'{gap['low_group']}' to {gap['high']:.0%} for '{gap['high_group']}'{note}"
    )


# ---------------------------------------------------------------- error analysis: worst segments

MAX_CATEGORIES = 50  # more distinct text values than this: an ID or free text, not a segment


def _row_errors(y_true: Sequence, y_pred: Sequence, task: str) -> np.ndarray:
    y, pred = np.asarray(y_true), np.asarray(y_pred)
    if task == "regression":
        return np.abs(y.astype("float64") - pred.astype("float64"))
    return (y != pred).astype("float64")


def get_error_segments_df(
    X: pd.DataFrame, y_true: Sequence, y_pred: Sequence, task: str, *, min_rows: int = MIN_GROUP_ROWS, top: int = 10
) -> pd.DataFrame:
    """The segments (a value of a categorical column, a quartile of a numeric one) where the model
    errs most: column, segment, label, rows, error (error rate, or MAE for regression),
    overall_error, lift (error / overall_error), worst first; only segments of ≥ ``min_rows`` rows."""
    _check_task(task)
    columns = ["column", "segment", "label", "rows", "error", "overall_error", "lift"]
    errors = _row_errors(y_true, y_pred, task)
    if len(errors) != len(X):
        raise DataError(f"The table has {len(X)} rows but {len(errors)} predictions; pass the test rows of the table.")
    overall = float(errors.mean()) if len(errors) else float("nan")
    if not overall > 0:
        return pd.DataFrame(columns=columns)  # no mistakes at all: no segment stands out
    rows = []
    for column in X.columns:
        values = X[column]
        is_text = not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values))
        if is_text and values.nunique() > MAX_CATEGORIES:
            continue
        segments = to_segments(values).to_numpy()
        summary = pd.DataFrame({"segment": segments, "error": errors}).groupby("segment", sort=False)["error"].agg(["size", "mean"])
        for segment, (size, mean) in summary.iterrows():
            if size < min_rows or size == len(X):
                continue
            binned = not is_text and segment != MISSING and ("–" in segment or " to " in segment)
            label = f"{column} {segment}" if binned else f"{column} = {segment}"
            rows.append({"column": str(column), "segment": segment, "label": label, "rows": int(size),
                         "error": float(mean), "overall_error": overall, "lift": float(mean) / overall})
    if not rows:
        return pd.DataFrame(columns=columns)
    df = pd.DataFrame(rows, columns=columns)
    return df.sort_values(["lift", "rows"], ascending=[False, False], kind="stable").head(top).reset_index(drop=True)


def _error_text(value: float, task: str) -> str:
    return format_metric_value("mae", value) if task == "regression" else f"{value:.0%}"


def plot_error_segments(segments_df: pd.DataFrame, task: str) -> go.Figure:
    """Horizontal bars of the error per segment, worst on top, with the overall error as a line."""
    what = "Typical error (MAE)" if task == "regression" else "Share of wrong predictions"
    fig = go.Figure(go.Bar(
        x=segments_df["error"], y=plot_texts(segments_df["label"]), orientation="h", marker_color="#dc2626",
        text=[_error_text(v, task) for v in segments_df["error"]], textposition="inside",
        customdata=segments_df[["rows", "lift"]].to_numpy(),
        hovertemplate="%{y}: %{text} (%{customdata[0]:,} rows, %{customdata[1]:.1f}× overall)<extra></extra>",
    ))
    if len(segments_df):
        fig.add_vline(x=float(segments_df["overall_error"].iloc[0]), line=dict(color=MUTED, dash="dash"),
                      annotation_text="overall", annotation_position="top")
    _layout(fig, "Where the model makes the most mistakes (test set)", showlegend=False)
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title=what, rangemode="tozero", tickformat=None if task == "regression" else ".0%")
    return fig


def caption_error_segments(segments_df: pd.DataFrame, task: str, min_rows: int = MIN_GROUP_ROWS) -> str:
    """E.g. "The model errs most for contract = Month-to-month (412 rows): 31% wrong vs 19% overall,
    1.6 times the average." """
    if segments_df.empty:
        return f"No segment of at least {min_rows} test rows stands out: the model makes no mistakes or too few rows to split."
    worst = segments_df.iloc[0]
    error, overall = _error_text(worst["error"], task), _error_text(worst["overall_error"], task)
    if task == "regression":
        detail = f"a typical miss of {error} vs {overall} overall"
    else:
        detail = f"{error} wrong vs {overall} overall"
    if worst["lift"] < 1.1:
        return f"No segment is much worse than the rest: the worst, {worst['label']} ({worst['rows']:,} rows), has {detail}."
    return (
        f"The model errs most for {worst['label']} ({worst['rows']:,} rows): {detail}, "
        f"{worst['lift']:.1f} times the average."
    )
