"""Choosing the row to explain: by its ID, by a readable summary ("row 17: contract month-to-month,
tenure 3, churn Yes") with search, or typed in by hand through a form built from the model's inputs.

Pure functions of frames: the ID column is found with ``core.data.columns.looks_like_id`` (the one
home of "is this column a row's key?"), the form's fields come from the reference rows' types and
values, and ``build_row`` turns what was typed back into a one-row frame with the reference's dtypes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import is_named_like_id, looks_like_id
from core.formatting import format_feature_value
from core.i18n import _
from core.workspace.errors import DataError

SUMMARY_FEATURES = 3  # features named in a row's summary, the most important first
MAX_CATEGORY_OPTIONS = 200  # a text column with more distinct values is typed freely

KIND_NUMBER = "number"
KIND_INTEGER = "integer"
KIND_CATEGORY = "category"
KIND_BOOL = "bool"
KIND_DATE = "date"
KIND_TEXT = "text"


def find_id_column(frame: pd.DataFrame, exclude: tuple[str, ...] | list[str] = ()) -> str | None:
    """The column that is a key of the row (every value different), preferring one named like an ID."""
    candidates = [c for c in frame.columns if c not in exclude and looks_like_id(frame[c])]
    if not candidates:
        return None
    named = [c for c in candidates if is_named_like_id(c)]
    return str((named or candidates)[0])


def get_row_choices_df(
    holdout: pd.DataFrame,
    features: list[str],
    target: str | None = None,
    id_column: str | None = None,
) -> pd.DataFrame:
    """One line per holdout row: its index and a readable label to pick and search it by.

    The label names the row (its ID, else "row N" with N its index), then the first
    ``SUMMARY_FEATURES`` of ``features`` (most important first) and the target's value.
    """
    shown = [f for f in features if f in holdout.columns and f != id_column and f != target][:SUMMARY_FEATURES]
    if target in holdout.columns:
        shown.append(str(target))
    labels = []
    for index, values in zip(holdout.index, holdout[shown].itertuples(index=False, name=None)):
        name = f"{id_column} {format_feature_value(holdout.at[index, id_column])}" if id_column else f"row {index}"
        parts = [f"{column} {format_feature_value(value)}" for column, value in zip(shown, values)]
        labels.append(f"{name}: {', '.join(parts)}" if parts else name)
    return pd.DataFrame({"index": list(holdout.index), "label": labels})


def search_rows(choices: pd.DataFrame, query: str) -> pd.DataFrame:
    """The choices whose label contains every word of ``query`` (case-insensitive); all when empty."""
    words = [w for w in str(query).casefold().split() if w]
    if not words:
        return choices
    labels = choices["label"].str.casefold()
    keep = np.ones(len(choices), dtype=bool)
    for word in words:
        keep &= labels.str.contains(word, regex=False).to_numpy()
    return choices[keep]


def get_search_placeholder(
    holdout: pd.DataFrame, features: list[str], target: str | None = None, id_column: str | None = None
) -> str:
    """The search box's hint, from the project's own data: the ID column, and the most common value of
    the most important text feature shown in the summaries ("e.g. a customer_id or a value such as
    Month-to-month"); no invented example when the data has none."""
    key = f"a {id_column}" if id_column else ""
    example = ""
    for name in [f for f in features if f in holdout.columns and f not in (id_column, target)][:SUMMARY_FEATURES]:
        values = holdout[name].dropna()
        if len(values) and not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            example = _("a value such as {feature_value}").format(
                feature_value=format_feature_value(values.astype(str).mode().iloc[0])
            )
            break
    if key and example:
        return _("e.g. {key} or {example}").format(key=key, example=example)
    return _("e.g. {example}").format(example=key or example) if key or example else _("words from a row's summary")


@dataclass(frozen=True)
class InputField:
    """One field of the typed-row form: a model input, its kind, its choices or range, its default."""

    name: str
    kind: str
    default: Any
    options: list[Any] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    used: bool = True  # False: the model drops it (an ID); it is filled in, not asked


def get_training_categories(pipeline: Any) -> dict[str, list[str]]:
    """{input column: the categories its fitted encoder learned in training}, read from the
    encoders (``categories_``) inside the pipeline's column transformer; the imputer's "missing"
    filler is left out. Empty when the pipeline has no such encoder."""
    found: dict[str, list[str]] = {}
    steps = list(getattr(pipeline, "steps", [])) or [("", pipeline)]
    for _name, step in steps:
        for _tname, transformer, columns in getattr(step, "transformers_", []):
            if isinstance(columns, str) or not all(isinstance(c, str) for c in np.ravel(columns)):
                continue
            inner = [t for _n, t in getattr(transformer, "steps", [])] or [transformer]
            for part in inner:
                categories = getattr(part, "categories_", None)
                if categories is not None and len(categories) == len(columns):
                    for column, values in zip(columns, categories):
                        found[str(column)] = [str(v) for v in values if str(v) != "missing" and not is_missing(v)]
    return found


def get_input_schema(
    reference: pd.DataFrame,
    columns: list[str],
    used: list[str] | None = None,
    training_categories: dict[str, list[str]] | None = None,
) -> list[InputField]:
    """A form field per model input column, from the reference rows and the training values.

    Numbers get their observed range and median, categories their observed values (most common
    first) followed by those the model learned in training but the reference lacks
    (``training_categories``), dates their median; a column the model does not use (``used``) is
    marked so a form can skip it.
    """
    training_categories = training_categories or {}
    fields: list[InputField] = []
    for name in columns:
        values = reference[name] if name in reference.columns else pd.Series(dtype=float)
        present = values.dropna()
        is_used = used is None or name in used
        if pd.api.types.is_bool_dtype(values):
            fields.append(
                InputField(name, KIND_BOOL, bool(present.mode().iloc[0]) if len(present) else False, used=is_used)
            )
        elif pd.api.types.is_numeric_dtype(values):
            integer = pd.api.types.is_integer_dtype(values) or (
                len(present) > 0 and bool(np.all(np.mod(present.to_numpy(dtype=float), 1) == 0))
            )
            numbers = present.to_numpy(dtype=float)
            median = float(np.median(numbers)) if len(numbers) else 0.0
            fields.append(
                InputField(
                    name,
                    KIND_INTEGER if integer else KIND_NUMBER,
                    int(round(median)) if integer else median,
                    minimum=float(numbers.min()) if len(numbers) else None,
                    maximum=float(numbers.max()) if len(numbers) else None,
                    used=is_used,
                )
            )
        elif pd.api.types.is_datetime64_any_dtype(values):
            default = present.sort_values().iloc[len(present) // 2] if len(present) else pd.Timestamp("2000-01-01")
            fields.append(InputField(name, KIND_DATE, pd.Timestamp(default), used=is_used))
        else:
            counts = present.astype(str).value_counts()
            learned = [c for c in training_categories.get(name, []) if c not in counts.index]
            if 0 < len(counts) + len(learned) <= MAX_CATEGORY_OPTIONS:
                options = [*counts.index, *learned]
                fields.append(InputField(name, KIND_CATEGORY, options[0], options=options, used=is_used))
            else:
                fields.append(InputField(name, KIND_TEXT, str(counts.index[0]) if len(counts) else "", used=is_used))
    return fields


def row_defaults(fields: list[InputField], row: pd.DataFrame | None) -> dict[str, Any]:
    """The form's starting values: those of ``row`` (one row), a missing value staying missing
    (None), so an untouched form gives the same row back; without a row, each field's default."""
    values: dict[str, Any] = {}
    for spec in fields:
        if row is None or spec.name not in row.columns:
            values[spec.name] = spec.default
            continue
        value = row.iloc[0][spec.name]
        values[spec.name] = None if is_missing(value) else value
    return values


def is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def build_row(fields: list[InputField], values: dict[str, Any], reference: pd.DataFrame) -> pd.DataFrame:
    """The typed values as a one-row frame with the reference's columns and dtypes.

    Raises ``DataError`` naming the field when a value cannot be read as its column's type.
    """
    columns: dict[str, pd.Series] = {}
    for spec in fields:
        value = values.get(spec.name, spec.default)
        dtype = reference[spec.name].dtype if spec.name in reference.columns else None
        try:
            columns[spec.name] = _as_column(spec, value, dtype)
        except (TypeError, ValueError) as error:
            raise DataError(
                _("The value {value} of '{name}' cannot be read as a {kind}; type a valid {kind}.").format(
                    value=f"{value!r}", name=spec.name, kind=spec.kind
                )
            ) from error
    return pd.DataFrame(columns)


def _as_column(spec: InputField, value: Any, dtype: Any) -> pd.Series:
    if is_missing(value) or (isinstance(value, str) and not value.strip()):  # an empty field is missing
        if dtype is not None and (_is_int(dtype) or pd.api.types.is_bool_dtype(dtype)):
            return pd.Series([np.nan], dtype="float64" if _is_int(dtype) else object)
        return pd.Series([None], dtype=dtype if dtype is not None else "float64")
    if spec.kind == KIND_BOOL:
        return pd.Series([bool(value)], dtype=bool)
    if spec.kind in (KIND_NUMBER, KIND_INTEGER):
        number = float(value)
        if dtype is not None and _is_int(dtype):
            if not number.is_integer():
                raise ValueError(_("not a whole number"))
            return pd.Series([int(number)], dtype=dtype)
        return pd.Series([number], dtype=dtype if dtype is not None else "float64")
    if spec.kind == KIND_DATE:
        stamp = pd.Timestamp(value)
        series = pd.Series([stamp])
        return series.astype(dtype) if dtype is not None and pd.api.types.is_datetime64_any_dtype(dtype) else series
    series = pd.Series([str(value)])
    return series.astype(dtype) if dtype is not None and not pd.api.types.is_numeric_dtype(dtype) else series


def _is_int(dtype: Any) -> bool:
    return pd.api.types.is_integer_dtype(dtype)
