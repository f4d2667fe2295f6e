"""A fast reader for the common request: a few plain JSON rows (dicts of text, numbers, true/false and
null), read into the model's input table without the pandas passes of ``ServedModel.read``.

It never decides anything the general reader would decide differently; it only takes the rows it
can prove need nothing the general reader does:

- the cleaning recipe is a no-op for these rows (each step checked on the values: a category
  already in its canonical spelling, no missing value to impute, no number to clip, no stray space,
  no column to drop, rename or convert; steps that remove rows never run on new data);
- every numeric input holds whole or finite numbers or null; dates are text or null and all read
  as dates; no row is blank in every input; every input column is sent, in every row.

Anything else (a missing value an impute step fills, text in a number, an unseen spelling, a list,
NaN, a recipe step it does not know) returns None, and the general reader answers. A unit test runs
both on many generated bodies and holds their answers identical.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from core.data.cleaning.ops import OP_SPECS
from core.data.cleaning.ops_text import SPACE_RUN
from core.data.columns import normalize_spelling
from core.deployment.date_formats import parse_dates

FAST_ROWS = 64  # bigger batches: the general reader's column passes are cheaper than a pass per cell
_PLAIN = (str, int, float, bool, type(None))
_SPACE_RUN = re.compile(SPACE_RUN)
_LARGEST_INT = 2**63
_MEMO = 4096  # values remembered per recipe step

Check = Callable[[dict[str, list[Any]]], bool]


class FastReader:
    """Built once per served model; ``read(rows)`` is the input table, or None (the general reader
    must answer). ``reason`` says why it never applies to this model (None when it can)."""

    def __init__(
        self,
        recipe: Any,
        input_columns: list[str],
        input_kinds: dict[str, str],
        required_columns: list[str],
        date_formats: dict[str, str] | None = None,
    ):
        self.input_columns = input_columns
        self.date_formats = date_formats or {}  # a date column's format from the upload, besides ISO
        self.input_kinds = input_kinds
        self.required = required_columns
        self.reason: str | None = None
        self._parsed: dict[tuple[str, str | None], np.datetime64] = {}
        self.checks: list[Check] = []
        for step in recipe.steps if recipe is not None else ():
            spec = OP_SPECS.get(step.op)
            if spec is not None and spec.removes_rows:
                continue  # never run on new data
            check = _step_check(step.op, dict(step.params), input_kinds)
            if check is None:
                self.reason = f"the recipe step {step.op} is not read fast"
                return
            self.checks.append(check)

    def read(self, rows: list[Any]) -> dict[str, np.ndarray] | None:
        """The model's input table as arrays (numbers float64, dates datetime64[us], other inputs
        objects as a table of these rows holds them), or None when the general reader must read."""
        if self.reason is not None or not self.input_columns or not 0 < len(rows) <= FAST_ROWS:
            return None
        columns = _columns(rows)
        if columns is None or any(c not in columns for c in self.required):
            return None
        if not all(check(columns) for check in self.checks):
            return None
        n = len(rows)
        blank = np.ones(n, dtype=bool)
        table: dict[str, np.ndarray] = {}
        for column in self.input_columns:
            values = columns.get(column)
            kind = self.input_kinds.get(column)
            if values is None:
                table[column] = np.full(n, np.nan)
                continue
            if kind == "numeric":
                read = _numbers(values)
                if column in self.required and read is not None:
                    blank &= np.isnan(read)
            else:
                if column in self.required:
                    blank &= [v is None or (type(v) is str and not v.strip()) for v in values]
                read = self._dates(values, self.date_formats.get(column)) if kind == "datetime" else _objects(values)
            if read is None:
                return None
            table[column] = read
        return None if blank.any() else table

    def _dates(self, values: list[Any], fmt: str | None = None) -> np.ndarray | None:
        """Date text as datetime64[us] (each distinct text parsed once, as the general reader parses
        it: ISO, else ``fmt``), or None when a value is not plain date text (spaces around it, blank,
        not a date)."""
        out = np.empty(len(values), dtype="datetime64[us]")
        for i, v in enumerate(values):
            if v is None:
                out[i] = np.datetime64("NaT")
                continue
            if type(v) is not str or not v or v[0].isspace() or v[-1].isspace():
                return None
            stamp = self._parsed.get((v, fmt))
            if stamp is None:
                stamp = parse_dates(pd.Series([v], dtype=object), fmt).to_numpy(dtype="datetime64[us]")[0]
                if len(self._parsed) < _MEMO:
                    self._parsed[(v, fmt)] = stamp
            if np.isnat(stamp):
                return None
            out[i] = stamp
        return out


def _columns(rows: list[Any]) -> dict[str, list[Any]] | None:
    """The rows as columns when every row is a dict with the same text keys and plain values."""
    first = rows[0]
    if type(first) is not dict:
        return None
    keys = first.keys()
    for row in rows:
        if type(row) is not dict or row.keys() != keys:
            return None
    columns: dict[str, list[Any]] = {}
    for key in keys:
        if type(key) is not str:
            return None
        values = [row[key] for row in rows]
        for v in values:
            t = type(v)
            if t not in _PLAIN or (t is float and not math.isfinite(v)) or (t is int and abs(v) >= _LARGEST_INT):
                return None
        columns[key] = values
    return columns


def _numbers(values: list[Any]) -> np.ndarray | None:
    """A numeric input's values as floats (null as NaN), or None if any is not a number."""
    if not all(type(v) in (int, float) or v is None for v in values):
        return None
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _objects(values: list[Any]) -> np.ndarray:
    """A category input's values as a table of these rows holds them (text as it is, null as None;
    a column of numbers or true/false as pandas reads it)."""
    if all(type(v) is str or v is None for v in values):
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return pd.Series(values).to_numpy(dtype=object)


