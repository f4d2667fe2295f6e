"""Cleaning as a replayable recipe: a list of steps whose every parameter is resolved from data.

`suggest_recipe` (and the `make_*_step` factories) look at the training table and write down
concrete decisions (the fill value, the outlier bounds, the categories to keep, the spelling
mapping). `apply_recipe` replays exactly those decisions on any table: the training data, a
production batch, a retraining set or a `--test` file. A recipe is plain JSON (`to_dict` /
`from_dict`, `recipe_to_json` / `recipe_from_json`), so it is saved with its lineage and can be
downloaded and uploaded again.

Steps (op: params), and what each does with `training=False` (new data to score):

====================  ===========================================================  ==============
op                    params                                                       training=False
====================  ===========================================================  ==============
drop_columns          columns                                                      applies
rename_columns        mapping {old: new}                                           applies
to_numeric            columns, decimal "."|",", thousands None|","|"."|" "|"'"      applies
to_datetime           columns, format (None = detect)                              applies
to_boolean            columns, missing_as_false (default False)                    applies
trim_whitespace       columns                                                      applies
unify_categories      column, mapping {variant: canonical}                         applies
group_rare            column, min_share, other_label "Other", keep [categories]    applies
impute                column, strategy mean|median|mode|constant|indicator, value  applies
clip_outliers         column, lower, upper                                         applies
drop_outlier_rows     column, lower, upper                                         skipped
drop_duplicates       subset (None = all columns)                                  skipped
filter_rows           column, operator, value                                      skipped
drop_missing_target   column                                                       skipped
====================  ===========================================================  ==============

`suggest_cleaning` returns the safe suggested steps (`.recipe`) and, apart, the steps it only
*offers* (`.offers`): any suggested step that would remove more than 5 % of the rows, drop a column
or turn many values into missing is never applied silently; the user adds it, seeing what it does.

Rows are only ever removed when training: a production batch must get a prediction for every
row it sends. Value fixes always apply, so the model sees data shaped as it was trained on.
A step whose column is not in the table is skipped with a note in its summary (never an error),
so a recipe replays on batches that lack the target or a dropped column.
"""

from __future__ import annotations

import copy
import json
import math
import operator as _operator
import re
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np
import pandas as pd

from core.workspace.errors import ConfigError
from core.data.profiling import (
    get_spelling_variants,
    has_leading_zero_codes,
    is_classification_target,
    is_named_like_id,
    is_text,
    looks_like_id,
    looks_like_identifier,
    normalize_spelling,
    numeric_text_share,
    NUMERIC_AS_TEXT_SHARE,
)
from core.workspace.progress import Progress

RECIPE_FORMAT = 1  # version of the downloadable JSON layout (recipe_to_json)
IMPUTE_STRATEGIES = ("median", "mean", "mode", "constant", "indicator")
FILTER_OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_missing", "not_missing")
DECIMAL_MARKS = (".", ",")
THOUSANDS_SEPARATORS = (None, ",", ".", " ", "'")
OUTLIER_METHODS = {"iqr": 1.5, "zscore": 3.0}  # method -> default k
OUTLIER_ACTIONS = {"clip": "clip_outliers", "drop": "drop_outlier_rows"}
MISSING_FLAG_SUFFIX = "_was_missing"
TRUE_SPELLINGS = frozenset({"yes", "y", "true", "t", "1", "1.0", "si", "sí", "ja", "j", "oui", "x", "on"})
FALSE_SPELLINGS = frozenset({"no", "n", "false", "f", "0", "0.0", "nein", "non", "", "off"})
RARE_MIN_SHARE = 0.01  # suggest_recipe: a category under 1 % of values is rare ...
RARE_MIN_LEVELS = 20  # ... in a column with more than 20 categories
SENTINEL_NEGATIVES = frozenset({-1.0, -9.0, -99.0, -999.0, -9999.0, -99999.0})
SENTINEL_MAX_SHARE = 0.005  # negative codes in at most 0.5 % of rows of an otherwise >= 0 column
OUTLIER_MAX_SHARE = 0.01  # "impossible" values are rare; a common tail is real data
OUTLIER_MIN_RATIO = 5.0  # an impossible value is >= 5x beyond the largest plausible one (log scale gap)
OUTLIER_GAP_OF_SPAN = 0.4  # ... and the gap is >= 40 % of the bulk's log-scale span

SAFE_ROW_SHARE = 0.05  # the suggested steps together remove at most 5 % of the rows unasked
SAFE_MISSING_SHARE = 0.05  # ... and turn at most 5 % of a column's values into missing
MOSTLY_MISSING_SHARE = 0.5  # a step turning more of a column's values into missing is flagged before saving

_SPACE_RUN = "[ \u00a0\t]{2,}"  # literal characters: pandas runs this in pyarrow, not Python's re



@dataclass(frozen=True)
class CleaningStep:
    op: str
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "params": copy.deepcopy(self.params)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CleaningStep":
        if not isinstance(d, dict) or "op" not in d:
            raise ConfigError(f"A cleaning step must be an object with an 'op'; got {d!r} instead.")
        params = d.get("params") or {}
        if not isinstance(params, dict):
            raise ConfigError(f"The 'params' of {d['op']} must be an object; got {params!r} instead.")
        step = cls(str(d["op"]), copy.deepcopy(params))
        validate_step(step)
        return step


@dataclass(frozen=True)
class CleaningRecipe:
    steps: tuple[CleaningStep, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [step.to_dict() for step in self.steps]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CleaningRecipe":
        steps = d.get("steps", []) if isinstance(d, dict) else d
        if not isinstance(steps, (list, tuple)):
            raise ConfigError(f"The 'steps' of a cleaning recipe must be a list; got {steps!r} instead.")
        return cls(tuple(CleaningStep.from_dict(s) for s in steps))

    def with_step(self, step: CleaningStep) -> "CleaningRecipe":
        return CleaningRecipe(self.steps + (step,))

    def without_step(self, i: int) -> "CleaningRecipe":
        if not -len(self.steps) <= i < len(self.steps):
            raise ConfigError(f"The recipe has {len(self.steps)} step(s); there is no step {i} to remove.")
        i = i % len(self.steps)
        return CleaningRecipe(self.steps[:i] + self.steps[i + 1:])


@dataclass(frozen=True)
class StepReport:
    op: str
    summary: str  # plain words, e.g. "Removed 71 duplicate rows."
    rows_before: int
    rows_after: int
    cells_changed: int
    status: str = "applied"  # "applied" | "no_change" | "skipped" (column absent, wrong type, training-only)
    warning: str = ""  # plain words when the step turned most of a column's values into missing

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CleaningOffer:
    """A suggested step that is not applied unless the user adds it: it would remove many rows,
    drop a column or turn many values into missing. Says what it would do and why it is offered."""
    step: CleaningStep
    why: str  # one or two plain sentences
    rows_before: int = 0
    rows_removed: int = 0
    columns_dropped: tuple[str, ...] = ()
    cells_to_missing: int = 0

    def effect(self) -> str:
        """"remove 2,177 of 2,201 rows (98.9%)", "drop the column notes"..."""
        parts = []
        if self.rows_removed:
            parts.append(f"remove {self.rows_removed:,} of {self.rows_before:,} rows "
                         f"({_percent(self.rows_removed, self.rows_before)})")
        if self.columns_dropped:
            parts.append(f"drop the column{'s' if len(self.columns_dropped) > 1 else ''} {_names(self.columns_dropped)}")
        if self.cells_to_missing:
            parts.append(f"turn {_count(self.cells_to_missing, 'value')} into missing values")
        return " and ".join(parts) or "change nothing"

    def sentence(self) -> str:
        return f"Suggested but not applied: {_first_lower(describe_step(self.step))} would {self.effect()}. {self.why}"

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step.to_dict(), "why": self.why, "rows_before": self.rows_before,
                "rows_removed": self.rows_removed, "columns_dropped": list(self.columns_dropped),
                "cells_to_missing": self.cells_to_missing, "sentence": self.sentence()}


@dataclass(frozen=True)
class CleaningSuggestion:
    """What `suggest_cleaning` proposes: the safe steps, and the steps only offered."""
    recipe: CleaningRecipe
    offers: tuple[CleaningOffer, ...] = ()


class _Done(NamedTuple):
    """What an op returns: the table, its summary, cells changed, and whether it was skipped."""
    df: pd.DataFrame
    summary: str
    changed: int = 0
    skipped: bool = False


# --------------------------------------------------------------------------------------
# JSON (download / upload)
# --------------------------------------------------------------------------------------


def recipe_to_json(recipe: CleaningRecipe) -> str:
    """Pretty JSON for a download; `recipe_from_json` reads it back to an equal recipe."""
    try:
        return json.dumps({"recipe_format": RECIPE_FORMAT, **recipe.to_dict()}, indent=2,
                          ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"The recipe cannot be written as JSON ({exc}); every parameter must be a "
                          "plain number, text, true/false, null, list or object.") from None


