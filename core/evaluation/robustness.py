"""How fragile is the model? Its score when the numbers it reads are slightly noisy, and when one
input column goes missing (the pipelines impute missing values, so it still predicts).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn.compose import ColumnTransformer

from core.evaluation.comparison import BOOTSTRAP_METRICS, metric_uses_scores, score_metric
from core.workspace.errors import ConfigError, DataError
from core.style import plot_texts
from core.problem.definition import format_metric_value, get_metric_label, is_higher_better

TEMPLATE = "plotly_white"
HEIGHT = 420
MUTED = "#9ca3af"
MAX_MISSING_COLUMNS = 20
CLEAN = "No change"


def get_input_columns(pipeline: Any, X: pd.DataFrame) -> list[str]:
    """The columns of ``X`` the pipeline actually reads (its ColumnTransformer's), in table order."""
    steps = getattr(pipeline, "steps", None)
    preprocessor = steps[0][1] if steps else None
    if isinstance(preprocessor, ColumnTransformer) and hasattr(preprocessor, "transformers_"):
        used: set = set()
        for name, transformer, columns in preprocessor.transformers_:
            if name == "remainder" or (isinstance(transformer, str) and transformer == "drop"):
                continue
            if isinstance(columns, str):
                used.add(columns)
            elif isinstance(columns, (list, tuple, pd.Index, np.ndarray)):
                used.update(c for c in columns if isinstance(c, str))
        if used:
            return [c for c in X.columns if c in used]
    names = getattr(pipeline, "feature_names_in_", None)
    return [c for c in X.columns if names is None or c in set(names)]


def _predict(pipeline: Any, X: pd.DataFrame, metric: str) -> np.ndarray:
    if not metric_uses_scores(metric):
        return np.asarray(pipeline.predict(X))
    proba = np.asarray(pipeline.predict_proba(X))
    classes = list(getattr(pipeline, "classes_", range(proba.shape[1])))
    return proba[:, classes.index(1)] if 1 in classes else proba[:, -1]


def _is_noisy_kind(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _add_noise(X: pd.DataFrame, columns: list[str], level: float, rng: np.random.Generator) -> pd.DataFrame:
    """Gaussian noise of ``level`` × each column's standard deviation (so 0.1 = 10% of its spread)."""
    noisy = X.copy()
    for column in columns:
        values = X[column].astype("float64")
        spread = float(values.std())
        if np.isfinite(spread) and spread > 0:
            noisy[column] = values + rng.normal(0.0, level * spread, len(values))
    return noisy


def _blank(X: pd.DataFrame, column: str) -> pd.DataFrame:
    blanked = X.copy()
    blanked[column] = X[column].where(np.zeros(len(X), dtype=bool))  # all missing, same kind of column
    return blanked


def get_robustness_df(
    pipeline: Any,
    X: pd.DataFrame,
    y_true: Sequence,
    metric: str,
    *,
    noise_levels: Sequence[float] = (0.05, 0.1, 0.2),
    columns: Sequence[str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """The metric on ``X`` as it is, with noise on every numeric column, and with each input column
    missing in turn: scenario, kind (clean | noise | missing), column, noise_level, value, change
    (value − clean) and harm (how much worse; negative = better). Missing-column scenarios cover
    ``columns`` (e.g. the most important features) or else the first 20 columns the model reads;
    they are sorted worst first.

    ``pipeline`` is a fitted ``ModelResult.pipeline``; ``y_true`` encoded as ``TrainResult.y_test``;
    ``metric`` a name in ``core.comparison.BOOTSTRAP_METRICS`` (e.g. ``problem.metric``).
    """
    if metric not in BOOTSTRAP_METRICS:
        raise ConfigError(f"Robustness can be measured with {', '.join(BOOTSTRAP_METRICS)}; got '{metric}' instead.")
    y = np.asarray(y_true)
    if len(y) != len(X):
        raise DataError(f"The table has {len(X)} rows but {len(y)} true values; pass the test rows and their targets.")
    bad_levels = [level for level in noise_levels if not 0 < float(level) <= 5]
    if bad_levels:
        raise ConfigError(f"Noise levels must be between 0 and 5 (0.1 = 10% of a column's spread); got {bad_levels}.")
    X = X.reset_index(drop=True)
    inputs = get_input_columns(pipeline, X)
    if columns is None:
        missing_columns = inputs[:MAX_MISSING_COLUMNS]
    else:
        unknown = [c for c in columns if c not in X.columns]
        if unknown:
            raise DataError(f"The columns {unknown} are not in the table; choose among its columns.")
        missing_columns = list(columns)
    numeric = [c for c in inputs if _is_noisy_kind(X[c])]
    sign = 1.0 if is_higher_better(metric) else -1.0

    def run(scenario: str, kind: str, frame: pd.DataFrame, column: str | None = None, level: float = float("nan")) -> dict:
        return {"scenario": scenario, "kind": kind, "column": column, "noise_level": level,
                "value": score_metric(metric, y, _predict(pipeline, frame, metric))}

    rng = np.random.default_rng(seed)
    rows = [run(CLEAN, "clean", X)]
    if numeric:
        rows += [run(f"Noise {level:.0%}", "noise", _add_noise(X, numeric, float(level), rng), level=float(level))
                 for level in noise_levels]
    missing = [run(f"Missing: {column}", "missing", _blank(X, column), column=column) for column in missing_columns]
    df = pd.DataFrame(rows + missing, columns=["scenario", "kind", "column", "noise_level", "value"])
    df["change"] = df["value"] - df["value"].iloc[0]
    df["harm"] = -sign * df["change"]
    head, tail = df[df["kind"] != "missing"], df[df["kind"] == "missing"]
    return pd.concat([head, tail.sort_values("harm", ascending=False, kind="stable")], ignore_index=True)


def _change_text(metric: str, value: float) -> str:
    """A change in the metric's units with its sign: −0.08, +0.004, +1,200."""
    if metric in ("rmse", "mae"):
        shown = format_metric_value(metric, abs(value))
    else:
        shown = f"{abs(value):.2f}" if abs(value) >= 0.01 else f"{abs(value):.3f}"
    return ("−" if value < 0 else "+") + shown


def plot_robustness(robustness_df: pd.DataFrame, metric: str) -> go.Figure:
    """Bars of the change per scenario: red when the score gets worse."""
    clean = float(robustness_df["value"].iloc[0])
    shown = robustness_df[robustness_df["kind"] != "clean"]
    label = get_metric_label(metric)
    fig = go.Figure(go.Bar(
        x=shown["change"], y=plot_texts(shown["scenario"]), orientation="h",
        marker_color=["#dc2626" if h > 0 else "#16a34a" if h < 0 else MUTED for h in shown["harm"]],
        text=[_change_text(metric, c) for c in shown["change"]], textposition="outside",
        customdata=shown["value"], hovertemplate=f"%{{y}}: {label} %{{customdata:.4~g}}<extra></extra>",
    ))
    fig.add_vline(x=0, line=dict(color=MUTED))
    fig.update_layout(
        template=TEMPLATE, height=HEIGHT, margin=dict(l=60, r=20, t=60, b=50), showlegend=False,
        title=f"Change in {label} under noise and missing inputs (clean: {format_metric_value(metric, clean)})",
    )
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title=f"Change in {label} (red = worse)")
    return fig


def caption_robustness(robustness_df: pd.DataFrame, metric: str, noise_level: float = 0.1) -> str:
    """E.g. "Adding 10% noise to the numbers lowers ROC-AUC by 0.01; losing 'tenure_months' costs
    the most: −0.08." """
    label = get_metric_label(metric)
    parts = []
    noise = robustness_df[robustness_df["kind"] == "noise"]
    if not noise.empty:
        row = noise.iloc[int(np.argmin(np.abs(noise["noise_level"].to_numpy() - noise_level)))]
        size = _change_text(metric, row["change"])[1:]
        if size.strip("0.,") == "":
            effect = f"barely changes {label}"
        elif row["change"] < 0:
            effect = f"lowers {label} by {size}"
        else:
            effect = f"raises {label} by {size}"
        parts.append(f"Adding {row['noise_level']:.0%} noise to the numbers {effect}")
    missing = robustness_df[robustness_df["kind"] == "missing"]
    if not missing.empty:
        worst = missing.iloc[0]
        if worst["harm"] > 0:
            parts.append(f"losing '{worst['column']}' costs the most: {_change_text(metric, worst['change'])}")
        else:
            parts.append(f"losing any single one of the {len(missing)} columns tested does not hurt {label}")
    if not parts:
        return "There was nothing to perturb: the model reads no numeric column and no column was tested."
    sentence = "; ".join(parts) + "."
    return sentence[0].upper() + sentence[1:]
