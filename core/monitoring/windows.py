"""Monitoring's results per traffic window, computed: feature drift, prediction drift and the
metric against its threshold, as tables of a fixed schema (so a saved report loads back identical);
which inputs are no drift signals; and the words for metrics and numbers that alerts and captions
share. A module of its own: the alerts, the report and the charts all read these tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import looks_like_identifier
from core.data.dates import looks_like_datetime
from core.i18n import _
from core.monitoring.drift import DriftConfig, describe_psi, get_feature_drift_df, get_psi_per_group
from core.problem.definition import get_metric_label

WINDOW_COLUMN = "window"
LOWER_IS_BETTER = {"rmse", "mae", "mse", "log_loss"}
# Column order and dtype of each result table: applied on creation and on loading,
# so a saved report loads back identical.
FEATURE_DRIFT_SCHEMA = {
    "window": "int64",
    "feature": "str",
    "kind": "str",
    "psi": "float64",
    "test": "str",
    "pvalue": "float64",
    "drifted": "bool",
    "label": "str",
    "new_rows": "int64",
    "new_share": "float64",
}
# Columns added after reports were first saved, with the value an older report implies.
FEATURE_DRIFT_DEFAULTS = {"new_rows": 0, "new_share": 0.0}


def get_feature_drift_schema(config: DriftConfig) -> dict[str, str]:
    """The feature-drift table's schema: the fixed columns, then one per distance the config chose."""
    return {**FEATURE_DRIFT_SCHEMA, **{name: "float64" for name in config.distances}}


PREDICTION_DRIFT_SCHEMA = {"window": "int64", "psi": "float64", "label": "str", "mean_score": "float64"}
PERFORMANCE_SCHEMA = {"window": "int64", "metric": "str", "value": "float64", "threshold": "float64", "passed": "bool"}


def apply_schema(df: pd.DataFrame, schema: dict[str, str], defaults: dict[str, Any] | None = None) -> pd.DataFrame:
    for column, value in (defaults or {}).items():
        if column not in df.columns:
            df = df.assign(**{column: value})
    df = df.reindex(columns=list(schema))
    return df.astype(schema).reset_index(drop=True)


def metric_name(metric: str) -> str:
    return get_metric_label(metric)


def _as_score_vector(scores: np.ndarray) -> np.ndarray:
    """One number per row for drift: a 2-D probability matrix becomes the top-class probability."""
    scores = np.asarray(scores, dtype=float)
    return scores.max(axis=1) if scores.ndim == 2 else scores.ravel()


def get_non_signal_columns(
    reference: pd.DataFrame,
    columns: list[str],
    *,
    time_columns: tuple[str, ...] | list[str] = (),
    id_columns: tuple[str, ...] | list[str] = (),
) -> dict[str, str]:
    """{column: why} for the model inputs that are not drift signals: times (given, stored as dates
    or written as dates) and identifiers (given, or ``columns.looks_like_identifier``). Production
    rows are always later than the training rows and bring new IDs, so these columns "drift" in every
    window whatever happens to the data: they are left out of the drift table and the retrain decision.
    """
    excluded: dict[str, str] = {}
    for column in columns:
        values = reference[column]
        if column in time_columns or looks_like_datetime(values):
            excluded[column] = _(
                "{column} is a time: production rows are always later than the training rows, so its values "
                "always look new"
            ).format(column=column)
        elif column in id_columns or looks_like_identifier(values):
            excluded[column] = _(
                "{column} is an identifier: new rows bring values never seen in training, so it always looks drifted"
            ).format(column=column)
    return excluded


def get_window_feature_drift_df(
    reference: pd.DataFrame,
    traffic: pd.DataFrame,
    feature_columns: list[str],
    config: DriftConfig,
    reference_key: Any = None,
) -> pd.DataFrame:
    """Feature drift of every window against the reference, one row per (window, feature); the
    reference is prepared once per ``reference_key`` (`drift.get_prepared_reference`)."""
    schema = get_feature_drift_schema(config)
    if not feature_columns:
        return apply_schema(pd.DataFrame(columns=list(schema)), schema)
    df = get_feature_drift_df(
        reference, traffic, feature_columns, config, by=WINDOW_COLUMN, reference_key=reference_key
    )
    return apply_schema(df, schema)


def get_prediction_drift_df(
    windows: np.ndarray, scores: np.ndarray, reference_scores: np.ndarray, bins: int
) -> pd.DataFrame:
    """PSI of the model's scores in each window against its scores on the reference data."""
    current = pd.Series(_as_score_vector(scores))
    values = get_psi_per_group(pd.Series(_as_score_vector(reference_scores)), current, windows, bins=bins)
    df = pd.DataFrame(
        {
            "window": values.index,
            "psi": values.to_numpy(),
            "label": [describe_psi(v) for v in values],
            "mean_score": current.groupby(windows).mean().reindex(values.index).to_numpy(),
        }
    )
    return apply_schema(df, PREDICTION_DRIFT_SCHEMA)


def get_performance_df(
    windows: np.ndarray,
    y_true: pd.Series,
    scores: np.ndarray,
    *,
    metric: str,
    threshold: float,
    score_metric: Callable[[np.ndarray, np.ndarray], float],
) -> pd.DataFrame:
    """The metric on each window whose labels have arrived (rows with a missing label are skipped).

    A window where the metric cannot be computed (e.g. ROC-AUC with one class only) is left out
    rather than reported as a failure.
    """
    labelled = y_true.notna().to_numpy()
    scores = np.asarray(scores)
    rows = []
    for window in np.unique(windows):
        rows_in_window = (windows == window) & labelled
        if not rows_in_window.any():
            continue
        try:
            value = float(score_metric(y_true.to_numpy()[rows_in_window], scores[rows_in_window]))
        except (ValueError, ZeroDivisionError):
            continue
        if math.isnan(value):
            continue
        passed = value <= threshold if metric in LOWER_IS_BETTER else value >= threshold
        rows.append({"window": window, "metric": metric, "value": value, "threshold": threshold, "passed": passed})
    return apply_schema(pd.DataFrame(rows, columns=list(PERFORMANCE_SCHEMA)), PERFORMANCE_SCHEMA)
