"""How fragile is the model? Its score when the numbers it reads are slightly noisy, and when one
input column goes missing (the pipelines impute missing values, so it still predicts). Drawn by ``core.evaluation.charts_checks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.compose import ColumnTransformer

from core.evaluation.comparison import BOOTSTRAP_METRICS, metric_uses_scores, score_metric
from core.formatting import format_as, format_count
from core.i18n import N_, _
from core.problem.definition import is_higher_better
from core.workspace.errors import ConfigError, DataError

MAX_MISSING_COLUMNS = 20
CLEAN = N_("No change")


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
    y_true: ArrayLike,
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
        raise ConfigError(
            _("Robustness can be measured with {join}; got '{metric}' instead.").format(
                join=", ".join(BOOTSTRAP_METRICS), metric=metric
            )
        )
    y = np.asarray(y_true)
    if len(y) != len(X):
        raise DataError(
            _("The table has {n} rows but {n2} true values; pass the test rows and their targets.").format(
                n=format_count(len(X)), n2=format_count(len(y))
            )
        )
    bad_levels = [level for level in noise_levels if not 0 < float(level) <= 5]
    if bad_levels:
        raise ConfigError(
            _("Noise levels must be between 0 and 5 (0.1 = 10% of a column's spread); got {bad_levels}.").format(
                bad_levels=bad_levels
            )
        )
    X = X.reset_index(drop=True)
    inputs = get_input_columns(pipeline, X)
    if columns is None:
        missing_columns = inputs[:MAX_MISSING_COLUMNS]
    else:
        unknown = [c for c in columns if c not in X.columns]
        if unknown:
            raise DataError(
                _("The columns {unknown} are not in the table; choose among its columns.").format(unknown=unknown)
            )
        missing_columns = list(columns)
    numeric = [c for c in inputs if _is_noisy_kind(X[c])]
    sign = 1.0 if is_higher_better(metric) else -1.0

    def run(
        scenario: str, kind: str, frame: pd.DataFrame, column: str | None = None, level: float = float("nan")
    ) -> dict:
        return {
            "scenario": scenario,
            "kind": kind,
            "column": column,
            "noise_level": level,
            "value": score_metric(metric, y, _predict(pipeline, frame, metric)),
        }

    rng = np.random.default_rng(seed)
    rows = [run(_(CLEAN), "clean", X)]
    if numeric:
        rows += [
            run(
                _("Noise {level}").format(level=format_as(level, ".0%")),
                "noise",
                _add_noise(X, numeric, float(level), rng),
                level=float(level),
            )
            for level in noise_levels
        ]
    missing = [
        run(_("Missing: {column}").format(column=column), "missing", _blank(X, column), column=column)
        for column in missing_columns
    ]
    df = pd.DataFrame(rows + missing, columns=["scenario", "kind", "column", "noise_level", "value"])
    df["change"] = df["value"] - df["value"].iloc[0]
    df["harm"] = -sign * df["change"]
    head, tail = df[df["kind"] != "missing"], df[df["kind"] == "missing"]
    return pd.concat([head, tail.sort_values("harm", ascending=False, kind="stable")], ignore_index=True)
