"""The fitted preprocessing compiled to numpy: the same numbers as scikit-learn's ``transform``,
without its per-call checks and per-column pandas work, so one row costs microseconds.

`compile_preprocessor` reads the learned state of the ColumnTransformer that
``core.features.preprocessing.build_preprocessor`` makes (imputers, scalers, log, one-hot or
ordinal codes, date parts) into plain arrays, then checks the compiled output equal to
scikit-learn's on reference rows (every category, an unseen one, missing values, numbers around
the learned statistics, dates) — same width, same column order, ``np.allclose``. A step it does not
know, or any mismatch, gives a `Fallback` instead, whose ``reason`` says why: the served model then
keeps scikit-learn for that version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler

from core.data.dates import parse_datetimes
from core.features.preprocessing import DateParts, category_text, safe_log1p, to_float_frame, to_text_frame

Table: TypeAlias = "pd.DataFrame | dict[str, np.ndarray]"  # a table, or its columns as arrays
_UNKNOWN = "\x00unseen category\x00"  # a category no training table holds
_FEW_ROWS = 16


@dataclass(frozen=True)
class Fallback:
    """The preprocessing could not be compiled; ``reason`` says what (scikit-learn keeps serving)."""

    reason: str


@dataclass(frozen=True)
class _Numbers:
    """Numbers (or date parts) -> impute -> optional log1p -> affine scaling, column-wise."""

    columns: list[str]
    fill: np.ndarray
    log: bool
    scale: np.ndarray  # out = (x + shift) * scale
    shift: np.ndarray
    clip: tuple[float, float] | None  # MinMaxScaler(clip=True)
    dates: bool = False
    with_hour: bool = False

    def apply(self, X: Table) -> np.ndarray:
        if self.dates:
            values = _date_parts(X[self.columns[0]], self.with_hour)
        else:
            values = _as_floats(X, self.columns)
        values = np.where(np.isnan(values), self.fill, values)
        if self.log:
            values = np.log1p(np.clip(values, 0, None))
        values = (values + self.shift) * self.scale
        if self.clip is not None:
            values = np.clip(values, *self.clip)
        return values


@dataclass(frozen=True)
class _Categories:
    """Per column: text -> row of a small table (its one-hot block, or its ordinal code)."""

    columns: list[str]
    lookups: list[dict[str, int]]  # category text -> row of the table; anything else -> the last row
    tables: list[np.ndarray]

    def apply(self, X: Table) -> np.ndarray:
        blocks = []
        for column, lookup, table in zip(self.columns, self.lookups, self.tables):
            # Each distinct value once, as to_text_frame writes it (missing -> the imputer's "missing").
            values = X[column]
            if len(values) <= _FEW_ROWS:  # a few rows: each cell once is cheaper than factorizing
                uniques = values if isinstance(values, np.ndarray) else values.to_numpy(dtype=object)
                codes = np.arange(len(uniques))
                codes[pd.isna(uniques)] = -1
            else:
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
            unknown = len(table) - 1
            texts = [category_text(u) for u in np.asarray(uniques, dtype=object).tolist()] + ["missing"]
            rows = np.array([lookup.get(t, unknown) for t in texts], dtype=int)
            blocks.append(table[rows[codes]])
        return np.hstack(blocks) if blocks else np.empty((len(X), 0))


class CompiledTransform:
    """The compiled preprocessor: ``transform(X)`` -> float64 array, as the ColumnTransformer's."""

    def __init__(self, parts: list[_Numbers | _Categories], width: int):
        self.parts = parts
        self.width = width

    def transform(self, X: Table) -> np.ndarray:
        """X: the model's input table, or its columns as arrays (the fast reader's: numbers as
        float64, dates as datetime64[us], categories as objects)."""
        blocks = [part.apply(X) for part in self.parts]
        return np.hstack(blocks) if blocks else np.empty((_height(X), 0))


