"""Ops on rows and outliers: clip_outliers, drop_outlier_rows, drop_duplicates, filter_rows and
drop_missing_target, each with its apply, validate and describe side by side (`ROW_OPS`). All but
clip_outliers remove rows, so they run only when training (the words for that are `ROW_OP_LABELS`)."""

from __future__ import annotations

import operator as _operator
from typing import Any

import numpy as np
import pandas as pd

from core.data.cleaning.ops_common import (
    OpResult,
    OpSpec,
    as_plain_text,
    as_timestamp,
    bad_param,
    check_choice,
    check_column,
    check_columns,
    check_number,
    is_number,
    keep_rows,
    name_list,
    parse_bool_value,
    range_words,
    skip_absent,
    with_column,
)
from core.data.columns import is_text
from core.formatting import format_count, format_param
from core.i18n import N_, _, ngettext

FILTER_OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_missing", "not_missing")
OUTLIER_METHODS = {"iqr": 1.5, "zscore": 3.0}  # method -> default k
OUTLIER_ACTIONS = {"clip": "clip_outliers", "drop": "drop_outlier_rows"}


def _validate_bounds(params: dict, op: str) -> None:
    check_column(params, op)
    lower, upper = check_number(params, "lower", op), check_number(params, "upper", op)
    if lower is None and upper is None:
        raise bad_param("lower", op, "a number when 'upper' is null (give at least one bound)", None)
    if lower is not None and upper is not None and lower > upper:
        raise bad_param("upper", op, f"at least the lower bound {format_param(lower)}", params.get("upper"))


def _validate_drop_duplicates(params: dict, op: str) -> None:
    key = "subset" if "subset" in params else "columns"  # "columns": recipes saved before "subset"
    if params.get(key) is not None:
        check_columns(params, op, key)


def _validate_filter(params: dict, op: str) -> None:
    check_column(params, op)
    operator = check_choice(params, "operator", FILTER_OPERATORS, op, None)
    value = params.get("value")
    scalar = (str, int, float, bool)
    if operator in ("in", "not_in"):
        if not isinstance(value, list) or not value or not all(isinstance(v, scalar) for v in value):
            raise bad_param("value", op, f"a non-empty list of values for operator {operator!r}", value)
    elif operator not in ("is_missing", "not_missing") and not isinstance(value, scalar):
        raise bad_param("value", op, f"a number, text or true/false for operator {operator!r}", value)


def _validate_target(params: dict, op: str) -> None:
    check_column(params, op)


def _values_outside(df: pd.DataFrame, params: dict, op: str):
    """(series, lower, upper, mask of values outside) for the two outlier ops, or the OpResult that
    skips the step (column absent or not numeric)."""
    column = params["column"]
    lower, upper = check_number(params, "lower", op), check_number(params, "upper", op)
    if column not in df.columns:
        return skip_absent(df, column)
    s = df[column]
    if not is_number(s):
        return OpResult(df, _("Skipped: {column} is not numeric.").format(column=column), skipped=True)
    return s, lower, upper, _outside(s, lower, upper)


def _clip_outliers(df: pd.DataFrame, params: dict) -> OpResult:
    found = _values_outside(df, params, "clip_outliers")
    if isinstance(found, OpResult):
        return found
    s, lower, upper, outside = found
    column = params["column"]
    changed = int(outside.sum())
    if not changed:
        return OpResult(
            df, _("No {column} value lies outside {range}.").format(column=column, range=range_words(lower, upper))
        )
    clipped = s.astype("float64").clip(lower=lower, upper=upper)
    if pd.api.types.is_integer_dtype(s) and np.all(np.mod(clipped.dropna(), 1) == 0):
        clipped = clipped.astype(s.dtype)
    return OpResult(
        with_column(df, column, clipped),
        ngettext("Clipped {n} {column} value to {range}.", "Clipped {n} {column} values to {range}.", changed).format(
            n=format_count(changed), column=column, range=range_words(lower, upper)
        ),
        changed,
    )


def _drop_outlier_rows(df: pd.DataFrame, params: dict) -> OpResult:
    found = _values_outside(df, params, "drop_outlier_rows")
    if isinstance(found, OpResult):
        return found
    s, lower, upper, outside = found
    column = params["column"]
    removed = int(outside.sum())
    if not removed:
        return OpResult(
            df, _("No row has {column} outside {range}.").format(column=column, range=range_words(lower, upper))
        )
    examples = ", ".join(format_param(v) for v in sorted(s[outside].unique())[:4])
    if params.get("method") in OUTLIER_METHODS:  # made by make_outlier_step
        sentence = ngettext(
            "Removed {n} row with outlying {column} values ({examples}; kept {range}).",
            "Removed {n} rows with outlying {column} values ({examples}; kept {range}).",
            removed,
        )
    else:
        sentence = ngettext(
            "Removed {n} row with impossible {column} values ({examples}; kept {range}).",
            "Removed {n} rows with impossible {column} values ({examples}; kept {range}).",
            removed,
        )
    return OpResult(
        keep_rows(df, ~outside),
        sentence.format(n=format_count(removed), column=column, examples=examples, range=range_words(lower, upper)),
    )