def recipe_from_json(text: str | bytes) -> CleaningRecipe:
    """Parse (and validate) a recipe from JSON text; ConfigError says what is wrong."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
        raise ConfigError(f"The recipe file is not valid JSON ({exc}); upload a recipe downloaded from the studio.") from None
    if isinstance(data, dict):
        version = data.get("recipe_format", RECIPE_FORMAT)
        if not isinstance(version, int) or version > RECIPE_FORMAT:
            raise ConfigError(f"The 'recipe_format' of the recipe file must be at most {RECIPE_FORMAT}; got {version!r} "
                              "instead. It was written by a newer studio; update this one.")
        if "steps" not in data:
            raise ConfigError("The recipe file must have a 'steps' list; got an object without one instead.")
    elif not isinstance(data, list):
        raise ConfigError(f"The recipe file must hold an object with 'steps'; got {type(data).__name__} instead.")
    return CleaningRecipe.from_dict(data)


# --------------------------------------------------------------------------------------
# Applying a recipe
# --------------------------------------------------------------------------------------


def apply_recipe(
    df: pd.DataFrame, recipe: CleaningRecipe, *, training: bool = True, progress: Progress | None = None,
) -> tuple[pd.DataFrame, list[StepReport]]:
    """Replay every step in order. training=False (new data to score) never removes rows.

    Every step is validated before any work starts. `progress(fraction, message)` is called
    before each step and once at the end.
    """
    for step in recipe.steps:
        validate_step(step)
    reports = []
    n = len(recipe.steps)
    for i, step in enumerate(recipe.steps):
        if progress is not None:
            progress(i / max(n, 1), f"Step {i + 1} of {n}: {describe_step(step)}")
        df, report = _run_step(df, step, training)
        reports.append(report)
    if progress is not None:
        progress(1.0, f"Cleaning done: {n} step(s).")
    return df.reset_index(drop=True), reports


def apply_step(df: pd.DataFrame, step: CleaningStep, *, training: bool = True) -> tuple[pd.DataFrame, StepReport]:
    """One step, for a preview in the UI."""
    validate_step(step)
    out, report = _run_step(df, step, training)
    return out.reset_index(drop=True), report


def preview_recipe(
    df: pd.DataFrame, recipe: CleaningRecipe, upto: int | None = None, *, training: bool = True,
) -> tuple[pd.DataFrame, list[StepReport]]:
    """The table after the first `upto` steps (all when None) and their reports.

    Undo in the UI is "remove a step (`without_step`) and preview again": the recipe is the
    state, the cleaned table is always recomputed from the raw one.
    """
    if upto is not None and not 0 <= upto <= len(recipe.steps):
        raise ConfigError(f"The 'upto' of preview_recipe must be between 0 and {len(recipe.steps)}; got {upto!r} instead.")
    return apply_recipe(df, CleaningRecipe(recipe.steps[:upto]), training=training)


def _run_step(df: pd.DataFrame, step: CleaningStep, training: bool) -> tuple[pd.DataFrame, StepReport]:
    spec = _OPS[step.op]
    rows_before = len(df)
    if spec.removes_rows and not training:
        done = _Done(df, f"Skipped on new data ({_ROW_OP_LABELS[step.op]}): rows are only removed when training.",
                     skipped=True)
    else:
        done = spec.apply(df, dict(step.params))
    status = "skipped" if done.skipped else ("no_change" if done.df is df else "applied")
    warning = _mostly_missing_warning(df, done.df, step) if status == "applied" else ""
    return done.df, StepReport(step.op, done.summary, rows_before, len(done.df), int(done.changed), status, warning)


def _step_columns(step: CleaningStep) -> list[str]:
    """The columns a step names in its parameters."""
    named = [step.params.get("column")] + list(step.params.get("columns") or [])
    return [c for c in named if isinstance(c, str)]


def get_values_turned_missing(before: pd.DataFrame, after: pd.DataFrame,
                              step: CleaningStep) -> dict[str, tuple[int, int]]:
    """Column -> (values present before, how many of them are missing after) for the columns a step
    that keeps every row names; only columns that lost values are listed. Blank text is no value."""
    if len(before) != len(after):
        return {}
    lost = {}
    for col in _step_columns(step):
        if col not in before.columns or col not in after.columns:
            continue
        b, a = before[col], after[col]
        if int(a.isna().sum()) <= int(b.isna().sum()):
            continue  # cheap check first: most steps turn nothing into missing
        present = b.notna().to_numpy(dtype=bool)
        if is_text(b):
            present = present & (_as_plain_text(b).str.strip() != "").to_numpy(dtype=bool, na_value=False)
        gone = int((present & a.isna().to_numpy(dtype=bool)).sum())
        if gone:
            lost[col] = (int(present.sum()), gone)
    return lost


def _mostly_missing_warning(before: pd.DataFrame, after: pd.DataFrame, step: CleaningStep) -> str:
    """Plain words when a step turns more than half of a column's values into missing values."""
    words = []
    for col, (present, gone) in get_values_turned_missing(before, after, step).items():
        if gone > MOSTLY_MISSING_SHARE * present:
            hint = ""
            if step.op == "to_numeric":
                decimal = step.params.get("decimal", ".")
                other = "," if decimal == "." else "."
                readable = int(parse_numbers(before[col], other, None).notna().sum())
                hint = (f" with the decimal mark {decimal!r}; with {other!r} they read as numbers"
                        if readable > gone / 2 else "")
            words.append(f"{gone:,} of {present:,} {col} values ({_percent(gone, present)}) become missing{hint}")
    if not words:
        return ""
    return ("Careful: " + "; ".join(words) + ". Check this step's settings before saving: a later step may fill "
            "or drop what is left of the column.")


# --------------------------------------------------------------------------------------
# Validation: one place, messages "The 'x' of <op> must be …; got … instead."
# --------------------------------------------------------------------------------------


def validate_step(step: CleaningStep) -> None:
    """Raise ConfigError if the step's op is unknown or a parameter is unusable."""
    if step.op not in _OPS:
        raise ConfigError(f"The 'op' of a cleaning step must be one of {', '.join(_OPS)}; got {step.op!r} instead.")
    if not isinstance(step.params, dict):
        raise ConfigError(f"The 'params' of {step.op} must be an object; got {step.params!r} instead.")
    _OPS[step.op].validate(step.params, step.op)


def _bad(key: str, op: str, must: str, got: Any) -> ConfigError:
    return ConfigError(f"The '{key}' of {op} must be {must}; got {got!r} instead.")


def _check_column(params: dict, op: str, key: str = "column") -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise _bad(key, op, "a column name", value)
    return value


def _column_list(params: dict, op: str, key: str = "columns") -> list[str]:
    columns = params.get(key)
    if isinstance(columns, str) and columns:
        columns = [columns]
    if (not isinstance(columns, (list, tuple)) or not columns
            or not all(isinstance(c, str) and c for c in columns)):
        raise _bad(key, op, "a non-empty list of column names", columns)
    return list(columns)


def _check_choice(params: dict, key: str, choices: tuple, op: str, default: Any) -> Any:
    value = params.get(key, default)
    if value not in choices:
        raise _bad(key, op, f"one of {', '.join(map(repr, choices))}", value)
    return value


def _check_number(params: dict, key: str, op: str) -> float | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise _bad(key, op, "a number or null", value)
    return float(value)


def _check_mapping(params: dict, op: str, what: str) -> dict[str, str]:
    mapping = params.get("mapping")
    if (not isinstance(mapping, dict) or not mapping
            or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in mapping.items())):
        raise _bad("mapping", op, f"a non-empty object {{{what}}} of names", mapping)
    return mapping


def _validate_columns(params: dict, op: str) -> None:
    _column_list(params, op)


def _validate_rename(params: dict, op: str) -> None:
    mapping = _check_mapping(params, op, "old: new")
    if len(set(mapping.values())) < len(mapping):
        raise _bad("mapping", op, "an object whose new names are all different", mapping)


def _validate_to_numeric(params: dict, op: str) -> None:
    _column_list(params, op)
    decimal = _check_choice(params, "decimal", DECIMAL_MARKS, op, ".")
    thousands = _check_choice(params, "thousands", THOUSANDS_SEPARATORS, op, None)
    if thousands == decimal:
        raise _bad("thousands", op, f"different from the decimal mark {decimal!r}", thousands)


def _validate_to_datetime(params: dict, op: str) -> None:
    _column_list(params, op)
    fmt = params.get("format")
    if fmt is not None and (not isinstance(fmt, str) or "%" not in fmt and fmt not in ("ISO8601", "mixed")):
        raise _bad("format", op, "null (detect) or a strftime format such as '%d/%m/%Y'", fmt)


def _validate_to_boolean(params: dict, op: str) -> None:
    _column_list(params, op)
    if not isinstance(params.get("missing_as_false", False), bool):
        raise _bad("missing_as_false", op, "true or false", params.get("missing_as_false"))


def _validate_unify(params: dict, op: str) -> None:
    _check_column(params, op)
    mapping = params.get("mapping")
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise _bad("mapping", op, "an object {variant: canonical}", mapping)


def _validate_group_rare(params: dict, op: str) -> None:
    _check_column(params, op)
    share = params.get("min_share", RARE_MIN_SHARE)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1:
        raise _bad("min_share", op, "a share between 0 and 1 (e.g. 0.01 for 1 %)", share)
    label = params.get("other_label", "Other")
    if not isinstance(label, str) or not label:
        raise _bad("other_label", op, "a non-empty label", label)
    keep = params.get("keep")
    if keep is not None and (not isinstance(keep, list) or not all(isinstance(k, str) for k in keep)):
        raise _bad("keep", op, "null or a list of the categories to keep", keep)