def compile_preprocessor(preprocess: Any, reference: pd.DataFrame) -> CompiledTransform | Fallback:
    """The fitted preprocessing as numpy, checked equal to scikit-learn on ``reference`` rows (the
    model's input table: numbers as floats, dates as datetimes, categories as sent) and on rows
    made from the learned state. A Fallback says why when it cannot be."""
    step = preprocess
    if isinstance(step, Pipeline):
        if len(step.steps) != 1:
            return Fallback(f"the preprocessing has {len(step.steps)} steps; one ColumnTransformer is compiled")
        step = step.steps[0][1]
    if not isinstance(step, ColumnTransformer):
        return Fallback(f"the preprocessing is a {type(step).__name__}, not a ColumnTransformer")
    parts: list[_Numbers | _Categories] = []
    try:
        for name, transformer, columns in step.transformers_:
            if isinstance(transformer, str) and transformer == "drop" or len(np.atleast_1d(columns)) == 0:
                continue
            if not all(isinstance(c, str) for c in np.atleast_1d(columns)):
                return Fallback(f"step '{name}' selects columns by position")
            parts.append(_compile_step(name, transformer, [str(c) for c in np.atleast_1d(columns)]))
    except _NotCompilable as exc:
        return Fallback(str(exc))
    compiled = CompiledTransform(parts, 0)
    checks = pd.concat([reference, _probe_rows(parts, reference)], ignore_index=True)
    try:
        expected = np.asarray(_dense(step.transform(checks)), dtype=float)
        got = compiled.transform(checks)
    except (ValueError, TypeError, KeyError) as exc:
        return Fallback(f"the check rows could not be transformed ({type(exc).__name__}: {exc})")
    if got.shape != expected.shape:
        return Fallback(f"the compiled output has {got.shape[1]} columns, scikit-learn's {expected.shape[1]}")
    if not np.allclose(got, expected, rtol=1e-9, atol=1e-9, equal_nan=True):
        column = int(np.flatnonzero(~np.isclose(got, expected, rtol=1e-9, atol=1e-9, equal_nan=True).all(axis=0))[0])
        return Fallback(f"the compiled output differs from scikit-learn's in output column {column}")
    compiled.width = got.shape[1]
    return compiled


class _NotCompilable(Exception):
    pass


def _compile_step(name: str, transformer: Any, columns: list[str]) -> _Numbers | _Categories:
    steps = [s for _, s in transformer.steps] if isinstance(transformer, Pipeline) else [transformer]
    steps = [s for s in steps if not (isinstance(s, str) and s == "passthrough") and s is not None]
    dates = bool(steps) and isinstance(steps[0], DateParts)
    if dates or (steps and _function(steps[0]) is to_float_frame):
        return _compile_numbers(name, steps[1:], columns, steps[0] if dates else None)
    if steps and _function(steps[0]) is to_text_frame:
        return _compile_categories(name, steps[1:], columns)
    raise _NotCompilable(f"step '{name}' starts with {type(steps[0]).__name__ if steps else 'nothing'}")


def _function(step: Any) -> Any:
    return step.func if isinstance(step, FunctionTransformer) else None


def _compile_numbers(name: str, steps: list[Any], columns: list[str], parts: DateParts | None) -> _Numbers:
    width = len(columns) * (len(parts.get_feature_names_out()) if parts is not None else 1)
    if parts is not None and len(columns) != 1:
        raise _NotCompilable(f"step '{name}' makes date parts of {len(columns)} columns at once")
    fill, log = np.full(width, np.nan), False  # no imputer: missing stays missing, as in scikit-learn
    scale, shift, clip = np.ones(width), np.zeros(width), None
    for step in steps:
        if isinstance(step, SimpleImputer) and not log and np.all(scale == 1):
            if not _imputes_nan(step):
                raise _NotCompilable(f"step '{name}' imputes {step.missing_values!r}, not missing values")
            fill = np.asarray(step.statistics_, dtype=float)
        elif _function(step) is safe_log1p and np.all(scale == 1):
            log = True
        elif isinstance(step, StandardScaler):
            shift = -np.asarray(step.mean_, dtype=float) if step.mean_ is not None else shift
            scale = 1 / np.asarray(step.scale_, dtype=float) if step.scale_ is not None else scale
        elif isinstance(step, MinMaxScaler):
            # sklearn: x * scale_ + min_  ==  (x + min_ / scale_) * scale_ (scale_ is never 0)
            scale = np.asarray(step.scale_, dtype=float)
            shift = np.asarray(step.min_, dtype=float) / scale
            low, high = step.feature_range
            clip = (float(low), float(high)) if step.clip else None
        else:
            raise _NotCompilable(f"step '{name}' has a {type(step).__name__}, which is not compiled")
    with_hour = bool(getattr(parts, "with_hour_", False))
    return _Numbers(columns, fill, log, scale, shift, clip, dates=parts is not None, with_hour=with_hour)


def _imputes_nan(imputer: SimpleImputer) -> bool:
    missing = imputer.missing_values
    return missing is None or (isinstance(missing, float) and np.isnan(missing)) or missing is pd.NA


