"""Cleaning as a replayable recipe: a list of steps whose every parameter is resolved from data.

`suggest_recipe` looks at the training table and writes down concrete decisions (the fill
value, the outlier bounds, the spelling mapping). `apply_recipe` replays exactly those
decisions on any table: the training data, a production batch (`training=False`: rows are
never removed, values are still transformed), a retraining set or a `--test` file. A recipe
is plain JSON (`to_dict` / `from_dict`), so it is saved with its lineage.
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.profiling import (
    get_spelling_variants,
    has_leading_zero_codes,
    is_classification_target,
    is_text,
    normalize_spelling,
    numeric_text_share,
    NUMERIC_AS_TEXT_SHARE,
)

IMPUTE_STRATEGIES = ("median", "mean", "mode", "constant")
ROW_REMOVING_OPS = frozenset({"drop_duplicates", "drop_outlier_rows", "drop_missing_target"})
SENTINEL_NEGATIVES = frozenset({-1.0, -9.0, -99.0, -999.0, -9999.0, -99999.0})
SENTINEL_MAX_SHARE = 0.005  # negative codes in at most 0.5 % of rows of an otherwise >= 0 column
OUTLIER_MAX_SHARE = 0.01  # "impossible" values are rare; a common tail is real data
OUTLIER_MIN_RATIO = 5.0  # an impossible value is >= 5x beyond the largest plausible one (log scale gap)
OUTLIER_GAP_OF_SPAN = 0.4  # ... and the gap is >= 40 % of the bulk's log-scale span


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
        op = str(d["op"])
        _check_op(op)
        params = d.get("params") or {}
        if not isinstance(params, dict):
            raise ConfigError(f"The 'params' of cleaning step {op!r} must be an object; got {params!r} instead.")
        return cls(op, copy.deepcopy(params))


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


# --------------------------------------------------------------------------------------
# Applying a recipe
# --------------------------------------------------------------------------------------


def apply_recipe(
    df: pd.DataFrame, recipe: CleaningRecipe, *, training: bool = True
) -> tuple[pd.DataFrame, list[StepReport]]:
    """Replay every step in order. training=False (new data to score) never removes rows."""
    for step in recipe.steps:
        _check_op(step.op)
    reports = []
    for step in recipe.steps:
        rows_before = len(df)
        df, summary, changed = _apply_step(df, step, training)
        reports.append(StepReport(step.op, summary, rows_before, len(df), int(changed)))
    return df.reset_index(drop=True), reports


def _apply_step(df: pd.DataFrame, step: CleaningStep, training: bool) -> tuple[pd.DataFrame, str, int]:
    if step.op in ROW_REMOVING_OPS and not training:
        return df, f"Skipped on new data ({_OP_LABELS[step.op]}): rows are only removed when training.", 0
    return _OPS[step.op](df, dict(step.params))


def _check_op(op: str) -> None:
    if op not in _OPS:
        raise ConfigError(f"Unknown cleaning step {op!r}; use one of: {', '.join(_OPS)}.")


def _drop_duplicates(df: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, str, int]:
    subset = params.get("columns")
    if subset is not None:
        subset = [c for c in _column_list(params, "drop_duplicates") if c in df.columns] or None
    duplicated = find_duplicated(df if subset is None else df[subset])
    removed = int(duplicated.sum())
    if not removed:
        return df, "No duplicate rows found.", 0
    return df.loc[~duplicated], f"Removed {removed:,} duplicate row{'s' if removed != 1 else ''}.", 0


def _drop_columns(df: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, str, int]:
    columns = _column_list(params, "drop_columns")
    present = [c for c in columns if c in df.columns]
    absent = [c for c in columns if c not in df.columns]
    summary = f"Dropped {len(present)} column(s): {_names(present)}." if present else "No column dropped."
    return df.drop(columns=present), summary + _absent_note(absent), len(present) * len(df)


def _to_numeric(df: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, str, int]:
    columns = _column_list(params, "to_numeric")
    decimal = params.get("decimal", ".")
    parts, changed, absent = [], 0, [c for c in columns if c not in df.columns]
    for col in (c for c in columns if c in df.columns):
        s = df[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            parts.append(f"{col} is already numeric")
            continue
        text = s.astype("str").where(s.notna()).str.strip()
        if decimal == ",":
            text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
        lost = int((numbers.isna() & s.notna()).sum())
        changed += int(s.notna().sum())
        df = df.assign(**{col: numbers})
        parts.append(f"converted {col} to numbers" + (f" ({lost:,} blank or unreadable value(s) are now missing)" if lost else ""))
    summary = _sentence("; ".join(parts)) if parts else "No column converted."
    return df, summary + _absent_note(absent), changed


def _to_datetime(df: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, str, int]:
    columns = _column_list(params, "to_datetime")
    fmt = params.get("format")
    parts, changed, absent = [], 0, [c for c in columns if c not in df.columns]
    for col in (c for c in columns if c in df.columns):
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            parts.append(f"{col} already holds dates")
            continue
        dates = _parse_dates(s, fmt)
        lost = int((dates.isna() & s.notna()).sum())
        changed += int(s.notna().sum())
        df = df.assign(**{col: dates})
        parts.append(f"converted {col} to dates" + (f" ({lost:,} unreadable value(s) are now missing)" if lost else ""))
    summary = _sentence("; ".join(parts)) if parts else "No column converted."
    return df, summary + _absent_note(absent), changed


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


def _unify_categories(df: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, str, int]:
    column = _required(params, "column", "unify_categories")
    mapping = params.get("mapping")
    if not isinstance(mapping, dict):
        raise ConfigError(f"The 'mapping' of step 'unify_categories' must be an object {{variant: canonical}}; got {mapping!r} instead.")
    if column not in df.columns:
        return df, f"Skipped: column {column} is not in this table.", 0
    s = df[column]
    if not is_text(s):
        return df, f"Skipped: {column} does not hold text.", 0
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
        return df, f"No spelling variants found in {column}.", 0
    unified = s.replace(full)
    changed = int((s.notna() & (s != unified)).sum())
    examples = ", ".join(f"{k!r} -> {v!r}" for k, v in list(full.items())[:3])
    summary = (f"Unified {changed:,} {column} value{'s' if changed != 1 else ''} written in {len(full)} variant spelling(s) "
               f"into {len(set(full.values()))} categor{'ies' if len(set(full.values())) != 1 else 'y'} (e.g. {examples}).")
    return df.assign(**{column: unified}), summary, changed


def _clip_outliers(df: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, str, int]:
    column = _required(params, "column", "clip_outliers")
    lower, upper = _bound(params, "lower", "clip_outliers"), _bound(params, "upper", "clip_outliers")
    if column not in df.columns:
        return df, f"Skipped: column {column} is not in this table.", 0
    s = df[column]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return df, f"Skipped: {column} is not numeric.", 0
    outside = (s < lower if lower is not None else False) | (s > upper if upper is not None else False)
    changed = int(pd.Series(outside, index=s.index).sum())
    if not changed:
        return df, f"No {column} value lies outside {_range_words(lower, upper)}.", 0
    clipped = s.astype("float64").clip(lower=lower, upper=upper)
    if pd.api.types.is_integer_dtype(s) and np.all(np.mod(clipped.dropna(), 1) == 0):
        clipped = clipped.astype(s.dtype)
    return df.assign(**{column: clipped}), f"Clipped {changed:,} {column} value(s) to {_range_words(lower, upper)}.", changed


def _drop_outlier_rows(df: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, str, int]:
    column = _required(params, "column", "drop_outlier_rows")
    lower, upper = _bound(params, "lower", "drop_outlier_rows"), _bound(params, "upper", "drop_outlier_rows")
    if column not in df.columns:
        return df, f"Skipped: column {column} is not in this table.", 0
    s = df[column]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return df, f"Skipped: {column} is not numeric.", 0
    outside = pd.Series(False, index=s.index)
    if lower is not None:
        outside |= s < lower
    if upper is not None:
        outside |= s > upper
    removed = int(outside.sum())
    if not removed:
        return df, f"No row has {column} outside {_range_words(lower, upper)}.", 0
    examples = ", ".join(_fmt(v) for v in sorted(s[outside].unique())[:4])
    return df.loc[~outside], (f"Removed {removed:,} row{'s' if removed != 1 else ''} with impossible {column} values "
                              f"({examples}; kept {_range_words(lower, upper)})."), 0


def _impute(df: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, str, int]:
    column = _required(params, "column", "impute")
    strategy = params.get("strategy", "median")
    if strategy not in IMPUTE_STRATEGIES:
        raise ConfigError(f"The 'strategy' of step 'impute' must be one of {', '.join(IMPUTE_STRATEGIES)}; got {strategy!r} instead.")
    if column not in df.columns:
        return df, f"Skipped: column {column} is not in this table.", 0
    s = df[column]
    missing = int(s.isna().sum())
    if not missing:
        return df, f"No missing {column} values to fill.", 0
    value = params.get("value")
    if value is None:  # not resolved by suggest_recipe: learn it from this table
        value = _fill_value(s, strategy)
        if value is None:
            if strategy == "constant":
                raise ConfigError(f"The 'value' of step 'impute' on {column!r} must be given for strategy 'constant'.")
            return df, f"Skipped: {column} has no values to compute the {strategy} from.", 0
    fill = _coerce_fill(s, value, column)
    filled = s.fillna(fill)
    how = {"median": "the median", "mean": "the mean", "mode": "the most frequent value", "constant": "the value"}[strategy]
    return (df.assign(**{column: filled}),
            f"Filled {missing:,} missing {column} value{'s' if missing != 1 else ''} with {how}, {_fmt(value)}.", missing)


def _drop_missing_target(df: pd.DataFrame, params: dict) -> tuple[pd.DataFrame, str, int]:
    column = _required(params, "column", "drop_missing_target")
    if column not in df.columns:
        return df, f"Skipped: the target {column} is not in this table.", 0
    missing = df[column].isna()
    removed = int(missing.sum())
    if not removed:
        return df, f"No row is missing the target {column}.", 0
    return df.loc[~missing], f"Removed {removed:,} row{'s' if removed != 1 else ''} where the target {column} is missing.", 0


_OPS: dict[str, Callable[[pd.DataFrame, dict], tuple[pd.DataFrame, str, int]]] = {
    "drop_duplicates": _drop_duplicates,
    "drop_columns": _drop_columns,
    "to_numeric": _to_numeric,
    "to_datetime": _to_datetime,
    "unify_categories": _unify_categories,
    "clip_outliers": _clip_outliers,
    "drop_outlier_rows": _drop_outlier_rows,
    "impute": _impute,
    "drop_missing_target": _drop_missing_target,
}
_OP_LABELS = {
    "drop_duplicates": "drop duplicate rows",
    "drop_outlier_rows": "drop rows with impossible values",
    "drop_missing_target": "drop rows without a target",
}


# --------------------------------------------------------------------------------------
# Suggesting a recipe
# --------------------------------------------------------------------------------------


def suggest_recipe(df: pd.DataFrame, target: str | None) -> CleaningRecipe:
    """Propose steps with every parameter resolved from `df`, so a replay is deterministic.

    Each step is simulated on a working copy, so later parameters (e.g. a median) are
    computed on the data as the earlier steps leave it.
    """
    if target is not None and target not in df.columns:
        raise ConfigError(f"The target {target!r} is not a column of the table; choose one of: {_names(df.columns[:20])}.")
    recipe = CleaningRecipe()
    work = df

    def add(step: CleaningStep) -> None:
        nonlocal recipe, work
        recipe = recipe.with_step(step)
        work, _, _ = _apply_step(work, step, training=True)

    if target is not None and work[target].isna().any():
        add(CleaningStep("drop_missing_target", {"column": str(target)}))
    if len(work) and find_duplicated(work).any():
        add(CleaningStep("drop_duplicates", {}))
    for col in work.columns:
        s = work[col]
        if is_text(s) and s.nunique() < 0.5 * max(s.notna().sum(), 1):  # not IDs / free text
            mapping = get_spelling_variants(s)
            if mapping:
                add(CleaningStep("unify_categories", {"column": str(col), "mapping": mapping}))
    numeric_text = [str(c) for c in work.columns if c != target and _is_numeric_text(work[c])]
    if numeric_text:
        add(CleaningStep("to_numeric", {"columns": numeric_text}))
    classification = target is not None and is_classification_target(work[target])
    for col in work.columns:
        if col == target and classification:
            continue
        bounds = find_impossible_bounds(work[col])
        if bounds is not None:
            add(CleaningStep("drop_outlier_rows", {"column": str(col), "lower": bounds[0], "upper": bounds[1]}))
    empty = [str(c) for c in work.columns if c != target and len(work) and work[c].isna().all()]
    if empty:
        add(CleaningStep("drop_columns", {"columns": empty}))
    for col in work.columns:
        if col == target or not work[col].isna().any():
            continue
        strategy, value = _suggest_fill(work[col])
        add(CleaningStep("impute", {"column": str(col), "strategy": strategy, "value": value}))
    return recipe


def _is_numeric_text(s: pd.Series) -> bool:
    if not is_text(s) or s.notna().sum() == 0:
        return False
    share, _ = numeric_text_share(s)
    if share < NUMERIC_AS_TEXT_SHARE:
        return False
    return not has_leading_zero_codes(s)  # zip codes stay text


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
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
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
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
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
    if not pd.api.types.is_numeric_dtype(s):
        raise ConfigError(f"The {strategy} of {s.name!r} cannot be computed because it is not numeric; use strategy 'mode' or 'constant'.")
    return _native(values.median() if strategy == "median" else values.mean())


def _coerce_fill(s: pd.Series, value: Any, column: str) -> Any:
    if pd.api.types.is_datetime64_any_dtype(s):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            raise ConfigError(f"The fill value for date column {column!r} must be a date; got {value!r} instead.") from None
        if s.dt.tz is not None and stamp.tzinfo is None:
            stamp = stamp.tz_localize(s.dt.tz)
        return stamp
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"The fill value for numeric column {column!r} must be a number; got {value!r} instead.") from None
    return value


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


def _required(params: dict, key: str, op: str) -> Any:
    if params.get(key) in (None, ""):
        raise ConfigError(f"The '{key}' of step {op!r} must be given; got {params.get(key)!r} instead.")
    return params[key]


def _column_list(params: dict, op: str) -> list[str]:
    columns = params.get("columns")
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, (list, tuple)) or not columns:
        raise ConfigError(f"The 'columns' of step {op!r} must be a non-empty list of column names; got {columns!r} instead.")
    return [str(c) for c in columns]


def _bound(params: dict, key: str, op: str) -> float | None:
    value = params.get(key)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"The '{key}' of step {op!r} must be a number or null; got {value!r} instead.") from None


def _absent_note(absent: list[str]) -> str:
    if not absent:
        return ""
    return f" Skipped {_names(absent)}: not in this table."


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
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        value = float(value)
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) >= 1 else f"{value:.4g}"
    return repr(value) if isinstance(value, str) else str(value)
