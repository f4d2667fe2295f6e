"""The op on missing values, impute (fill with the median, mean, most frequent value or a constant,
optionally flagging the filled rows), with its apply, validate and describe side by side
(`MISSING_OPS`), and how a fill value is learned from the training data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.data.cleaning.ops_common import (
    OpResult,
    OpSpec,
    as_sentence,
    as_timestamp,
    bad_param,
    check_choice,
    check_column,
    is_number,
    native_value,
    parse_bool_value,
    skip_absent,
    with_column,
)
from core.formatting import format_count, format_param
from core.i18n import N_, _, ngettext
from core.workspace.errors import ConfigError

IMPUTE_STRATEGIES = ("median", "mean", "mode", "constant", "indicator")
#: A learned fill's statistic, named in a sentence (translated where shown).
STATISTIC_NAMES = {"median": N_("the median"), "mean": N_("the mean"), "mode": N_("the most frequent value")}
MISSING_FLAG_SUFFIX = "_was_missing"


def validate_impute(params: dict, op: str) -> None:
    check_column(params, op)
    strategy = check_choice(params, "strategy", IMPUTE_STRATEGIES, op, "median")
    value = params.get("value")
    if strategy == "constant" and value is None:
        raise bad_param("value", op, "given for strategy 'constant'", value)
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise bad_param("value", op, "a number, text, true/false or null", value)


def _impute(df: pd.DataFrame, params: dict) -> OpResult:
    column = params["column"]
    strategy = params.get("strategy", "median")
    if column not in df.columns:
        return skip_absent(df, column)
    s = df[column]
    missing = int(s.isna().sum())
    flag = f"{column}{MISSING_FLAG_SUFFIX}"
    if not missing and strategy != "indicator":
        return OpResult(df, _("No missing {column} values to fill.").format(column=column))
    value = params.get("value")
    learned = indicator_strategy(s) if strategy == "indicator" else strategy
    if value is None and missing:  # not resolved by make_impute_step / suggest_recipe: learn it from this table
        value = fill_value(s, learned)
        if value is None:
            return OpResult(
                df,
                _("Skipped: {column} has no values to compute {statistic} from.").format(
                    column=column, statistic=_(STATISTIC_NAMES.get(learned, learned))
                ),
                skipped=True,
            )
    out = df
    if missing:
        out = with_column(df, column, _fill(s, value, column))
    how = {
        "median": _("the median, {value}"),
        "mean": _("the mean, {value}"),
        "mode": _("the most frequent value, {value}"),
        "constant": "{value}",
    }
    filled = (
        ngettext(
            "filled {n} missing {column} value with {fill}", "filled {n} missing {column} values with {fill}", missing
        ).format(n=format_count(missing), column=column, fill=how[learned].format(value=format_param(value)))
        if missing
        else ""
    )
    if strategy != "indicator":
        return OpResult(out, as_sentence(filled), missing)
    out = _with_flag(out, column, flag, s.isna().to_numpy())
    if not missing:
        return OpResult(
            out,
            _("No missing {column} values to fill; added {flag} (all 0) so the columns match training.").format(
                column=column, flag=flag
            ),
        )
    return OpResult(
        out,
        as_sentence(_("{filled}, and marked them with 1 in the new column {flag}").format(filled=filled, flag=flag)),
        missing,
    )


def indicator_strategy(s: pd.Series) -> str:
    return "median" if is_number(s) or pd.api.types.is_datetime64_any_dtype(s) else "mode"


def _with_flag(df: pd.DataFrame, column: str, flag: str, missing: np.ndarray) -> pd.DataFrame:
    out = df.copy(deep=False)
    values = missing.astype("int8")
    if flag in out.columns:
        out[flag] = values
    else:
        out.insert(out.columns.get_loc(column) + 1, flag, values)
    return out


def fill_value(s: pd.Series, strategy: str) -> Any:
    values = s.dropna()
    if values.empty or strategy == "constant":
        return None
    if strategy == "mode":
        counts = values.value_counts()
        top = counts[counts == counts.iloc[0]].index
        return native_value(sorted(top, key=str)[0])  # ties broken alphabetically: deterministic
    if pd.api.types.is_datetime64_any_dtype(s):
        return (values.sort_values().iloc[len(values) // 2]).isoformat()
    if not is_number(s):
        raise ConfigError(
            f"The {strategy} of {s.name!r} cannot be computed because it is not numeric; use strategy 'mode' or 'constant'."
        )
    return native_value(values.median() if strategy == "median" else values.mean())


def _fill(s: pd.Series, value: Any, column: str) -> pd.Series:
    """`s` with its gaps filled by `value`, converted to the column's type."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.fillna(as_timestamp(s, value, column, "impute"))
    if pd.api.types.is_bool_dtype(s):
        flag = parse_bool_value(value)
        if flag is None:
            raise bad_param("value", "impute", f"true or false for the true/false column {column!r}", value)
        return s.astype("boolean").fillna(flag)
    if is_number(s):
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            raise bad_param("value", "impute", f"a number for the numeric column {column!r}", value) from None
        if pd.api.types.is_integer_dtype(s) and not number.is_integer():
            s = s.astype("float64")  # a mean of 7.5 cannot go into whole numbers
        return s.fillna(int(number) if pd.api.types.is_integer_dtype(s) else number)
    if isinstance(s.dtype, pd.CategoricalDtype) and value not in s.cat.categories:
        s = s.cat.add_categories([value])
    return s.fillna(str(value) if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s) else value)


def _describe_impute(p: dict) -> str:
    strategy, value, col = p.get("strategy", "median"), p.get("value"), p["column"]
    if strategy == "indicator":
        fill = f"{format_param(value)}" if value is not None else _("the median or most frequent value")
        return _("Fill missing {column} with {fill} and flag them in {flag}").format(
            column=col, fill=fill, flag=f"{col}{MISSING_FLAG_SUFFIX}"
        )
    if strategy == "constant":
        return _("Fill missing {column} with {fill}").format(column=col, fill=format_param(value))
    how = {"median": _("the median"), "mean": _("the mean"), "mode": _("the most frequent value")}[strategy]
    if value is not None:
        return _("Fill missing {column} with {fill} ({value})").format(column=col, fill=how, value=format_param(value))
    return _("Fill missing {column} with {fill} (learned when applied)").format(column=col, fill=how)


MISSING_OPS: dict[str, OpSpec] = {
    "impute": OpSpec(_impute, validate_impute, _describe_impute),
}
