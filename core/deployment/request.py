"""Reading a request: a table of raw rows as a client sends them (a DataFrame, or JSON rows), and
what can be wrong with it, as ``InputProblem``s a client can act on. Pure functions of the rows and
nothing else, so any front door (the simulated endpoint today, an HTTP endpoint later) reads a
request the same way; ``ServedModel.read`` adds the checks that need the model's input schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.data.dates import parse_datetimes
from core.deployment.date_formats import date_example, parse_dates
from core.workspace.errors import RequestError

# What can be wrong with a request as a whole, and with a value of one row: a value the model cannot
# take (the row gets an error), or one that breaks a rule learned from training (the row is scored,
# flagged, rejected or sent for review, as the deployment's validation policy says).
REQUEST_PROBLEMS = ("not_a_table", "not_a_row", "duplicate_column", "no_rows", "missing_column")
RULE_PROBLEMS = ("below_min", "above_max", "unknown_category", "missing_value")
ROW_PROBLEMS = (
    "not_a_single_value",
    "not_a_number",
    "not_finite",
    "too_large",
    "not_a_date",
    "no_inputs",
    *RULE_PROBLEMS,
)
_SHOWN_CHARS = 40


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with a request: which row (its position; None for the whole request), which
    column (None for the whole row), what (one of REQUEST_PROBLEMS or ROW_PROBLEMS), the value as
    text (shortened; None when there is none), and one sentence saying what to send instead."""

    row: int | None
    column: str | None
    problem: str
    value: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_request(rows: Any) -> pd.DataFrame:
    """A request as a table with text column names: a DataFrame as it is (its index names the rows),
    or JSON rows (a list of {column: value} objects, numbered from 0). Raises RequestError when it
    is not a table, names a column twice or has no rows."""
    if isinstance(rows, (list, tuple)):
        not_rows = [
            InputProblem(
                i,
                None,
                "not_a_row",
                shown_value(row),
                f"Row {i} must be an object of column: value pairs; got {type_words(row)} instead.",
            )
            for i, row in enumerate(rows)
            if not isinstance(row, Mapping)
        ]
        if not_rows:
            raise RequestError(not_rows)
        rows = pd.DataFrame.from_records([dict(row) for row in rows]) if rows else pd.DataFrame()
    if not isinstance(rows, pd.DataFrame):
        raise RequestError(
            [
                InputProblem(
                    None,
                    None,
                    "not_a_table",
                    shown_value(rows),
                    "The request must be a table: a list of rows, each an object of column: "
                    f"value pairs; got {type_words(rows)} instead.",
                )
            ]
        )
    if len(rows) and rows.columns.is_unique and all(type(c) is str for c in rows.columns):
        return rows  # already a table with text names (the usual request)
    names = pd.Index([str(c) for c in rows.columns])
    if names.has_duplicates:
        counts = names.value_counts()
        raise RequestError(
            [
                InputProblem(
                    None,
                    name,
                    "duplicate_column",
                    None,
                    f"The column {name!r} is sent {counts[name]} times; send each column once.",
                )
                for name in dict.fromkeys(names[names.duplicated()])
            ]
        )
    if len(rows) == 0:
        raise RequestError(
            [InputProblem(None, None, "no_rows", None, "The request has no rows; send at least one row.")]
        )
    return rows.set_axis(list(names), axis=1)


def structured_cells(values: pd.Series) -> np.ndarray:
    """Cells holding a list, a mapping or a set (JSON arrays and objects), not one value."""
    if not pd.api.types.is_object_dtype(values):
        return np.zeros(len(values), dtype=bool)
    return np.fromiter((pd.api.types.is_list_like(v) for v in values.to_numpy(dtype=object)), bool, len(values))


def infinite_cells(values: pd.Series) -> np.ndarray:
    """Cells that are, or read as, ±infinity ("Infinity", "-inf", 1e400)."""
    if pd.api.types.is_bool_dtype(values):
        return np.zeros(len(values), dtype=bool)
    if pd.api.types.is_numeric_dtype(values):
        return np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
    codes, uniques = pd.factorize(values.mask(structured_cells(values)), use_na_sentinel=True)
    infinite = np.array([_is_infinite(v) for v in uniques], dtype=bool)
    return np.append(infinite, False)[codes]


def _is_infinite(value: Any) -> bool:
    if isinstance(value, (float, np.floating)):
        return bool(np.isinf(value))
    if isinstance(value, str) and value.strip():
        return bool(np.isinf(pd.to_numeric(value.strip(), errors="coerce")))
    return False


def blank_cells(values: pd.Series) -> np.ndarray:
    """Missing cells, and text that is only spaces."""
    blank = values.isna().to_numpy(dtype=bool, copy=True)
    if isinstance(values.dtype, pd.StringDtype):
        blank |= values.str.strip().eq("").fillna(False).to_numpy(dtype=bool)
    elif pd.api.types.is_object_dtype(values):
        text = values.to_numpy(dtype=object)
        blank |= np.fromiter((isinstance(v, str) and not v.strip() for v in text), bool, len(text))
    return blank


