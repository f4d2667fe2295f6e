"""What every cleaning op shares: the result an op returns (`OpResult`), the entry an op has in the
registry (`OpSpec`: apply + validate + describe), the parameter checks whose messages all read
"The 'x' of <op> must be …; got … instead.", reading a typed value as a column's type, and the
small helpers the ops' summaries are worded with. A module of its own so each family of ops
(ops_columns, ops_text, ops_missing, ops_rows) depends on it and on none of the others.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from core.formatting import format_param
from core.i18n import _
from core.workspace.errors import ConfigError


class OpResult(NamedTuple):
    """What an op returns: the table, its summary, cells changed, and whether it was skipped."""

    df: pd.DataFrame
    summary: str
    changed: int = 0
    skipped: bool = False


@dataclass(frozen=True)
class OpSpec:
    apply: Callable[[pd.DataFrame, dict], OpResult]
    validate: Callable[[dict, str], None]
    describe: Callable[[dict], str]
    removes_rows: bool = False


def bad_param(key: str, op: str, must: str, got: Any) -> ConfigError:
    return ConfigError(
        _("The '{key}' of {op} must be {must}; got {value} instead.").format(key=key, op=op, must=must, value=repr(got))
    )


def check_column(params: dict, op: str, key: str = "column") -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise bad_param(key, op, "a column name", value)
    return value


def check_columns(params: dict, op: str, key: str = "columns") -> list[str]:
    columns = params.get(key)
    if isinstance(columns, str) and columns:
        columns = [columns]
    if not isinstance(columns, (list, tuple)) or not columns or not all(isinstance(c, str) and c for c in columns):
        raise bad_param(key, op, "a non-empty list of column names", columns)
    return list(columns)


def check_choice(params: dict, key: str, choices: tuple, op: str, default: Any) -> Any:
    value = params.get(key, default)
    if value not in choices:
        raise bad_param(key, op, f"one of {', '.join(map(repr, choices))}", value)
    return value


def check_number(params: dict, key: str, op: str) -> float | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise bad_param(key, op, "a number or null", value)
    return float(value)


def check_mapping(params: dict, op: str, what: str) -> dict[str, str]:
    mapping = params.get("mapping")
    if (
        not isinstance(mapping, dict)
        or not mapping
        or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in mapping.items())
    ):
        raise bad_param("mapping", op, f"a non-empty object {{{what}}} of names", mapping)
    return mapping


def validate_columns(params: dict, op: str) -> None:
    check_columns(params, op)


TRUE_SPELLINGS = frozenset({"yes", "y", "true", "t", "1", "1.0", "si", "sí", "ja", "j", "oui", "x", "on"})
FALSE_SPELLINGS = frozenset({"no", "n", "false", "f", "0", "0.0", "nein", "non", "", "off"})


def parse_bool_value(value: Any) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    key = str(value).strip().casefold()
    return True if key in TRUE_SPELLINGS else False if key in FALSE_SPELLINGS else None


def as_timestamp(s: pd.Series, value: Any, column: str, op: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
        if pd.isna(stamp) or isinstance(value, (bool, int, float)):
            raise ValueError
    except (ValueError, TypeError):
        raise bad_param("value", op, f"a date such as '2024-01-31' for the date column {column!r}", value) from None
    if s.dt.tz is not None and stamp.tzinfo is None:
        stamp = stamp.tz_localize(s.dt.tz)
    elif s.dt.tz is None and stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return stamp


def with_column(df: pd.DataFrame, column: str, values: Any) -> pd.DataFrame:
    """A new frame with one column replaced (copy-on-write: the other columns are shared)."""
    out = df.copy(deep=False)
    out[column] = values
    return out


def keep_rows(df: pd.DataFrame, keep: np.ndarray | pd.Series) -> pd.DataFrame:
    return df[np.asarray(keep, dtype=bool)]


def is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def as_plain_text(s: pd.Series) -> pd.Series:
    """Category columns as text, so new labels ("Other", a canonical spelling) can be written."""
    return s.astype("str").where(s.notna()) if isinstance(s.dtype, pd.CategoricalDtype) else s


def map_text_values(s: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a text transform once per distinct value (columns repeat values a lot); non-text cells stay."""
    codes, uniques = pd.factorize(as_plain_text(s), use_na_sentinel=True)
    u = pd.Series(uniques)
    if pd.api.types.is_object_dtype(u):
        is_str = u.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        new = u.copy()
        if is_str.any():
            new[is_str] = fn(u[is_str].astype("str")).astype(object).to_numpy()
    else:
        new = fn(u)
    values = new.array.take(codes, allow_fill=True)
    return pd.Series(values, index=s.index, name=s.name)


def skip_absent(df: pd.DataFrame, column: str) -> OpResult:
    return OpResult(df, _("Skipped: column {column} is not in this table.").format(column=column), skipped=True)


def absent_note(absent: list[str]) -> str:
    if not absent:
        return ""
    return " " + _("Skipped {columns}: not in this table.").format(columns=name_list(absent))


def examples_text(values: pd.Series, n: int = 3) -> str:
    """ "'n/a', 'abc'": the most frequent of the offending values."""
    counts = values.astype("str").value_counts()
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]  # ties alphabetically: stable wording
    return ", ".join(repr(str(v)) for v, _ in top)


def count_words(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def range_words(lower: float | None, upper: float | None) -> str:
    if lower is not None and upper is not None:
        return _("{low} to {high}").format(low=format_param(lower), high=format_param(upper))
    if lower is not None:
        return _("{low} and above").format(low=format_param(lower))
    return _("up to {high}").format(high=format_param(upper))


def name_list(names: Any) -> str:
    return ", ".join(str(n) for n in names)


def as_sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def first_lower(text: str) -> str:
    """ "Drop duplicate rows" -> "drop duplicate rows" (column names later in the text keep their case)."""
    return text[:1].lower() + text[1:]


def native_value(value: Any) -> Any:
    """JSON-friendly Python value (no numpy scalars, integral floats as ints)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
