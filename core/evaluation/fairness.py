"""Who does the model serve worse? Metrics per group of a sensitive column (fairness) and the
segments of the data where the model makes the most mistakes (error analysis). Their figures and captions are in ``core.evaluation.charts_checks``.

Inputs are aligned by position: ``y_true``/``y_pred`` are arrays in the same row order as the
``groups`` series or the ``X`` table. Binary tasks use 0/1 labels (1 = the positive class).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from core.formatting import format_count
from core.i18n import N_, _
from core.problem.definition import get_metric_label
from core.workspace.errors import DataError

MIN_GROUP_ROWS = 30
MISSING = "(missing)"

# Group metrics per task, in display order, with the words a non-specialist reads.
GROUP_METRICS: dict[str, dict[str, str]] = {
    "binary": {
        "positive_rate": N_("flagged rate"),
        "tpr": N_("recall (share of real positives caught)"),
        "fpr": N_("false alarm rate"),
        "accuracy": get_metric_label("accuracy"),
        "roc_auc": get_metric_label("roc_auc"),
    },
    "multiclass": {"accuracy": get_metric_label("accuracy")},
    "regression": {"mae": N_("typical error (MAE)"), "mean_error": N_("average under-prediction")},
}


def _check_task(task: str) -> None:
    if task not in GROUP_METRICS:
        raise DataError(
            _("The task must be one of {join}; got '{task}' instead.").format(join=", ".join(GROUP_METRICS), task=task)
        )


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
    labels = values.astype(object).map(
        lambda v: _short_number(float(v)) if isinstance(v, (float, np.floating)) else str(v), na_action="ignore"
    )
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
    y_true: ArrayLike,
    y_pred: ArrayLike,
    groups: pd.Series,
    task: str,
    *,
    score: ArrayLike | None = None,
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
            _("The sensitive column has {n} values for {n2} rows; pass the test rows of that column.").format(
                n=format_count(len(groups)), n2=format_count(len(y))
            )
        )
    s = None if score is None else np.asarray(score, dtype="float64")
    labels = to_segments(pd.Series(groups)).to_numpy()
    rows = []
    for group in pd.unique(labels):
        mask = labels == group
        row: dict[str, Any] = {"group": group, "rows": int(mask.sum()), "share": float(mask.mean())}
        row["reliable"] = row["rows"] >= min_rows
        if task == "binary":
            row.update(
                _binary_group_metrics(
                    y[mask].astype("int64"), pred[mask].astype("int64"), None if s is None else s[mask]
                )
            )
        elif task == "multiclass":
            row["accuracy"] = float((pred[mask] == y[mask]).mean())
        else:
            actual, predicted = y[mask].astype("float64"), pred[mask].astype("float64")
            row.update(
                {
                    "mean_actual": float(actual.mean()),
                    "mean_predicted": float(predicted.mean()),
                    "mae": float(np.abs(actual - predicted).mean()),
                    "mean_error": float((actual - predicted).mean()),
                }
            )
        rows.append(row)
    return (
        pd.DataFrame(rows).sort_values(["rows", "group"], ascending=[False, True], kind="stable").reset_index(drop=True)
    )


def task_of_group_table(group_df: pd.DataFrame) -> str:
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
    for metric in GROUP_METRICS[task_of_group_table(group_df)]:
        if metric not in pool.columns:
            continue
        values = pool[["group", metric]].dropna()
        if len(values) < 2:
            continue
        low, high = values.loc[values[metric].idxmin()], values.loc[values[metric].idxmax()]
        gaps[metric] = {
            "gap": float(high[metric] - low[metric]),
            "low_group": low["group"],
            "low": float(low[metric]),
            "high_group": high["group"],
            "high": float(high[metric]),
            "ratio": float(low[metric] / high[metric]) if high[metric] > 0 else float("nan"),
            "reliable": reliable,
        }
    return gaps


# ---------------------------------------------------------------- error analysis: worst segments

MAX_CATEGORIES = 50  # more distinct text values than this: an ID or free text, not a segment


def _row_errors(y_true: ArrayLike, y_pred: ArrayLike, task: str) -> np.ndarray:
    y, pred = np.asarray(y_true), np.asarray(y_pred)
    if task == "regression":
        return np.abs(y.astype("float64") - pred.astype("float64"))
    return (y != pred).astype("float64")


def get_error_segments_df(
    X: pd.DataFrame, y_true: ArrayLike, y_pred: ArrayLike, task: str, *, min_rows: int = MIN_GROUP_ROWS, top: int = 10
) -> pd.DataFrame:
    """The segments (a value of a categorical column, a quartile of a numeric one) where the model
    errs most: column, segment, label, rows, error (error rate, or MAE for regression),
    overall_error, lift (error / overall_error), worst first; only segments of ≥ ``min_rows`` rows."""
    _check_task(task)
    columns = ["column", "segment", "label", "rows", "error", "overall_error", "lift"]
    errors = _row_errors(y_true, y_pred, task)
    if len(errors) != len(X):
        raise DataError(
            _("The table has {n} rows but {n2} predictions; pass the test rows of the table.").format(
                n=format_count(len(X)), n2=format_count(len(errors))
            )
        )
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
        summary = (
            pd.DataFrame({"segment": segments, "error": errors})
            .groupby("segment", sort=False)["error"]
            .agg(["size", "mean"])
        )
        for segment, (size, mean) in summary.iterrows():
            if size < min_rows or size == len(X):
                continue
            binned = not is_text and segment != MISSING and ("–" in segment or " to " in segment)
            label = f"{column} {segment}" if binned else f"{column} = {segment}"
            rows.append(
                {
                    "column": str(column),
                    "segment": segment,
                    "label": label,
                    "rows": int(size),
                    "error": float(mean),
                    "overall_error": overall,
                    "lift": float(mean) / overall,
                }
            )
    if not rows:
        return pd.DataFrame(columns=columns)
    df = pd.DataFrame(rows, columns=columns)
    return df.sort_values(["lift", "rows"], ascending=[False, False], kind="stable").head(top).reset_index(drop=True)