def read_numbers(values: pd.Series, column: str, takes_booleans: bool) -> tuple[pd.Series, list[InputProblem]]:
    """A numeric input as float64 (NaN where missing), and the cells that are not a finite number."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        wrong = np.where(np.isinf(numbers), "not_finite", "")
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        read = [_read_number(v, takes_booleans) for v in uniques]
        numbers = np.append(np.array([r[0] for r in read], dtype=float), np.nan)[codes]
        wrong = np.append(np.array([r[1] for r in read], dtype=object), "")[codes]
    problems = []
    raw = values.to_numpy(dtype=object)
    for i in np.flatnonzero(wrong != ""):
        shown = shown_value(raw[i])
        expected = "a finite number" if wrong[i] == "not_finite" else "a number"
        problems.append(
            InputProblem(
                values.index[i],
                column,
                str(wrong[i]),
                shown,
                f"{column} must be {expected}; got {quoted_value(raw[i], shown)} instead.",
            )
        )
    numbers = np.where(wrong != "", np.nan, numbers)
    return pd.Series(numbers, index=values.index, dtype="float64"), problems


def _read_number(value: Any, takes_booleans: bool) -> tuple[float, str]:
    """(the number, '' or the problem) of one distinct value."""
    if isinstance(value, (bool, np.bool_)):
        return (float(value), "") if takes_booleans else (np.nan, "not_a_number")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return np.nan, ""  # a blank is a missing value, which the model fills in
        number = pd.to_numeric(text, errors="coerce")
    elif isinstance(value, (int, float, np.integer, np.floating)):
        try:
            number = float(value)
        except OverflowError:  # a Python int with hundreds of digits
            return np.nan, "not_finite"
    else:  # dates, timedeltas, bytes…
        return np.nan, "not_a_number"
    if np.isnan(number):
        return np.nan, "not_a_number"
    return (np.nan, "not_finite") if np.isinf(number) else (float(number), "")


def read_dates(values: pd.Series, column: str, fmt: str | None = None) -> tuple[pd.Series, list[InputProblem]]:
    """A date input as datetime64 (as the model parses dates: ISO text, UTC, no offset; or text in
    ``fmt``, the format the reader detected for the column at upload), and the cells that are not a date."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return parse_datetimes(values), []
    if isinstance(values.dtype, pd.StringDtype):  # all text (the usual request): parse as a column
        text = values.str.strip()
        dates = parse_dates(text.where(text != ""), fmt)
        bad = (text.notna() & text.ne("") & dates.isna()).to_numpy(dtype=bool)
        return dates, _not_dates(values, column, bad, fmt)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    texts = uniques.map(lambda v: isinstance(v, str))
    dated = uniques.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "isoformat"))
    blank = texts & uniques.map(lambda v: isinstance(v, str) and not v.strip())
    parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[us]")
    readable = (texts & ~blank) | (dated & ~texts)
    if readable.any():
        candidates = uniques[readable].map(lambda v: v.strip() if isinstance(v, str) else v)
        parsed[readable] = parse_dates(candidates.astype(object), fmt).astype("datetime64[us]").to_numpy()
    wrong = (~blank & parsed.isna()).to_numpy(dtype=bool)
    dates = pd.Series(np.append(parsed.to_numpy(), np.datetime64("NaT", "us"))[codes], index=values.index)
    bad = np.append(wrong, False)[codes]
    return dates.where(~bad), _not_dates(values, column, bad, fmt)


def _not_dates(values: pd.Series, column: str, bad: np.ndarray, fmt: str | None = None) -> list[InputProblem]:
    raw = values.to_numpy(dtype=object)
    return [
        InputProblem(
            values.index[i],
            column,
            "not_a_date",
            shown_value(raw[i]),
            f"{column} must be a date such as {date_example(fmt)}; got {quoted_value(raw[i], shown_value(raw[i]))} instead.",
        )
        for i in np.flatnonzero(bad)
    ]


def shown_value(value: Any) -> str:
    """A value as short text for a message: a request may carry a 1 MB string."""
    text = (
        value
        if isinstance(value, str)
        else repr(float(value))
        if isinstance(value, (float, np.floating))
        else str(value)
    )
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def quoted_value(value: Any, shown: str) -> str:
    return repr(shown) if isinstance(value, str) else shown


def type_words(value: Any) -> str:
    """'a list ([1, 2])', 'a number (5)': what was sent, in words."""
    if isinstance(value, Mapping):
        kind = "an object"
    elif isinstance(value, (list, tuple)):
        kind = "a list"
    elif isinstance(value, (set, frozenset)):
        kind = "a set"
    elif isinstance(value, str):
        kind = "text"
    elif isinstance(value, (bool, np.bool_)):
        kind = "true/false"
    elif isinstance(value, (int, float, np.integer, np.floating)):
        kind = "a number"
    else:
        kind = f"a {type(value).__name__}"
    return f"{kind} ({quoted_value(value, shown_value(value))})"