def _compile_categories(name: str, steps: list[Any], columns: list[str]) -> _Categories:
    if len(steps) != 2 or not isinstance(steps[0], SimpleImputer) or steps[0].strategy != "constant":
        raise _NotCompilable(f"step '{name}' is not text -> fill 'missing' -> encode")
    if steps[0].fill_value != "missing" or not _imputes_nan(steps[0]):
        raise _NotCompilable(f"step '{name}' fills missing categories with {steps[0].fill_value!r}")
    encoder = steps[1]
    if isinstance(encoder, OneHotEncoder):
        widths = list(getattr(encoder, "_n_features_outs", []))
    elif isinstance(encoder, OrdinalEncoder):
        widths = [1] * len(encoder.categories_)
    else:
        raise _NotCompilable(f"step '{name}' encodes with a {type(encoder).__name__}")
    if len(widths) != len(columns):
        raise _NotCompilable(f"step '{name}' does not say how wide each column's output is")
    # Each column's table: the encoder's own output for every category it knows, then an unseen one.
    known = [[str(c) for c in categories] for categories in encoder.categories_]
    height = max(len(k) for k in known) + 1
    probe = np.empty((height, len(columns)), dtype=object)
    for j, categories in enumerate(known):
        values = categories + [_UNKNOWN]
        probe[:, j] = [values[min(i, len(values) - 1)] for i in range(height)]
    names = getattr(encoder, "feature_names_in_", None)
    encoded = np.asarray(
        _dense(encoder.transform(pd.DataFrame(probe, columns=list(names)) if names is not None else probe)), dtype=float
    )
    offsets = np.cumsum([0] + widths)
    lookups, tables = [], []
    for j, categories in enumerate(known):
        block = encoded[:, offsets[j] : offsets[j + 1]]
        lookups.append({c: i for i, c in enumerate(categories)})
        tables.append(np.vstack([block[: len(categories)], block[len(categories)]]))
    return _Categories(columns, lookups, tables)


def _height(X: Table) -> int:
    return len(next(iter(X.values()))) if isinstance(X, dict) else len(X)


def _as_floats(X: Table, columns: list[str]) -> np.ndarray:
    """The columns as a float64 matrix (what to_float_frame gives), a column at a time."""
    if isinstance(X, dict):
        return np.column_stack([X[c] for c in columns])
    if all(pd.api.types.is_float_dtype(X[c].dtype) for c in columns):
        return np.column_stack([X[c].to_numpy() for c in columns]).astype(float, copy=False)
    return np.asarray(to_float_frame(X[columns]), dtype=float)


def _date_parts(values: pd.Series | np.ndarray, with_hour: bool) -> np.ndarray:
    """DateParts' numbers (year, month, day of week with Monday 0, days since 1970, hour) in numpy."""
    if isinstance(values, np.ndarray):
        stamps = values.astype("datetime64[us]")
    else:
        stamps = parse_datetimes(values).to_numpy(dtype="datetime64[us]")
    missing = np.isnat(stamps)
    micros = stamps.astype("int64")
    days = np.floor_divide(micros, 86_400_000_000)
    parts = [
        stamps.astype("datetime64[Y]").astype("int64") + 1970,
        stamps.astype("datetime64[M]").astype("int64") % 12 + 1,
        (days + 3) % 7,  # 1970-01-01 was a Thursday
        micros / 86_400_000_000,
    ]
    if with_hour:
        parts.append(np.floor_divide(micros, 3_600_000_000) % 24)
    out = np.column_stack(parts).astype(float)
    out[missing] = np.nan
    return out


def _dense(values: Any) -> Any:
    return values.toarray() if hasattr(values, "toarray") else values


def _probe_rows(parts: list[_Numbers | _Categories], reference: pd.DataFrame) -> pd.DataFrame:
    """Rows that visit the learned state: every known category, an unseen one and a missing one;
    numbers at, around and far from the learned statistics, and missing; dates and a missing date."""
    values: dict[str, list[Any]] = {}
    for part in parts:
        if isinstance(part, _Categories):
            for column, lookup in zip(part.columns, part.lookups):
                values[column] = [*lookup, "never seen", None]
        elif part.dates:
            values[part.columns[0]] = [pd.Timestamp("2020-02-29 13:45"), pd.Timestamp("1999-12-31"), pd.NaT]
        else:
            for i, column in enumerate(part.columns):
                centre = float(part.fill[i])
                values[column] = [centre, centre + 1.5, -centre - 2.25, 0.0, 1e6, np.nan]
    height = max((len(v) for v in values.values()), default=0)
    rows = {c: [v[i % len(v)] for i in range(height)] for c, v in values.items()}
    probe = pd.DataFrame({c: rows.get(c, [None] * height) for c in reference.columns})
    for column in reference.columns:  # keep the reference's types where they are numbers and dates
        kind = reference[column].dtype
        if pd.api.types.is_float_dtype(kind) or pd.api.types.is_datetime64_any_dtype(kind):
            probe[column] = probe[column].astype(kind)
    return probe