def _validate_impute(params: dict, op: str) -> None:
    _check_column(params, op)
    strategy = _check_choice(params, "strategy", IMPUTE_STRATEGIES, op, "median")
    value = params.get("value")
    if strategy == "constant" and value is None:
        raise _bad("value", op, "given for strategy 'constant'", value)
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise _bad("value", op, "a number, text, true/false or null", value)


def _validate_bounds(params: dict, op: str) -> None:
    _check_column(params, op)
    lower, upper = _check_number(params, "lower", op), _check_number(params, "upper", op)
    if lower is None and upper is None:
        raise _bad("lower", op, "a number when 'upper' is null (give at least one bound)", None)
    if lower is not None and upper is not None and lower > upper:
        raise _bad("upper", op, f"at least the lower bound {_fmt(lower)}", params.get("upper"))


def _validate_drop_duplicates(params: dict, op: str) -> None:
    key = "subset" if "subset" in params else "columns"  # "columns": recipes saved before "subset"
    if params.get(key) is not None:
        _column_list(params, op, key)


def _validate_filter(params: dict, op: str) -> None:
    _check_column(params, op)
    operator = _check_choice(params, "operator", FILTER_OPERATORS, op, None)
    value = params.get("value")
    scalar = (str, int, float, bool)
    if operator in ("in", "not_in"):
        if not isinstance(value, list) or not value or not all(isinstance(v, scalar) for v in value):
            raise _bad("value", op, f"a non-empty list of values for operator {operator!r}", value)
    elif operator not in ("is_missing", "not_missing") and not isinstance(value, scalar):
        raise _bad("value", op, f"a number, text or true/false for operator {operator!r}", value)


def _validate_target(params: dict, op: str) -> None:
    _check_column(params, op)


# --------------------------------------------------------------------------------------
# The ops. Each returns the input frame itself when nothing changes (status "no_change").
# --------------------------------------------------------------------------------------


def _drop_columns(df: pd.DataFrame, params: dict) -> _Done:
    columns = _column_list(params, "drop_columns")
    present = [c for c in columns if c in df.columns]
    absent = [c for c in columns if c not in df.columns]
    if not present:
        return _Done(df, "No column dropped." + _absent_note(absent), skipped=True)
    return _Done(df.drop(columns=present),
                 f"Dropped {_count(len(present), 'column')}: {_names(present)}." + _absent_note(absent),
                 len(present) * len(df))


def _rename_columns(df: pd.DataFrame, params: dict) -> _Done:
    mapping = params["mapping"]
    absent = [old for old in mapping if old not in df.columns]
    moving = {old: new for old, new in mapping.items() if old in df.columns and old != new}
    staying = set(df.columns) - set(moving)
    clashes = {old: new for old, new in moving.items() if new in staying}
    moving = {old: new for old, new in moving.items() if old not in clashes}
    notes = _absent_note(absent) + "".join(f" Did not rename {old} to {new}: {new} already exists."
                                           for old, new in clashes.items())
    if not moving:
        return _Done(df, "No column renamed." + notes, skipped=bool(absent or clashes))
    pairs = ", ".join(f"{old} -> {new}" for old, new in moving.items())
    return _Done(df.rename(columns=moving), f"Renamed {_count(len(moving), 'column')}: {pairs}." + notes)