def _outside(s: pd.Series, lower: float | None, upper: float | None) -> np.ndarray:
    values = s.to_numpy(dtype="float64", na_value=np.nan)
    outside = np.zeros(len(values), dtype=bool)
    if lower is not None:
        outside |= values < lower
    if upper is not None:
        outside |= values > upper
    return outside


def _drop_duplicates(df: pd.DataFrame, params: dict) -> OpResult:
    subset = params.get("subset", params.get("columns"))
    if subset is not None:
        subset = [subset] if isinstance(subset, str) else list(subset)
        absent = [c for c in subset if c not in df.columns]
        if absent:
            return OpResult(
                df,
                _("Skipped: {absent} not in this table, so duplicates by {columns} cannot be found.").format(
                    absent=name_list(absent), columns=name_list(subset)
                ),
                skipped=True,
            )
    duplicated = find_duplicated(df if subset is None else df[subset]).to_numpy()
    removed = int(duplicated.sum())
    if not removed:
        return OpResult(
            df,
            _("No duplicate rows found.")
            if subset is None
            else _("No two rows share the same {columns}.").format(columns=name_list(subset)),
        )
    if subset is None:
        return OpResult(
            keep_rows(df, ~duplicated),
            ngettext("Removed {n} duplicate row.", "Removed {n} duplicate rows.", removed).format(
                n=format_count(removed)
            ),
        )
    return OpResult(
        keep_rows(df, ~duplicated),
        ngettext(
            "Removed {n} duplicate row by {columns} (kept the first of each).",
            "Removed {n} duplicate rows by {columns} (kept the first of each).",
            removed,
        ).format(n=format_count(removed), columns=name_list(subset)),
    )


def find_duplicated(df: pd.DataFrame) -> pd.Series:
    """Like `df.duplicated()` (later copies True), ~3x faster: row hashes pick the candidates."""
    if df.shape[1] == 0 or len(df) < 2:
        return pd.Series(False, index=df.index)
    try:
        hashes = pd.util.hash_pandas_object(df, index=False)
    except TypeError:  # unhashable cells (lists...)
        return df.astype("str").duplicated()
    candidates = hashes.duplicated(keep=False).to_numpy()
    result = np.zeros(len(df), dtype=bool)
    if candidates.any():
        result[candidates] = df.loc[candidates].duplicated().to_numpy()  # exact check, no hash collisions
    return pd.Series(result, index=df.index)


def count_duplicated(df: pd.DataFrame) -> int:
    """How many rows repeat an earlier row exactly (the Data page's "Duplicate rows")."""
    return int(find_duplicated(df).sum())


def _filter_rows(df: pd.DataFrame, params: dict) -> OpResult:
    column, op = params["column"], params["operator"]
    if column not in df.columns:
        return skip_absent(df, column)
    keep = get_filter_mask(df[column], op, params.get("value"))
    removed = int((~keep).sum())
    condition = _condition_words(column, op, params.get("value"))
    if not removed:
        return OpResult(df, _("No row removed: every row has {condition}.").format(condition=condition))
    left = len(df) - removed
    summary = _("Kept rows where {condition}: removed {removed} of {rows} rows ({share}).").format(
        condition=condition,
        removed=format_count(removed),
        rows=format_count(len(df)),
        share=f"{100 * removed / max(len(df), 1):.1f}%",
    )
    if not left:
        summary += " " + _("No rows are left; check the condition.")
    return OpResult(keep_rows(df, keep), summary)


_COMPARE = {
    "==": _operator.eq,
    "!=": _operator.ne,
    "<": _operator.lt,
    "<=": _operator.le,
    ">": _operator.gt,
    ">=": _operator.ge,
}


def get_filter_mask(s: pd.Series, op: str, value: Any = None) -> np.ndarray:
    """Rows to keep. A missing value never satisfies ==, <, <=, >, >=, in; it does satisfy != and
    not_in (it is not equal to anything); is_missing / not_missing decide on it explicitly.

    No eval/query strings: the operator is looked up in a fixed table, the value is coerced to
    the column's type (ConfigError if it cannot be).
    """
    if op not in FILTER_OPERATORS:
        raise bad_param("operator", "filter_rows", f"one of {', '.join(map(repr, FILTER_OPERATORS))}", op)
    missing = s.isna().to_numpy()
    if op == "is_missing":
        return missing
    if op == "not_missing":
        return ~missing
    if op in ("in", "not_in"):
        values = [_coerce_filter_value(s, v) for v in value]
        inside = s.isin(values).to_numpy(dtype=bool, na_value=False) & ~missing
        return inside if op == "in" else ~inside
    if op in ("<", "<=", ">", ">=") and pd.api.types.is_bool_dtype(s):
        raise bad_param("operator", "filter_rows", f"'==' or '!=' for the true/false column {s.name!r}", op)
    target = _coerce_filter_value(s, value)
    plain = as_plain_text(s) if is_text(s) else s
    try:
        result = _COMPARE["==" if op == "!=" else op](plain, target)
    except TypeError:
        raise bad_param("value", "filter_rows", f"comparable with the values of {s.name!r}", value) from None
    hit = np.asarray(pd.Series(result).fillna(False).to_numpy(dtype=bool)) & ~missing
    return ~hit if op == "!=" else hit