def _numeric_dtype(values: list[Any]) -> bool:
    """Whether a table of these values would hold the column as numbers (ints and floats, not all null)."""
    present = [v for v in values if v is not None]
    return bool(present) and all(type(v) in (int, float) for v in present)


def _step_check(op: str, params: dict[str, Any], input_kinds: dict[str, str]) -> Check | None:
    """A test that the step leaves these rows as they are, or None for a step not read fast."""
    names = params.get("columns", params.get("column"))
    named = [names] if isinstance(names, str) else list(names or [])
    if op in ("drop_columns", "to_boolean", "to_datetime"):
        return lambda columns: not any(c in columns for c in named)
    if op == "rename_columns":
        old = list(params.get("mapping") or {})
        return lambda columns: not any(c in columns for c in old)
    if op == "to_numeric":
        if any(input_kinds.get(c, "numeric") != "numeric" for c in named):
            return None
        return lambda columns: all(
            all(type(v) in (int, float) or v is None for v in columns[c]) for c in named if c in columns
        )
    if op == "trim_whitespace":
        return lambda columns: all(all(_trimmed(v) for v in columns[c]) for c in named if c in columns)
    if op == "impute":
        if params.get("strategy", "median") == "indicator":
            return None
        column = params["column"]
        return lambda columns: column not in columns or all(v is not None for v in columns[column])
    if op == "clip_outliers":
        return _clip_check(params)
    if op == "unify_categories":
        return _unify_check(params)
    if op == "group_rare":
        return _group_rare_check(params)
    return None


def _trimmed(value: Any) -> bool:
    """A cell trim_whitespace leaves as it is (not text, or text with no stray space and not blank)."""
    if type(value) is not str:
        return True
    return bool(value) and not value[0].isspace() and not value[-1].isspace() and not _SPACE_RUN.search(value)


def _clip_check(params: dict[str, Any]) -> Check:
    column, lower, upper = params["column"], params.get("lower"), params.get("upper")

    def check(columns: dict[str, list[Any]]) -> bool:
        values = columns.get(column)
        if values is None or not _numeric_dtype(values):
            return True  # absent, or not numbers: the step skips it
        numbers = [float(v) for v in values if v is not None]
        return not any((lower is not None and x < lower) or (upper is not None and x > upper) for x in numbers)

    return check


def _unify_check(params: dict[str, Any]) -> Check:
    column, mapping = params["column"], params.get("mapping") or {}
    canonical_by_key = {normalize_spelling(c): str(c) for c in mapping.values()}
    kept: dict[str, bool] = {}

    def unchanged(text: str) -> bool:
        found = kept.get(text)
        if found is None:
            target = mapping.get(text) or canonical_by_key.get(normalize_spelling(text))
            found = target is None or target == text
            if len(kept) < _MEMO:
                kept[text] = found
        return found

    def check(columns: dict[str, list[Any]]) -> bool:
        values = columns.get(column)
        return values is None or all(v is None or unchanged(str(v)) for v in values)

    return check


def _group_rare_check(params: dict[str, Any]) -> Check | None:
    keep = params.get("keep")
    if keep is None:  # learned from the table it runs on
        return None
    column, label = params["column"], params.get("other_label", "Other")
    allowed = frozenset([*keep, label])

    def check(columns: dict[str, list[Any]]) -> bool:
        values = columns.get(column)
        if values is None or _numeric_dtype(values):
            return True
        present = [v for v in values if v is not None]
        if present and all(type(v) is bool for v in present):
            return len(present) == len(values)  # true/false only: the step skips it
        return all(type(v) is str and v in allowed for v in present)

    return check