def _to_numeric(df: pd.DataFrame, params: dict) -> _Done:
    columns = _column_list(params, "to_numeric")
    decimal = params.get("decimal", ".")
    # Recipes saved before 'thousands' existed: a decimal comma implied '.' as thousands separator.
    thousands = params["thousands"] if "thousands" in params else ("." if decimal == "," else None)
    parts, changed, out = [], 0, df
    absent = [c for c in columns if c not in df.columns]
    for col in (c for c in columns if c in df.columns):
        s = df[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            parts.append(f"kept {col}: it is already numeric")
            continue
        numbers = parse_numbers(s, decimal, thousands)
        unreadable = numbers.isna() & s.notna()
        lost = int(unreadable.sum())
        changed += int(s.notna().sum())
        out = _with_column(out, col, numbers)
        parts.append(f"converted {col} to numbers"
                     + (f" ({_count(lost, 'blank or unreadable value')} now missing, e.g. {_examples(s[unreadable])})" if lost else ""))
    summary = _sentence("; ".join(parts)) if parts else "No column converted."
    return _Done(out, summary + _absent_note(absent), changed, skipped=not parts)


def parse_numbers(s: pd.Series, decimal: str = ".", thousands: str | None = None) -> pd.Series:
    """Text to float64: "1.234,5" (decimal ',', thousands '.'), "12 500" (thousands ' '), "3'400".

    A thousands separator only counts in groups of three ("1,5" with thousands ',' is unreadable,
    not 15); unreadable values become missing.
    """
    text = s.astype("str").where(s.notna()).str.strip()
    if thousands is not None:
        # Literal characters and [0-9], not \s / \d / \u escapes: those send pandas to Python's slow re.
        sep = "[ \u00a0\u202f\t]" if thousands == " " else re.escape(thousands)
        grouped = rf"[+-]?[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+(?:{re.escape(decimal)}[0-9]*)?"
        has_sep = text.str.contains(sep, regex=True).fillna(False).astype(bool)
        if has_sep.any():
            ok = text.str.fullmatch(grouped).fillna(False).astype(bool)
            text = text.where(~has_sep | ok).str.replace(sep, "", regex=True)
    if decimal == ",":
        text = text.where(~text.str.contains(".", regex=False).fillna(False).astype(bool))  # "1.5" is ambiguous here
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")


def _to_datetime(df: pd.DataFrame, params: dict) -> _Done:
    columns = _column_list(params, "to_datetime")
    fmt = params.get("format")
    parts, changed, out = [], 0, df
    absent = [c for c in columns if c not in df.columns]
    for col in (c for c in columns if c in df.columns):
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            parts.append(f"kept {col}: it already holds dates")
            continue
        dates = _parse_dates(s, fmt)
        unreadable = dates.isna() & s.notna()
        lost = int(unreadable.sum())
        changed += int(s.notna().sum())
        out = _with_column(out, col, dates)
        parts.append(f"converted {col} to dates" + (f" ({fmt})" if fmt else "")
                     + (f" ({_count(lost, 'unreadable value')} now missing, e.g. {_examples(s[unreadable])})" if lost else ""))
    summary = _sentence("; ".join(parts)) if parts else "No column converted."
    return _Done(out, summary + _absent_note(absent), changed, skipped=not parts)


def _parse_dates(s: pd.Series, fmt: str | None) -> pd.Series:
    text = s.astype("str").where(s.notna()).str.strip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for attempt in ([fmt] if fmt else ["ISO8601", "mixed"]):
            for utc in (False, True):
                try:
                    parsed = pd.to_datetime(text, format=attempt, errors="coerce", utc=utc)
                except (ValueError, TypeError):
                    continue
                if fmt or parsed.notna().sum() == text.notna().sum() or attempt == "mixed":
                    return parsed
                break
    return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")


def _to_boolean(df: pd.DataFrame, params: dict) -> _Done:
    columns = _column_list(params, "to_boolean")
    missing_as_false = bool(params.get("missing_as_false", False))
    parts, changed, out = [], 0, df
    absent = [c for c in columns if c not in df.columns]
    for col in (c for c in columns if c in df.columns):
        s = df[col]
        if pd.api.types.is_bool_dtype(s) and not missing_as_false:
            parts.append(f"kept {col}: it already holds true/false")
            continue
        flags, unknown = parse_booleans(s, missing_as_false)
        n_unknown = int(unknown.sum())
        changed += int(s.notna().sum())
        out = _with_column(out, col, flags)
        n_true, n_false = int(flags.sum()), int((~flags).sum())
        words = f"converted {col} to true/false ({n_true:,} true, {n_false:,} false"
        missing = int(flags.isna().sum())
        words += f", {missing:,} missing)" if missing else ")"
        if n_unknown:
            words += f"; {_count(n_unknown, 'value')} in unknown spellings (e.g. {_examples(s[unknown])}) are now missing"
        parts.append(words)
    summary = _sentence("; ".join(parts)) if parts else "No column converted."
    return _Done(out, summary + _absent_note(absent), changed, skipped=not parts)


def parse_booleans(s: pd.Series, missing_as_false: bool = False) -> tuple[pd.Series, pd.Series]:
    """(pandas 'boolean' series, mask of values in an unknown spelling).

    yes/no, y/n, true/false, t/f, 1/0, si/no, ja/nein, oui/non, on/off and x/"" in any case
    and spacing. `missing_as_false` also reads empty cells as false (a column of "x" marks).
    """
    if pd.api.types.is_bool_dtype(s):
        flags = s.astype("boolean")
        return (flags.fillna(False) if missing_as_false else flags), pd.Series(False, index=s.index)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    keys = [str(u).strip().casefold() for u in uniques]
    lookup = np.array([1 if k in TRUE_SPELLINGS else 0 if k in FALSE_SPELLINGS else -1 for k in keys] + [-2],
                      dtype=np.int8)  # -1 unknown spelling, -2 (last slot, code -1) missing
    state = lookup[codes]
    if missing_as_false:
        state = np.where(state == -2, 0, state)
    flags = pd.arrays.BooleanArray(state == 1, state < 0)
    return pd.Series(flags, index=s.index, name=s.name), pd.Series(state == -1, index=s.index)


def _trim_whitespace(df: pd.DataFrame, params: dict) -> _Done:
    columns = _column_list(params, "trim_whitespace")
    parts, notes, changed, out = [], [], 0, df
    absent = [c for c in columns if c not in df.columns]
    for col in (c for c in columns if c in df.columns):
        s = df[col]
        if not is_text(s):
            notes.append(col)
            continue
        trimmed = _map_text_values(s, _trim_text)
        edited = s.notna() & (trimmed.isna() | (trimmed != s))
        n, blank = int(edited.sum()), int((trimmed.isna() & s.notna()).sum())
        if n:
            changed += n
            out = _with_column(out, col, trimmed)
            parts.append(f"trimmed stray spaces in {_count(n, f'{col} value')}"
                         + (f" ({_count(blank, 'blank cell')} now missing)" if blank else ""))
    summary = _sentence("; ".join(parts)) if parts else f"No stray spaces found in {_names([c for c in columns if c in df.columns and c not in notes]) or 'the columns'}."
    summary += "".join(f" Skipped {c}: not text." for c in notes) + _absent_note(absent)
    return _Done(out, summary, changed, skipped=not parts and bool(notes or absent))


def _trim_text(u: pd.Series) -> pd.Series:
    """Leading/trailing spaces off, inner runs of spaces to one; blank text becomes missing."""
    t = u.str.strip().str.replace(_SPACE_RUN, " ", regex=True)
    return t.where(t != "")


def _unify_categories(df: pd.DataFrame, params: dict) -> _Done:
    column = params["column"]
    mapping = params.get("mapping") or {}
    if column not in df.columns:
        return _skip_absent(df, column)
    s = df[column]
    if not is_text(s):
        return _Done(df, f"Skipped: {column} does not hold text.", skipped=True)
    # Variants seen in training map exactly; new variants of the same categories (e.g. "MONTH TO MONTH"
    # in a production batch) meet their canonical spelling through the normalised key.
    canonical_by_key = {normalize_spelling(c): str(c) for c in mapping.values()}
    full = {}
    for value in s.dropna().unique():
        value = str(value)
        target = mapping.get(value) or canonical_by_key.get(normalize_spelling(value))
        if target is not None and target != value:
            full[value] = target
    if not full:
        return _Done(df, f"No spelling variants found in {column}.")
    unified = _as_plain_text(s).replace(full)
    changed = int((s.notna() & (_as_plain_text(s) != unified)).sum())
    n_targets = len(set(full.values()))
    examples = ", ".join(f"{k!r} -> {v!r}" for k, v in list(full.items())[:3])
    summary = (f"Unified {_count(changed, f'{column} value')} written in {len(full)} variant spelling(s) "
               f"into {n_targets} categor{'ies' if n_targets != 1 else 'y'} (e.g. {examples}).")
    return _Done(_with_column(df, column, unified), summary, changed)


def _group_rare(df: pd.DataFrame, params: dict) -> _Done:
    column = params["column"]
    min_share = float(params.get("min_share", RARE_MIN_SHARE))
    label = params.get("other_label", "Other")
    if column not in df.columns:
        return _skip_absent(df, column)
    s = df[column]
    if not is_text(s):
        return _Done(df, f"Skipped: {column} does not hold text.", skipped=True)
    keep = params.get("keep")
    if keep is None:  # not resolved by make_group_rare_step: learn it from this table
        keep = get_common_categories(s, min_share)
    text = _as_plain_text(s)
    rare = text.notna() & ~text.isin(keep) & (text != label)
    n = int(rare.sum())
    if not n:
        return _Done(df, f"No rare {column} categories to group (kept {_count(len(keep), 'category', 'categories')}).")
    levels = int(text[rare].nunique())
    grouped = text.where(~rare, label)
    return _Done(_with_column(df, column, grouped),
                 f"Grouped {_count(n, f'{column} value')} in {_count(levels, 'rare category', 'rare categories')}"
                 f" (e.g. {_examples(text[rare])}) into {label!r}; kept {_count(len(keep), 'common category', 'common categories')}.", n)


def get_common_categories(s: pd.Series, min_share: float = RARE_MIN_SHARE) -> list[str]:
    """Categories holding at least `min_share` of the non-missing values, most frequent first."""
    counts = _as_plain_text(s).value_counts()
    if counts.empty:
        return []
    counts = counts[counts / counts.sum() >= min_share]
    order = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return [str(k) for k, _ in order]


def _impute(df: pd.DataFrame, params: dict) -> _Done:
    column = params["column"]
    strategy = params.get("strategy", "median")
    if column not in df.columns:
        return _skip_absent(df, column)
    s = df[column]
    missing = int(s.isna().sum())
    flag = f"{column}{MISSING_FLAG_SUFFIX}"
    if not missing and strategy != "indicator":
        return _Done(df, f"No missing {column} values to fill.")
    value = params.get("value")
    learned = _indicator_strategy(s) if strategy == "indicator" else strategy
    if value is None and missing:  # not resolved by make_impute_step / suggest_recipe: learn it from this table
        value = _fill_value(s, learned)
        if value is None:
            return _Done(df, f"Skipped: {column} has no values to compute the {learned} from.", skipped=True)
    out = df
    if missing:
        out = _with_column(df, column, _fill(s, value, column))
    how = {"median": "the median, ", "mean": "the mean, ", "mode": "the most frequent value, ", "constant": ""}
    filled = f"filled {_count(missing, f'missing {column} value')} with {how[learned]}{_fmt(value)}" if missing else ""
    if strategy != "indicator":
        return _Done(out, _sentence(filled), missing)
    out = _with_flag(out, column, flag, s.isna().to_numpy())
    if not missing:
        return _Done(out, f"No missing {column} values to fill; added {flag} (all 0) so the columns match training.")
    return _Done(out, _sentence(f"{filled}, and marked them with 1 in the new column {flag}"), missing)


def _indicator_strategy(s: pd.Series) -> str:
    return "median" if _is_number(s) or pd.api.types.is_datetime64_any_dtype(s) else "mode"


def _with_flag(df: pd.DataFrame, column: str, flag: str, missing: np.ndarray) -> pd.DataFrame:
    out = df.copy(deep=False)
    values = missing.astype("int8")
    if flag in out.columns:
        out[flag] = values
    else:
        out.insert(out.columns.get_loc(column) + 1, flag, values)
    return out


def _values_outside(df: pd.DataFrame, params: dict, op: str):
    """(series, lower, upper, mask of values outside) for the two outlier ops, or the _Done that
    skips the step (column absent or not numeric)."""
    column = params["column"]
    lower, upper = _check_number(params, "lower", op), _check_number(params, "upper", op)
    if column not in df.columns:
        return _skip_absent(df, column)
    s = df[column]
    if not _is_number(s):
        return _Done(df, f"Skipped: {column} is not numeric.", skipped=True)
    return s, lower, upper, _outside(s, lower, upper)


def _clip_outliers(df: pd.DataFrame, params: dict) -> _Done:
    found = _values_outside(df, params, "clip_outliers")
    if isinstance(found, _Done):
        return found
    s, lower, upper, outside = found
    column = params["column"]
    changed = int(outside.sum())
    if not changed:
        return _Done(df, f"No {column} value lies outside {_range_words(lower, upper)}.")
    clipped = s.astype("float64").clip(lower=lower, upper=upper)
    if pd.api.types.is_integer_dtype(s) and np.all(np.mod(clipped.dropna(), 1) == 0):
        clipped = clipped.astype(s.dtype)
    return _Done(_with_column(df, column, clipped),
                 f"Clipped {_count(changed, f'{column} value')} to {_range_words(lower, upper)}.", changed)


def _drop_outlier_rows(df: pd.DataFrame, params: dict) -> _Done:
    found = _values_outside(df, params, "drop_outlier_rows")
    if isinstance(found, _Done):
        return found
    s, lower, upper, outside = found
    column = params["column"]
    removed = int(outside.sum())
    if not removed:
        return _Done(df, f"No row has {column} outside {_range_words(lower, upper)}.")
    examples = ", ".join(_fmt(v) for v in sorted(s[outside].unique())[:4])
    kind = "outlying" if params.get("method") in OUTLIER_METHODS else "impossible"  # made by make_outlier_step
    return _Done(_keep_rows(df, ~outside), f"Removed {_count(removed, 'row')} with {kind} {column} values "
                                           f"({examples}; kept {_range_words(lower, upper)}).")


def _outside(s: pd.Series, lower: float | None, upper: float | None) -> np.ndarray:
    values = s.to_numpy(dtype="float64", na_value=np.nan)
    outside = np.zeros(len(values), dtype=bool)
    if lower is not None:
        outside |= values < lower
    if upper is not None:
        outside |= values > upper
    return outside


def _drop_duplicates(df: pd.DataFrame, params: dict) -> _Done:
    subset = params.get("subset", params.get("columns"))
    if subset is not None:
        subset = [subset] if isinstance(subset, str) else list(subset)
        absent = [c for c in subset if c not in df.columns]
        if absent:
            return _Done(df, f"Skipped: {_names(absent)} not in this table, so duplicates by "
                             f"{_names(subset)} cannot be found.", skipped=True)
    duplicated = find_duplicated(df if subset is None else df[subset]).to_numpy()
    removed = int(duplicated.sum())
    if not removed:
        return _Done(df, "No duplicate rows found." if subset is None else f"No two rows share the same {_names(subset)}.")
    if subset is None:
        return _Done(_keep_rows(df, ~duplicated), f"Removed {_count(removed, 'duplicate row')}.")
    return _Done(_keep_rows(df, ~duplicated),
                 f"Removed {_count(removed, 'duplicate row')} by {_names(subset)} (kept the first of each).")


def _filter_rows(df: pd.DataFrame, params: dict) -> _Done:
    column, op = params["column"], params["operator"]
    if column not in df.columns:
        return _skip_absent(df, column)
    keep = get_filter_mask(df[column], op, params.get("value"))
    removed = int((~keep).sum())
    condition = _condition_words(column, op, params.get("value"))
    if not removed:
        return _Done(df, f"No row removed: every row has {condition}.")
    left = len(df) - removed
    summary = (f"Kept rows where {condition}: removed {removed:,} of {len(df):,} rows"
               f" ({100 * removed / max(len(df), 1):.1f}%).")
    if not left:
        summary += " No rows are left; check the condition."
    return _Done(_keep_rows(df, keep), summary)


_COMPARE = {"==": _operator.eq, "!=": _operator.ne, "<": _operator.lt, "<=": _operator.le,
            ">": _operator.gt, ">=": _operator.ge}


def get_filter_mask(s: pd.Series, op: str, value: Any = None) -> np.ndarray:
    """Rows to keep. A missing value never satisfies ==, <, <=, >, >=, in; it does satisfy != and
    not_in (it is not equal to anything); is_missing / not_missing decide on it explicitly.

    No eval/query strings: the operator is looked up in a fixed table, the value is coerced to
    the column's type (ConfigError if it cannot be).
    """
    if op not in FILTER_OPERATORS:
        raise _bad("operator", "filter_rows", f"one of {', '.join(map(repr, FILTER_OPERATORS))}", op)
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
        raise _bad("operator", "filter_rows", f"'==' or '!=' for the true/false column {s.name!r}", op)
    target = _coerce_filter_value(s, value)
    plain = _as_plain_text(s) if is_text(s) else s
    try:
        result = _COMPARE["==" if op == "!=" else op](plain, target)
    except TypeError:
        raise _bad("value", "filter_rows", f"comparable with the values of {s.name!r}", value) from None
    hit = np.asarray(pd.Series(result).fillna(False).to_numpy(dtype=bool)) & ~missing
    return ~hit if op == "!=" else hit


def _coerce_filter_value(s: pd.Series, value: Any) -> Any:
    column = s.name
    if pd.api.types.is_bool_dtype(s):
        flag = _parse_bool_value(value)
        if flag is None:
            raise _bad("value", "filter_rows", f"true or false for the true/false column {column!r}", value)
        return flag
    if _is_number(s):
        try:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        except (TypeError, ValueError):
            raise _bad("value", "filter_rows", f"a number for the numeric column {column!r}", value) from None
    if pd.api.types.is_datetime64_any_dtype(s):
        return _as_timestamp(s, value, column, "filter_rows")
    return str(value)


def _drop_missing_target(df: pd.DataFrame, params: dict) -> _Done:
    column = params["column"]
    if column not in df.columns:
        return _Done(df, f"Skipped: the target {column} is not in this table.", skipped=True)
    missing = df[column].isna().to_numpy()
    removed = int(missing.sum())
    if not removed:
        return _Done(df, f"No row is missing the target {column}.")
    return _Done(_keep_rows(df, ~missing), f"Removed {_count(removed, 'row')} where the target {column} is missing.")


# --------------------------------------------------------------------------------------
# Describing steps (one line each for the UI's step list)
# --------------------------------------------------------------------------------------


def describe_step(step: CleaningStep) -> str:
    """One plain line, e.g. "Fill missing satisfaction_score with the median (7)"."""
    spec = _OPS.get(step.op)
    if spec is None:
        return f"Unknown step {step.op!r}"
    try:
        text = spec.describe(step.params or {})
    except (KeyError, TypeError, AttributeError, ValueError, ConfigError):
        text = f"{step.op} (incomplete parameters)"
    return text + (" (training data only)" if spec.removes_rows else "")


def _describe_impute(p: dict) -> str:
    strategy, value, col = p.get("strategy", "median"), p.get("value"), p["column"]
    if strategy == "indicator":
        fill = f"{_fmt(value)}" if value is not None else "the median or most frequent value"
        return f"Fill missing {col} with {fill} and flag them in {col}{MISSING_FLAG_SUFFIX}"
    if strategy == "constant":
        return f"Fill missing {col} with {_fmt(value)}"
    how = {"median": "the median", "mean": "the mean", "mode": "the most frequent value"}[strategy]
    return f"Fill missing {col} with {how}" + (f" ({_fmt(value)})" if value is not None else " (learned when applied)")


def _describe_bounds(verb: str, p: dict) -> str:
    lower, upper = p.get("lower"), p.get("upper")
    how = ""
    method = p.get("method")
    if method in OUTLIER_METHODS:
        k = _fmt(p.get("k", OUTLIER_METHODS[method]))
        how = f" ({k} × IQR fences)" if method == "iqr" else f" ({k} standard deviations from the mean)"
    if verb == "clip":
        where = (f"the range {_range_words(lower, upper)}" if lower is not None and upper is not None
                 else f"at least {_fmt(lower)}" if lower is not None else f"at most {_fmt(upper)}")
        return f"Clip {p['column']} to {where}{how}"
    where = (f"outside {_range_words(lower, upper)}" if lower is not None and upper is not None
             else f"below {_fmt(lower)}" if lower is not None else f"above {_fmt(upper)}")
    return f"Drop rows with {p['column']} {where}{how}"


def _describe_group_rare(p: dict) -> str:
    label = p.get("other_label", "Other")
    if p.get("keep") is None:
        return f"Group {p['column']} categories under {100 * p.get('min_share', RARE_MIN_SHARE):g}% of values into {label!r}"
    return f"Group {p['column']} categories other than the {len(p['keep'])} common ones into {label!r}"


def _describe_to_numeric(p: dict) -> str:
    decimal = p.get("decimal", ".")
    marks = ["decimal comma" if decimal == "," else "decimal point"]
    if p.get("thousands") is not None:
        marks.append(f"thousands separator {p['thousands']!r}")
    return f"Convert {_names(_column_list(p, 'to_numeric'))} to numbers ({', '.join(marks)})"


def _describe_unify(p: dict) -> str:
    mapping = p.get("mapping") or {}
    example = next(iter(mapping.items()), None)
    return (f"Unify {_count(len(mapping), 'spelling')} in {p['column']}"
            + (f" (e.g. {example[0]!r} -> {example[1]!r})" if example else ""))


def _describe_dedupe(p: dict) -> str:
    subset = p.get("subset", p.get("columns"))
    return "Drop duplicate rows" if subset is None else f"Drop rows repeating the {_names([subset] if isinstance(subset, str) else subset)} of an earlier row"


def _condition_words(column: str, op: str, value: Any) -> str:
    if op == "is_missing":
        return f"{column} is missing"
    if op == "not_missing":
        return f"{column} is not missing"
    if op in ("in", "not_in"):
        values = ", ".join(_fmt(v) for v in value[:5]) + (", …" if len(value) > 5 else "")
        return f"{column} is {'' if op == 'in' else 'not '}one of {values}"
    return f"{column} {op} {_fmt(value)}"


# --------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Op:
    apply: Callable[[pd.DataFrame, dict], _Done]
    validate: Callable[[dict, str], None]
    describe: Callable[[dict], str]
    removes_rows: bool = False


_OPS: dict[str, _Op] = {
    "drop_columns": _Op(_drop_columns, _validate_columns,
                        lambda p: f"Drop {_names(_column_list(p, 'drop_columns'))}"),
    "rename_columns": _Op(_rename_columns, _validate_rename,
                          lambda p: "Rename " + ", ".join(f"{o} to {n}" for o, n in p["mapping"].items())),
    "to_numeric": _Op(_to_numeric, _validate_to_numeric, _describe_to_numeric),
    "to_datetime": _Op(_to_datetime, _validate_to_datetime,
                       lambda p: f"Convert {_names(_column_list(p, 'to_datetime'))} to dates"
                                 + (f" (format {p['format']})" if p.get("format") else " (format detected)")),
    "to_boolean": _Op(_to_boolean, _validate_to_boolean,
                      lambda p: f"Convert {_names(_column_list(p, 'to_boolean'))} to true/false"
                                + (" (empty means false)" if p.get("missing_as_false") else "")),
    "trim_whitespace": _Op(_trim_whitespace, _validate_columns,
                           lambda p: f"Trim stray spaces in {_names(_column_list(p, 'trim_whitespace'))}"),
    "unify_categories": _Op(_unify_categories, _validate_unify, _describe_unify),
    "group_rare": _Op(_group_rare, _validate_group_rare, _describe_group_rare),
    "impute": _Op(_impute, _validate_impute, _describe_impute),
    "clip_outliers": _Op(_clip_outliers, _validate_bounds, lambda p: _describe_bounds("clip", p)),
    "drop_outlier_rows": _Op(_drop_outlier_rows, _validate_bounds, lambda p: _describe_bounds("drop", p), True),
    "drop_duplicates": _Op(_drop_duplicates, _validate_drop_duplicates, _describe_dedupe, True),
    "filter_rows": _Op(_filter_rows, _validate_filter,
                       lambda p: f"Keep rows where {_condition_words(p['column'], p['operator'], p.get('value'))}", True),
    "drop_missing_target": _Op(_drop_missing_target, _validate_target,
                               lambda p: f"Drop rows without a value for the target {p['column']}", True),
}
OPS = tuple(_OPS)
ROW_REMOVING_OPS = frozenset(op for op, spec in _OPS.items() if spec.removes_rows)
_ROW_OP_LABELS = {
    "drop_duplicates": "drop duplicate rows",
    "drop_outlier_rows": "drop rows with impossible values",
    "drop_missing_target": "drop rows without a target",
    "filter_rows": "filter rows",
}


def summarize_reports(reports: list[StepReport]) -> str:
    """One paragraph: what changed, what was skipped and why, how many steps found nothing to do."""
    applied = [r.summary for r in reports if r.status == "applied"]
    skipped = [r.summary for r in reports if r.status == "skipped"]
    idle = sum(r.status == "no_change" for r in reports)
    parts = applied + skipped
    if idle:
        parts.append(f"{_count(idle, 'step')} found nothing to change.")
    if not reports:
        return "The recipe has no steps; the table is unchanged."
    rows_before, rows_after = reports[0].rows_before, reports[-1].rows_after
    parts.append(f"The table went from {rows_before:,} to {rows_after:,} rows." if rows_before != rows_after
                 else f"Every row was kept ({rows_after:,} in all).")
    return " ".join(parts)


# --------------------------------------------------------------------------------------
# Step factories: resolve every parameter from the (training) data now
# --------------------------------------------------------------------------------------


def make_outlier_step(df: pd.DataFrame, column: str, method: str = "iqr", k: float | None = None,
                      action: str = "clip") -> CleaningStep:
    """A clip_outliers (action "clip") or drop_outlier_rows ("drop") step with bounds computed now.

    iqr: Q1 - k·IQR to Q3 + k·IQR (k defaults to 1.5); zscore: mean ± k·std (k defaults to 3).
    """
    op = "outliers"
    if method not in OUTLIER_METHODS:
        raise _bad("method", op, "'iqr' or 'zscore'", method)
    if action not in OUTLIER_ACTIONS:
        raise _bad("action", op, "'clip' or 'drop'", action)
    k = OUTLIER_METHODS[method] if k is None else k
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not k > 0:
        raise _bad("k", op, "a positive number", k)
    s = _existing_column(df, column, op)
    if not _is_number(s):
        raise _bad("column", op, "a numeric column", f"{column} ({s.dtype})")
    x = s.dropna().to_numpy(dtype="float64")
    if len(x) < 2:
        raise ConfigError(f"{column} has fewer than 2 values, so outliers cannot be told apart; choose another column.")
    if method == "iqr":
        q1, q3 = np.quantile(x, [0.25, 0.75])
        spread, low, high = q3 - q1, q1, q3
        why = "its middle half of values are all equal (the IQR is 0)"
    else:
        spread, low = float(np.std(x, ddof=1)), float(np.mean(x))
        high = low
        why = "all its values are equal (the standard deviation is 0)"
    if not spread > 0:
        raise ConfigError(f"{column}: {why}, so every other value would be an outlier; "
                          "use the other method or clip with bounds of your own.")
    params = {"column": column, "lower": _native(float(low - k * spread)), "upper": _native(float(high + k * spread)),
              "method": method, "k": _native(float(k))}
    return CleaningStep(OUTLIER_ACTIONS[action], params)


def make_impute_step(df: pd.DataFrame, column: str, strategy: str = "median", value: Any = None) -> CleaningStep:
    """An impute step with its fill value computed now (or the given constant)."""
    params = {"column": column, "strategy": strategy, "value": value}
    _validate_impute(params, "impute")
    s = _existing_column(df, column, "impute")
    if value is None:
        learned = _indicator_strategy(s) if strategy == "indicator" else strategy
        params["value"] = _fill_value(s, learned)
        if params["value"] is None:
            raise ConfigError(f"{column} has no values to compute the {learned} from; fill it with a constant or drop it.")
    return CleaningStep("impute", params)


def make_group_rare_step(df: pd.DataFrame, column: str, min_share: float = RARE_MIN_SHARE,
                         other_label: str = "Other") -> CleaningStep:
    """A group_rare step whose `keep` list (categories with >= min_share of values) is fixed now."""
    params = {"column": column, "min_share": min_share, "other_label": other_label}
    _validate_group_rare(params, "group_rare")
    s = _existing_column(df, column, "group_rare")
    if not is_text(s):
        raise _bad("column", "group_rare", "a text (category) column", f"{column} ({s.dtype})")
    params["keep"] = get_common_categories(s, min_share)
    return CleaningStep("group_rare", params)


def _existing_column(df: pd.DataFrame, column: str, op: str) -> pd.Series:
    if column not in df.columns:
        raise _bad("column", op, f"a column of the table ({_names(list(df.columns)[:10])}…)", column)
    return df[column]


# --------------------------------------------------------------------------------------
# Suggesting a recipe
# --------------------------------------------------------------------------------------


def suggest_recipe(df: pd.DataFrame, target: str | None, read_info: dict | Any | None = None) -> CleaningRecipe:
    """The safe suggested steps (see `suggest_cleaning`; the offers are left out)."""
    return suggest_cleaning(df, target, read_info).recipe


# Where each kind of step sits in a suggested recipe; an offered step the user adds goes to its place.
_SUGGESTION_ORDER = ("drop_missing_target", "drop_duplicates", "trim_whitespace", "unify_categories", "to_numeric",
                     "group_rare", "drop_outlier_rows", "drop_columns", "impute")


def suggest_cleaning(df: pd.DataFrame, target: str | None, read_info: dict | Any | None = None) -> CleaningSuggestion:
    """Propose steps with every parameter resolved from `df`, so a replay is deterministic.

    Each step is simulated on a working copy, so later parameters (e.g. a median) are computed
    on the data as the earlier steps leave it. A step that would remove more than 5 % of the rows
    (all suggested removals together), drop a column or turn more than 5 % of a column's values
    into missing is not applied: it goes to `.offers` with what it would do and why. Rows without
    a target are always dropped (no model can learn from them); the step's report counts them.
    Yes/no columns stay categories: a to_boolean step is only added when the user asks for it.

    `read_info` (a `ReadInfo` or its dict, as saved with the raw dataset) gives the decimal mark
    and thousands separator the reader detected; number conversions use them.
    """
    if target is not None and target not in df.columns:
        raise ConfigError(f"The target {target!r} is not a column of the table; choose one of: {_names(df.columns[:20])}.")
    recipe, work, offers = CleaningRecipe(), df, []
    rows = len(df)
    removed = 0  # rows removed unasked, besides those without a target

    def add(step: CleaningStep) -> None:
        nonlocal recipe, work
        recipe = recipe.with_step(step)
        work = _run_step(work, step, training=True)[0]

    def consider(step: CleaningStep, why: str | Callable[[], str]) -> None:
        """Add the step if it is safe; otherwise offer it, saying `why` (a callable: worded only if needed)."""
        nonlocal recipe, work, removed
        after = _run_step(work, step, training=True)[0]
        gone = len(work) - len(after)
        dropped = tuple(str(c) for c in work.columns if c not in after.columns)
        lost = get_values_turned_missing(work, after, step)
        blanked = sum(n for present, n in lost.values() if n > SAFE_MISSING_SHARE * present)
        if dropped or blanked or removed + gone > SAFE_ROW_SHARE * rows:
            offers.append(CleaningOffer(step, why() if callable(why) else why, len(work), gone, dropped,
                                        sum(n for _, n in lost.values())))
            return
        recipe, work, removed = recipe.with_step(step), after, removed + gone

    if target is not None and work[target].isna().any():
        add(CleaningStep("drop_missing_target", {"column": str(target)}))
    duplicated = find_duplicated(work) if len(work) else pd.Series(dtype=bool)
    if duplicated.any():
        consider(CleaningStep("drop_duplicates", {}), lambda: _why_duplicates(work, duplicated, target))
    stray = [str(c) for c in work.columns if _has_stray_spaces(work[c])]
    if stray:
        add(CleaningStep("trim_whitespace", {"columns": stray}))
    for col in work.columns:
        s = work[col]
        if is_text(s) and s.nunique() < 0.5 * max(s.notna().sum(), 1):  # not IDs / free text
            mapping = get_spelling_variants(s)
            if mapping:
                add(CleaningStep("unify_categories", {"column": str(col), "mapping": mapping}))
    for step, why in _number_conversions(work, target, read_info):
        consider(step, why)
    for col in work.columns:
        if col != target and _has_long_rare_tail(work[col]):
            add(make_group_rare_step(work, str(col)))
    classification = target is not None and is_classification_target(work[target])
    for col in work.columns:
        if col == target and classification:
            continue
        bounds = find_impossible_bounds(work[col])
        if bounds is not None:
            step = CleaningStep("drop_outlier_rows", {"column": str(col), "lower": bounds[0], "upper": bounds[1]})
            consider(step, f"A few {col} values lie far outside all the others (codes such as -999, or typing "
                           f"errors), but with the other suggested removals more than {SAFE_ROW_SHARE:.0%} of the "
                           "rows would go; add it, or clip the values instead, if they are impossible.")
    empty = [str(c) for c in work.columns if c != target and len(work) and work[c].isna().all()]
    if empty:
        consider(CleaningStep("drop_columns", {"columns": empty}),
                 "They hold no value at all, so no model can learn from them; the pipeline ignores them if kept.")
    for col in work.columns:
        if col == target or not work[col].isna().any() or work[col].isna().all():
            continue
        strategy, value = _suggest_fill(work[col])
        add(CleaningStep("impute", {"column": str(col), "strategy": strategy, "value": value}))
    return CleaningSuggestion(recipe, tuple(offers))


def _why_duplicates(df: pd.DataFrame, duplicated: pd.Series, target: str | None) -> str:
    """Why dropping exact duplicates is only offered: an ID says they are copies, or nothing does."""
    ids = [str(c) for c in df.columns if c != target and looks_like_id(df.loc[~duplicated.to_numpy(), c])]
    if ids:
        return (f"The copies repeat even {ids[0]}, which differs from one record to the next, so each is the "
                "same record exported again; removing that many rows changes the table a lot, so it is yours to decide.")
    return ("No ID column tells these rows apart, and in a table of a few categories identical rows are usually "
            "different records with the same values (passengers of the same class, sex and age); dropping them "
            "would change what the model learns. Add it only if the rows are copies of one record.")


def _number_conversions(df: pd.DataFrame, target: str | None,
                        read_info: dict | Any | None) -> list[tuple[CleaningStep, str]]:
    """to_numeric steps for columns of numbers stored as text, in the number format the reader detected.

    Columns that convert (nearly) cleanly share one step per number format; a column that would
    lose more than 5 % of its values gets a step of its own (offered, with the reason); one that
    would lose most of them is left as text.
    """
    clean: dict[tuple[str, str | None], list[str]] = {}
    lossy = []
    for col in df.columns:
        if col == target or not _is_numeric_text(df[col]):
            continue
        s = df[col]
        decimal, thousands = get_number_format(s, read_info)
        numbers = parse_numbers(s, decimal, thousands)
        present = s.notna() & (_as_plain_text(s).str.strip() != "").fillna(False).astype(bool)
        unreadable = present & numbers.isna()
        lost, n = int(unreadable.sum()), int(present.sum())
        if lost <= SAFE_MISSING_SHARE * n:
            clean.setdefault((decimal, thousands), []).append(str(col))
        elif lost <= MOSTLY_MISSING_SHARE * n:
            step = CleaningStep("to_numeric", {"columns": [str(col)], "decimal": decimal, "thousands": thousands})
            lossy.append((step, f"{col} holds numbers, but {lost:,} of {n:,} values are not numbers "
                                f"(e.g. {_examples(s[unreadable])}) and would become missing values; add it if "
                                "those values mean 'unknown', or fix them in the file."))
    steps = [(CleaningStep("to_numeric", {"columns": columns, "decimal": decimal, "thousands": thousands}), "")
             for (decimal, thousands), columns in clean.items()]
    return steps + lossy


_NUMBER_FORMATS = ((".", None), (",", None), (".", ","), (",", "."), (".", " "), (",", " "), (".", "'"))


def get_number_format(s: pd.Series, read_info: dict | Any | None = None) -> tuple[str, str | None]:
    """(decimal mark, thousands separator) for a text column of numbers: the reader's when it detected
    one and it reads the column; otherwise the format that reads most of its values. `read_info`: a
    `ReadInfo` or its dict, as saved with the raw dataset."""
    detected = _detected_number_format(read_info)
    candidates = ([detected] if detected else []) + [f for f in _NUMBER_FORMATS if f != detected]
    values = pd.Series(_as_plain_text(s).dropna().unique(), dtype="str")
    best, best_read = candidates[0], -1
    for decimal, thousands in candidates:
        read = int(parse_numbers(values, decimal, thousands).notna().sum())
        if (decimal, thousands) == detected and read >= (1 - SAFE_MISSING_SHARE) * len(values):
            return detected
        if read > best_read:
            best, best_read = (decimal, thousands), read
    return best


def _detected_number_format(read_info: dict | Any | None) -> tuple[str, str | None] | None:
    if read_info is None:
        return None
    get = read_info.get if isinstance(read_info, dict) else lambda key, default=None: getattr(read_info, key, default)
    decimal = get("decimal")
    if decimal not in DECIMAL_MARKS:
        return None  # Excel and Parquet store numbers as numbers: no format was detected
    thousands = get("thousands")
    thousands = " " if thousands in ("\u00a0", "\u202f") else thousands  # parse_numbers reads every space as ' '
    return decimal, thousands if thousands in THOUSANDS_SEPARATORS and thousands != decimal else None


def with_offer(recipe: CleaningRecipe, offer: CleaningOffer | CleaningStep) -> CleaningRecipe:
    """The recipe with an offered step added where a suggestion would have put it (e.g. drop duplicates
    before the fills), so it does what its offer said."""
    step = offer.step if isinstance(offer, CleaningOffer) else offer
    rank = _suggestion_rank(step.op)
    at = next((i for i, s in enumerate(recipe.steps) if _suggestion_rank(s.op) > rank), len(recipe.steps))
    return CleaningRecipe(recipe.steps[:at] + (step,) + recipe.steps[at:])


def _suggestion_rank(op: str) -> int:
    return _SUGGESTION_ORDER.index(op) if op in _SUGGESTION_ORDER else len(_SUGGESTION_ORDER)


def describe_offers(offers: Any) -> list[str]:
    """One plain sentence per offered step, e.g. for the CLI's JSON `warnings`."""
    return [offer.sentence() for offer in offers]


def get_cleaning_warnings(reports: list[StepReport], offers: Any = ()) -> list[str]:
    """Plain sentences for what cleaning did that a user must know: rows removed, values turned
    missing, and the steps only offered (not applied)."""
    notes = []
    for report in reports:
        if report.status == "applied" and report.rows_after < report.rows_before:
            gone = report.rows_before - report.rows_after
            notes.append(f"Cleaning removed {gone:,} of {report.rows_before:,} rows "
                         f"({_percent(gone, report.rows_before)}): {report.summary}")
        if report.warning:
            notes.append(report.warning)
    return notes + describe_offers(offers)


def _is_numeric_text(s: pd.Series) -> bool:
    if not is_text(s) or s.notna().sum() == 0:
        return False
    share, _ = numeric_text_share(s)
    if share < NUMERIC_AS_TEXT_SHARE:
        return False
    return not has_leading_zero_codes(s)  # zip codes stay text


def _has_stray_spaces(s: pd.Series) -> bool:
    """Some non-blank text value has leading/trailing spaces or a run of inner spaces."""
    if not is_text(s):
        return False
    values = pd.Series(_as_plain_text(s).dropna().unique(), dtype="str")
    values = values[values.str.strip() != ""]  # blank cells are to_numeric's / impute's business
    return bool(values.size and ((values != values.str.strip()) | values.str.contains(_SPACE_RUN, regex=True)).any())


def _has_long_rare_tail(s: pd.Series) -> bool:
    """A category column (> 20 levels, not an ID) whose tail of levels each under 1 % is worth grouping."""
    if not is_text(s) or is_named_like_id(s.name) or looks_like_identifier(s):
        return False
    counts = _as_plain_text(s).value_counts()
    present = int(counts.sum())
    if len(counts) <= RARE_MIN_LEVELS or len(counts) >= 0.5 * present:
        return False
    common = counts[counts / present >= RARE_MIN_SHARE]
    return len(common) >= 2 and len(counts) - len(common) >= 2 and common.sum() >= 0.5 * present


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


def find_impossible_bounds(s: pd.Series) -> tuple[float | None, float | None] | None:
    """(lower, upper) keeping plausible values, or None. Values outside are "impossible":

    - rare negative codes (-1, -99, -999...) in an otherwise non-negative column, and
    - rare values beyond the 1.5 IQR fences separated from all other values by a wide gap on a
      log scale (at least 5x, and 40 % of the bulk's log span): tenure 999 when the rest is
      0-72, a charge of 9999 when the rest is 18-119. A long natural tail has no such gap.
    """
    if not _is_number(s):
        return None
    x = s.dropna().to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 20:
        return None
    lower = upper = None
    negatives = np.unique(x[x < 0])
    if 0 < (x < 0).sum() <= SENTINEL_MAX_SHARE * n and set(negatives) <= SENTINEL_NEGATIVES:
        lower = 0.0
        x = x[x >= 0]
    q1, q3 = np.quantile(x, [0.25, 0.75])
    iqr = q3 - q1
    if iqr > 0:
        fence_lo, fence_hi = q1 - 1.5 * iqr, q3 + 1.5 * iqr
        t = _slog(x)
        bulk = t[(x >= fence_lo) & (x <= fence_hi)]
        min_gap = max(OUTLIER_GAP_OF_SPAN * (bulk.max() - bulk.min()), math.log(OUTLIER_MIN_RATIO))
        cut = _gap_cut(np.unique(t[x > fence_hi]), bulk.max(), min_gap, t, n, upper_side=True)
        if cut is not None:
            upper = _between(*cut)
        cut = _gap_cut(-np.unique(t[x < fence_lo])[::-1], -bulk.min(), min_gap, -t, n, upper_side=False)
        if cut is not None:
            lower = _between(-cut[1], -cut[0])
    if lower is None and upper is None:
        return None
    return lower, upper


def _gap_cut(candidates: np.ndarray, edge: float, min_gap: float, t: np.ndarray, n: int,
             upper_side: bool) -> tuple[float, float] | None:
    """Walk outwards from the bulk edge; the first wide gap with few values beyond it is the cut."""
    previous = edge
    for value in np.sort(candidates):
        if value - previous >= min_gap and (t >= value).sum() <= OUTLIER_MAX_SHARE * n:
            return previous, value
        previous = value
    return None


def _between(plausible_t: float, impossible_t: float) -> float:
    """A round bound halfway (log scale) between the last plausible and the first impossible value."""
    a, b = sorted((_unslog(plausible_t), _unslog(impossible_t)))
    mid = _unslog((plausible_t + impossible_t) / 2)
    for digits in (1, 2, 3, 6):
        rounded = float(f"{mid:.{digits}g}")
        if a < rounded < b:
            return rounded
    return float(mid)


def _slog(x: np.ndarray | float) -> Any:
    return np.sign(x) * np.log1p(np.abs(x))


def _unslog(t: float) -> float:
    return float(np.sign(t) * np.expm1(abs(t)))


def _suggest_fill(s: pd.Series) -> tuple[str, Any]:
    if pd.api.types.is_datetime64_any_dtype(s):
        median = s.dropna().sort_values().iloc[len(s.dropna()) // 2]
        return "median", median.isoformat()
    if _is_number(s):
        values = s.dropna()
        if values.nunique() <= 2:  # 0/1 flags: the median of a flag is the mode anyway
            return "mode", _native(values.mode().iloc[0])
        return "median", _native(values.median())
    values = s.dropna()
    if is_text(s) and values.nunique() > 0.5 * len(values):  # IDs / free text: no meaningful mode
        return "constant", "(missing)"
    return "mode", _native(_fill_value(s, "mode"))


def _fill_value(s: pd.Series, strategy: str) -> Any:
    values = s.dropna()
    if values.empty or strategy == "constant":
        return None
    if strategy == "mode":
        counts = values.value_counts()
        top = counts[counts == counts.iloc[0]].index
        return _native(sorted(top, key=str)[0])  # ties broken alphabetically: deterministic
    if pd.api.types.is_datetime64_any_dtype(s):
        return (values.sort_values().iloc[len(values) // 2]).isoformat()
    if not _is_number(s):
        raise ConfigError(f"The {strategy} of {s.name!r} cannot be computed because it is not numeric; use strategy 'mode' or 'constant'.")
    return _native(values.median() if strategy == "median" else values.mean())


def _fill(s: pd.Series, value: Any, column: str) -> pd.Series:
    """`s` with its gaps filled by `value`, converted to the column's type."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.fillna(_as_timestamp(s, value, column, "impute"))
    if pd.api.types.is_bool_dtype(s):
        flag = _parse_bool_value(value)
        if flag is None:
            raise _bad("value", "impute", f"true or false for the true/false column {column!r}", value)
        return s.astype("boolean").fillna(flag)
    if _is_number(s):
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            raise _bad("value", "impute", f"a number for the numeric column {column!r}", value) from None
        if pd.api.types.is_integer_dtype(s) and not number.is_integer():
            s = s.astype("float64")  # a mean of 7.5 cannot go into whole numbers
        return s.fillna(int(number) if pd.api.types.is_integer_dtype(s) else number)
    if isinstance(s.dtype, pd.CategoricalDtype) and value not in s.cat.categories:
        s = s.cat.add_categories([value])
    return s.fillna(str(value) if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s) else value)


def _as_timestamp(s: pd.Series, value: Any, column: str, op: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
        if pd.isna(stamp) or isinstance(value, (bool, int, float)):
            raise ValueError
    except (ValueError, TypeError):
        raise _bad("value", op, f"a date such as '2024-01-31' for the date column {column!r}", value) from None
    if s.dt.tz is not None and stamp.tzinfo is None:
        stamp = stamp.tz_localize(s.dt.tz)
    elif s.dt.tz is None and stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return stamp


def _parse_bool_value(value: Any) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    key = str(value).strip().casefold()
    return True if key in TRUE_SPELLINGS else False if key in FALSE_SPELLINGS else None


# --------------------------------------------------------------------------------------
# Before / after
# --------------------------------------------------------------------------------------


def get_before_after_df(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per column: missing, distinct and dtype before/after cleaning, plus a first "(rows)" line.

    On the "(rows)" line, `missing_*` is the table's total of missing cells and `distinct_*`
    is the number of rows. `change` says in words what happened.
    """
    records = [{
        "column": "(rows)", "dtype_before": "", "dtype_after": "",
        "missing_before": int(before.isna().sum().sum()), "missing_after": int(after.isna().sum().sum()),
        "distinct_before": len(before), "distinct_after": len(after),
        "change": _row_change(len(before), len(after)),
    }]
    for col in list(before.columns) + [c for c in after.columns if c not in before.columns]:
        b = before[col] if col in before.columns else None
        a = after[col] if col in after.columns else None
        record = {
            "column": str(col),
            "dtype_before": str(b.dtype) if b is not None else "",
            "dtype_after": str(a.dtype) if a is not None else "",
            "missing_before": int(b.isna().sum()) if b is not None else pd.NA,
            "missing_after": int(a.isna().sum()) if a is not None else pd.NA,
            "distinct_before": int(b.nunique()) if b is not None else pd.NA,
            "distinct_after": int(a.nunique()) if a is not None else pd.NA,
        }
        record["change"] = _column_change(record, b is not None, a is not None)
        records.append(record)
    result = pd.DataFrame(records)
    for col in ("missing_before", "missing_after", "distinct_before", "distinct_after"):
        result[col] = result[col].astype("Int64")
    return result


def _row_change(before: int, after: int) -> str:
    if before == after:
        return f"{after:,} rows, none removed"
    return f"{before:,} -> {after:,} rows ({before - after:,} removed)"


def _column_change(r: dict[str, Any], had: bool, has: bool) -> str:
    if not has:
        return "dropped"
    if not had:
        return "added"
    parts = []
    if r["dtype_before"] != r["dtype_after"]:
        parts.append(f"type {r['dtype_before']} -> {r['dtype_after']}")
    if r["missing_after"] < r["missing_before"]:
        parts.append(f"{r['missing_before'] - r['missing_after']:,} fewer missing")
    elif r["missing_after"] > r["missing_before"]:
        parts.append(f"{r['missing_after'] - r['missing_before']:,} more missing")
    if r["distinct_after"] < r["distinct_before"]:
        parts.append(f"{r['distinct_before'] - r['distinct_after']:,} fewer distinct values")
    return "; ".join(parts) or "unchanged"


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _with_column(df: pd.DataFrame, column: str, values: Any) -> pd.DataFrame:
    """A new frame with one column replaced (copy-on-write: the other columns are shared)."""
    out = df.copy(deep=False)
    out[column] = values
    return out


def _keep_rows(df: pd.DataFrame, keep: np.ndarray | pd.Series) -> pd.DataFrame:
    return df[np.asarray(keep, dtype=bool)]


def _is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _as_plain_text(s: pd.Series) -> pd.Series:
    """Category columns as text, so new labels ("Other", a canonical spelling) can be written."""
    return s.astype("str").where(s.notna()) if isinstance(s.dtype, pd.CategoricalDtype) else s


def _map_text_values(s: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a text transform once per distinct value (columns repeat values a lot); non-text cells stay."""
    codes, uniques = pd.factorize(_as_plain_text(s), use_na_sentinel=True)
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


def _skip_absent(df: pd.DataFrame, column: str) -> _Done:
    return _Done(df, f"Skipped: column {column} is not in this table.", skipped=True)


def _absent_note(absent: list[str]) -> str:
    if not absent:
        return ""
    return f" Skipped {_names(absent)}: not in this table."


def _examples(values: pd.Series, n: int = 3) -> str:
    """"'n/a', 'abc'": the most frequent of the offending values."""
    counts = values.astype("str").value_counts()
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]  # ties alphabetically: stable wording
    return ", ".join(repr(str(v)) for v, _ in top)


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def _range_words(lower: float | None, upper: float | None) -> str:
    if lower is not None and upper is not None:
        return f"{_fmt(lower)} to {_fmt(upper)}"
    if lower is not None:
        return f"{_fmt(lower)} and above"
    return f"up to {_fmt(upper)}"


def _names(names: Any) -> str:
    return ", ".join(str(n) for n in names)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _first_lower(text: str) -> str:
    """"Drop duplicate rows" -> "drop duplicate rows" (column names later in the text keep their case)."""
    return text[:1].lower() + text[1:]


def _percent(part: int, whole: int) -> str:
    share = 100 * part / max(whole, 1)
    return f"{share:.1f}%" if share < 99.95 else "100%"


def _native(value: Any) -> Any:
    """JSON-friendly Python value (no numpy scalars, integral floats as ints)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _fmt(value: Any) -> str:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        value = float(value)
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) >= 1 else f"{value:.4g}"
    return repr(value) if isinstance(value, str) else str(value)