def _coerce_filter_value(s: pd.Series, value: Any) -> Any:
    column = s.name
    if pd.api.types.is_bool_dtype(s):
        flag = parse_bool_value(value)
        if flag is None:
            raise bad_param("value", "filter_rows", f"true or false for the true/false column {column!r}", value)
        return flag
    if is_number(s):
        try:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        except (TypeError, ValueError):
            raise bad_param("value", "filter_rows", f"a number for the numeric column {column!r}", value) from None
    if pd.api.types.is_datetime64_any_dtype(s):
        return as_timestamp(s, value, column, "filter_rows")
    return str(value)


def _drop_missing_target(df: pd.DataFrame, params: dict) -> OpResult:
    column = params["column"]
    if column not in df.columns:
        return OpResult(df, _("Skipped: the target {column} is not in this table.").format(column=column), skipped=True)
    missing = df[column].isna().to_numpy()
    removed = int(missing.sum())
    if not removed:
        return OpResult(df, _("No row is missing the target {column}.").format(column=column))
    return OpResult(
        keep_rows(df, ~missing),
        ngettext(
            "Removed {n} row where the target {column} is missing.",
            "Removed {n} rows where the target {column} is missing.",
            removed,
        ).format(n=format_count(removed), column=column),
    )


def _describe_bounds(verb: str, p: dict) -> str:
    lower, upper = p.get("lower"), p.get("upper")
    how = ""
    method = p.get("method")
    if method in OUTLIER_METHODS:
        k = format_param(p.get("k", OUTLIER_METHODS[method]))
        how = " " + (
            _("({k} × IQR fences)") if method == "iqr" else _("({k} standard deviations from the mean)")
        ).format(k=k)
    if verb == "clip":
        where = (
            _("the range {range}").format(range=range_words(lower, upper))
            if lower is not None and upper is not None
            else _("at least {value}").format(value=format_param(lower))
            if lower is not None
            else _("at most {value}").format(value=format_param(upper))
        )
        return _("Clip {column} to {where}").format(column=p["column"], where=where) + how
    where = (
        _("outside {range}").format(range=range_words(lower, upper))
        if lower is not None and upper is not None
        else _("below {value}").format(value=format_param(lower))
        if lower is not None
        else _("above {value}").format(value=format_param(upper))
    )
    return _("Drop rows with {column} {where}").format(column=p["column"], where=where) + how


def _describe_dedupe(p: dict) -> str:
    subset = p.get("subset", p.get("columns"))
    if subset is None:
        return _("Drop duplicate rows")
    return _("Drop rows repeating the {columns} of an earlier row").format(
        columns=name_list([subset] if isinstance(subset, str) else subset)
    )


def _condition_words(column: str, op: str, value: Any) -> str:
    if op == "is_missing":
        return _("{column} is missing").format(column=column)
    if op == "not_missing":
        return _("{column} is not missing").format(column=column)
    if op in ("in", "not_in"):
        values = ", ".join(format_param(v) for v in value[:5]) + (", …" if len(value) > 5 else "")
        sentence = _("{column} is one of {values}") if op == "in" else _("{column} is not one of {values}")
        return sentence.format(column=column, values=values)
    return f"{column} {op} {format_param(value)}"


ROW_OP_LABELS = {
    "drop_duplicates": N_("drop duplicate rows"),
    "drop_outlier_rows": N_("drop rows with impossible values"),
    "drop_missing_target": N_("drop rows without a target"),
    "filter_rows": N_("filter rows"),
}


ROW_OPS: dict[str, OpSpec] = {
    "clip_outliers": OpSpec(_clip_outliers, _validate_bounds, lambda p: _describe_bounds("clip", p)),
    "drop_outlier_rows": OpSpec(_drop_outlier_rows, _validate_bounds, lambda p: _describe_bounds("drop", p), True),
    "drop_duplicates": OpSpec(_drop_duplicates, _validate_drop_duplicates, _describe_dedupe, True),
    "filter_rows": OpSpec(
        _filter_rows,
        _validate_filter,
        lambda p: _("Keep rows where {condition}").format(
            condition=_condition_words(p["column"], p["operator"], p.get("value"))
        ),
        True,
    ),
    "drop_missing_target": OpSpec(
        _drop_missing_target,
        _validate_target,
        lambda p: _("Drop rows without a value for the target {column}").format(column=p["column"]),
        True,
    ),
}
