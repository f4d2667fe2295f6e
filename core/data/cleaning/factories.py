"""Step factories: a step whose every parameter is resolved from the (training) data now (outlier
bounds, a fill value, the common categories to keep), so replaying it is deterministic. Used by
the recipe editor and by suggestions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.data.cleaning.ops_common import bad_param, is_number, name_list, native_value
from core.data.cleaning.ops_missing import STATISTIC_NAMES, fill_value, indicator_strategy, validate_impute
from core.data.cleaning.ops_rows import OUTLIER_ACTIONS, OUTLIER_METHODS
from core.data.cleaning.ops_text import RARE_MIN_SHARE, get_common_categories, validate_group_rare
from core.data.cleaning.recipe import CleaningStep
from core.data.columns import is_text
from core.i18n import _
from core.workspace.errors import ConfigError


def make_outlier_step(
    df: pd.DataFrame, column: str, method: str = "iqr", k: float | None = None, action: str = "clip"
) -> CleaningStep:
    """A clip_outliers (action "clip") or drop_outlier_rows ("drop") step with bounds computed now.

    iqr: Q1 - k·IQR to Q3 + k·IQR (k defaults to 1.5); zscore: mean ± k·std (k defaults to 3).
    """
    op = "outliers"
    if method not in OUTLIER_METHODS:
        raise bad_param("method", op, "'iqr' or 'zscore'", method)
    if action not in OUTLIER_ACTIONS:
        raise bad_param("action", op, "'clip' or 'drop'", action)
    k = OUTLIER_METHODS[method] if k is None else k
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not k > 0:
        raise bad_param("k", op, _("a positive number"), k)
    s = _existing_column(df, column, op)
    if not is_number(s):
        raise bad_param("column", op, _("a numeric column"), f"{column} ({s.dtype})")
    x = s.dropna().to_numpy(dtype="float64")
    if len(x) < 2:
        raise ConfigError(
            _("{column} has fewer than 2 values, so outliers cannot be told apart; choose another column.").format(
                column=column
            )
        )
    if method == "iqr":
        q1, q3 = np.quantile(x, [0.25, 0.75])
        spread, low, high = q3 - q1, q1, q3
        why = _("its middle half of values are all equal (the IQR is 0)")
    else:
        spread, low = float(np.std(x, ddof=1)), float(np.mean(x))
        high = low
        why = _("all its values are equal (the standard deviation is 0)")
    if not spread > 0:
        raise ConfigError(
            _(
                "{column}: {why}, so every other value would be an outlier; "
                "use the other method or clip with bounds of your own."
            ).format(column=column, why=why)
        )
    params = {
        "column": column,
        "lower": native_value(float(low - k * spread)),
        "upper": native_value(float(high + k * spread)),
        "method": method,
        "k": native_value(float(k)),
    }
    return CleaningStep(OUTLIER_ACTIONS[action], params)


def make_impute_step(df: pd.DataFrame, column: str, strategy: str = "median", value: Any = None) -> CleaningStep:
    """An impute step with its fill value computed now (or the given constant)."""
    params = {"column": column, "strategy": strategy, "value": value}
    validate_impute(params, "impute")
    s = _existing_column(df, column, "impute")
    if value is None:
        learned = indicator_strategy(s) if strategy == "indicator" else strategy
        params["value"] = fill_value(s, learned)
        if params["value"] is None:
            raise ConfigError(
                _("{column} has no values to compute {statistic} from; fill it with a constant or drop it.").format(
                    column=column, statistic=_(STATISTIC_NAMES.get(learned, learned))
                )
            )
    return CleaningStep("impute", params)


def make_group_rare_step(
    df: pd.DataFrame, column: str, min_share: float = RARE_MIN_SHARE, other_label: str = "Other"
) -> CleaningStep:
    """A group_rare step whose `keep` list (categories with >= min_share of values) is fixed now."""
    params = {"column": column, "min_share": min_share, "other_label": other_label}
    validate_group_rare(params, "group_rare")
    s = _existing_column(df, column, "group_rare")
    if not is_text(s):
        raise bad_param("column", "group_rare", _("a text (category) column"), f"{column} ({s.dtype})")
    params["keep"] = get_common_categories(s, min_share)
    return CleaningStep("group_rare", params)


def _existing_column(df: pd.DataFrame, column: str, op: str) -> pd.Series:
    if column not in df.columns:
        raise bad_param(
            "column",
            op,
            _("a column of the table ({columns}…)").format(columns=name_list(list(df.columns)[:10])),
            column,
        )
    return df[column]
