"""Data validation: rules learned from the cleaned reference data, checked on new rows.

`derive_rules` learns one `ColumnRule` per column of the reference (the cleaned training data):
its kind, a range for numbers and dates (widened a little, since production values slightly
outside the training range are normal), the allowed categories, and how much may be missing.
The rules are small and JSON round-trippable (`to_dict`/`from_dict`), so they are saved with the
dataset version. `check_rows` checks a table against them (the rows sent to the endpoint);
`check_rows_by_window` does the same per traffic window (monitoring). Every check is vectorised:
values are compared as whole columns, and text is parsed once per distinct value.

Bounds of datetime columns are stored as ISO-8601 strings in UTC without an offset
("2023-01-31T00:00:00"), readable in the saved JSON; numbers as plain floats.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from core.workspace.errors import ConfigError, DataError
from core.data.dates import looks_like_datetime
from core.data.dates import parse_datetimes
from core.data.profiling import (
    CATEGORICAL_MAX_DISTINCT,
    column_kind,
    is_number_column,
    is_text,
    looks_like_identifier,
    parse_dates,
    value_counts,
)

KINDS = ("numeric", "categorical", "datetime", "boolean", "text")
VIOLATION_RULES = ("missing_column", "type", "below_min", "above_max", "unknown_category", "too_many_missing")
WINDOW_COLUMN = "window"
BY_WINDOW_COLUMNS = ["window", "column", "rule", "rows", "share", "message"]
VIOLATION_COLUMNS = ["column", "rule", "rows", "share", "examples", "message"]
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 60  # a 1 MB value sent by mistake must not become a 1 MB message
_RULE_ORDER = {rule: i for i, rule in enumerate(VIOLATION_RULES)}


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnRule:
    """What one column must look like.

    `min`/`max`: floats for numeric columns, ISO-8601 strings (UTC, no offset) for datetime
    columns, None otherwise. `allowed`: the categories (as text) of a categorical or boolean
    column with at most 50 distinct values, else None. A column that is not `required` may be
    absent; when present it is still checked.
    """

    column: str
    kind: str
    required: bool = True
    max_missing_share: float = 0.0
    min: float | str | None = None
    max: float | str | None = None
    allowed: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.allowed is not None and not isinstance(self.allowed, tuple):
            object.__setattr__(self, "allowed", tuple(str(v) for v in self.allowed))
        self.validate()

    def validate(self) -> "ColumnRule":
        where = f"the rule of column {self.column!r}"
        if self.kind not in KINDS:
            raise ConfigError(f"The 'kind' of {where} must be one of {', '.join(KINDS)}; got {self.kind!r} instead.")
        if not 0.0 <= float(self.max_missing_share) <= 1.0:
            raise ConfigError(f"The 'max_missing_share' of {where} must be between 0 and 1; "
                              f"got {self.max_missing_share!r} instead.")
        if self.kind == "datetime":
            for name in ("min", "max"):
                value = getattr(self, name)
                if value is not None and (not isinstance(value, str) or pd.isna(pd.to_datetime(value, errors="coerce"))):
                    raise ConfigError(f"The '{name}' of {where} must be an ISO date such as '2024-01-31T00:00:00'; "
                                      f"got {value!r} instead.")
        elif self.min is not None or self.max is not None:
            if self.kind != "numeric" or not all(isinstance(v, (int, float)) for v in (self.min, self.max) if v is not None):
                raise ConfigError(f"The 'min' and 'max' of {where} must be numbers, and only numeric or datetime "
                                  f"columns have them; got {self.min!r} and {self.max!r} for a {self.kind} column.")
        if self.min is not None and self.max is not None and _bound(self, self.min) > _bound(self, self.max):
            raise ConfigError(f"The 'min' of {where} must not exceed its 'max'; got {self.min!r} > {self.max!r}.")
        if self.allowed is not None and self.kind not in ("categorical", "boolean"):
            raise ConfigError(f"The 'allowed' values of {where} only apply to categorical or boolean columns; "
                              f"got them for a {self.kind} column.")
        return self

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["allowed"] = list(self.allowed) if self.allowed is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ColumnRule":
        try:
            allowed = data.get("allowed")
            return cls(column=str(data["column"]), kind=data["kind"], required=bool(data.get("required", True)),
                       max_missing_share=float(data.get("max_missing_share", 0.0)), min=data.get("min"),
                       max=data.get("max"), allowed=tuple(str(v) for v in allowed) if allowed is not None else None)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"A saved column rule is incomplete or malformed ({exc!r} in {data!r}); "
                              "derive the rules again from the reference data.") from None

    def describe(self, *, is_target: bool = False) -> str:
        """'monthly_charges: a number between 8.2 and 128.8; at most 5% missing'."""
        parts = [_describe_values(self)]
        share = self.max_missing_share
        parts.append("may be missing" if share >= 1 else "never missing" if share <= 0 else f"at most {_pct(share)} missing")
        if is_target:
            parts.append("the target: checked only when labels are included")
        elif not self.required:
            parts.append("optional")
        return f"{self.column}: " + "; ".join(parts)


@dataclass(frozen=True)
class ValidationRules:
    """The rules of every column of the reference data; `target` names the label column, whose
    rule is checked only when asked (`include_target=True`), since requests carry no labels."""

    columns: tuple[ColumnRule, ...]
    target: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.columns, tuple):
            object.__setattr__(self, "columns", tuple(self.columns))
        names = [rule.column for rule in self.columns]
        if len(set(names)) != len(names):
            raise ConfigError("The validation rules name a column twice; derive the rules again from the reference data.")
        if self.target is not None and self.target not in names:
            raise ConfigError(f"The target {self.target!r} of the validation rules has no rule; "
                              "derive the rules again from the reference data.")

    def get(self, column: str) -> ColumnRule | None:
        return next((rule for rule in self.columns if rule.column == column), None)

    def for_inputs(self, columns: Iterable[str]) -> "ValidationRules":
        """The rules of a model's input columns only, each required: what requests and production
        batches are checked against. The target and the columns the model does not take (IDs, the
        time column) are left out, even when the rules were learned before the target was chosen."""
        inputs = {str(c) for c in columns}
        return ValidationRules(tuple(replace(rule, required=True) for rule in self.columns if rule.column in inputs))

    def checked(self, include_target: bool = False) -> tuple[ColumnRule, ...]:
        """The rules a check applies: all of them, but the target's only with `include_target`."""
        return tuple(rule for rule in self.columns if include_target or rule.column != self.target)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [rule.to_dict() for rule in self.columns], "target": self.target}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ValidationRules":
        if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
            raise ConfigError("The saved validation rules have no list of 'columns'; derive the rules again "
                              "from the reference data.")
        return cls(columns=tuple(ColumnRule.from_dict(d) for d in data["columns"]), target=data.get("target"))

    def describe_df(self) -> pd.DataFrame:
        """One row per column rule, with the rule in plain words."""
        rows = [{"column": rule.column, "kind": rule.kind, "required": rule.required,
                 "description": rule.describe(is_target=rule.column == self.target)} for rule in self.columns]
        return pd.DataFrame(rows, columns=["column", "kind", "required", "description"])


def _bound(rule: ColumnRule, value: float | str) -> Any:
    return pd.Timestamp(value) if rule.kind == "datetime" else float(value)


def _describe_values(rule: ColumnRule) -> str:
    if rule.kind == "numeric":
        return _range_words("a number", rule, _fmt_number)
    if rule.kind == "datetime":
        return _range_words("a date", rule, lambda v: _fmt_date(pd.Timestamp(v)))
    if rule.kind == "text":
        return "an identifier or free text (any value is accepted)"
    if rule.allowed is None:
        return "a category (too many different values to list, so any value is accepted)"
    shown = ", ".join(repr(v) for v in rule.allowed[:6])
    more = f" and {len(rule.allowed) - 6} more" if len(rule.allowed) > 6 else ""
    if rule.kind == "boolean" and len(rule.allowed) == 2:
        return f"either {rule.allowed[0]!r} or {rule.allowed[1]!r}"
    noun = "category" if len(rule.allowed) == 1 else "categories"
    return f"one of {len(rule.allowed)} {noun}: {shown}{more}"


def _range_words(noun: str, rule: ColumnRule, fmt: Callable[[Any], str]) -> str:
    if rule.min is not None and rule.max is not None:
        return f"{noun} between {fmt(rule.min)} and {fmt(rule.max)}"
    if rule.min is not None:
        return f"{noun} of at least {fmt(rule.min)}"
    if rule.max is not None:
        return f"{noun} of at most {fmt(rule.max)}"
    return noun


# --------------------------------------------------------------------------------------
# Deriving rules
# --------------------------------------------------------------------------------------


def derive_rules(
    reference: pd.DataFrame,
    target: str | None = None,
    *,
    range_margin: float = 0.1,
    missing_slack: float = 0.05,
    required: Iterable[str] | None = None,
) -> ValidationRules:
    """Learn the rules of every column of the cleaned reference data.

    Numbers and dates: the observed range widened by `range_margin` of its spread on each side
    (rounded outwards; a column that was never negative stays >= 0). Missing share allowed:
    observed + `missing_slack`. Text with at most 50 distinct values: those categories.
    ID-like and free-text columns: kind "text", no allowed set, not required. `required` lists
    the columns that must be present (default: all but the target and the text columns).
    """
    if not isinstance(reference, pd.DataFrame) or reference.shape[1] == 0 or len(reference) == 0:
        raise DataError("The reference data is empty; derive the rules from the cleaned training data (at least one row).")
    if target is not None and target not in reference.columns:
        raise ConfigError(f"The target {target!r} is not a column of the reference data; choose one of: "
                          f"{', '.join(map(str, reference.columns[:20]))}.")
    if not (isinstance(range_margin, (int, float)) and math.isfinite(range_margin) and range_margin >= 0):
        raise ConfigError(f"The 'range_margin' of derive_rules must be a number >= 0; got {range_margin!r} instead.")
    if not (isinstance(missing_slack, (int, float)) and 0 <= missing_slack <= 1):
        raise ConfigError(f"The 'missing_slack' of derive_rules must be between 0 and 1; got {missing_slack!r} instead.")
    required_set = None if required is None else {str(c) for c in required}
    if required_set is not None and (unknown := required_set - {str(c) for c in reference.columns}):
        raise ConfigError(f"The required column(s) {', '.join(sorted(unknown))} are not in the reference data; "
                          "require only columns it has.")
    rules = []
    for name in reference.columns:
        rule = _derive_column_rule(reference[name], str(name), range_margin, missing_slack)
        if required_set is not None:
            is_required = str(name) in required_set
        else:
            is_required = rule.kind != "text" and name != target
        rules.append(replace(rule, required=is_required))
    return ValidationRules(columns=tuple(rules), target=None if target is None else str(target))


def _derive_column_rule(s: pd.Series, name: str, margin: float, slack: float) -> ColumnRule:
    missing = _missing_mask(s)
    allowed_missing = min(1.0, math.ceil((missing.mean() + slack) * 10_000 - 1e-6) / 10_000)  # 4 decimals, upwards
    present = s[~missing] if missing.any() else s
    if present.empty:
        kind = "datetime" if pd.api.types.is_datetime64_any_dtype(s) else "numeric" if is_number_column(s) else "text"
        return ColumnRule(name, kind, True, 1.0)
    counts = value_counts(present)
    kind = column_kind(present, counts)
    if kind in ("categorical", "text") and looks_like_datetime(present):
        # dates the recipe left as text: the model reads them as dates, so they are checked as dates
        return _derive_date_rule(name, parse_datetimes(present).dropna(), allowed_missing, margin)
    if kind in ("categorical", "text", "numeric") and looks_like_identifier(present, counts):
        kind = "text"  # new IDs are never in the training range or category list
    if kind == "numeric":
        values = present.to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        lo, hi = _widen(float(values.min()), float(values.max()), margin) if len(values) else (None, None)
        return ColumnRule(name, kind, True, allowed_missing, lo, hi)
    if kind == "datetime":
        return _derive_date_rule(name, _naive_utc(present), allowed_missing, margin)
    if kind == "boolean" and pd.api.types.is_bool_dtype(s):
        return ColumnRule(name, kind, True, allowed_missing, allowed=("False", "True"))
    if kind in ("categorical", "boolean"):
        uniques = _canonical(pd.Index(counts.index))
        allowed = tuple(sorted(set(uniques))) if len(set(uniques)) <= CATEGORICAL_MAX_DISTINCT else None
        return ColumnRule(name, kind, True, allowed_missing, allowed=allowed)
    return ColumnRule(name, "text", True, allowed_missing)


def _derive_date_rule(name: str, dates: pd.Series, allowed_missing: float, margin: float) -> ColumnRule:
    lo, hi = _widen_dates(dates, margin)
    return ColumnRule(name, "datetime", True, allowed_missing, lo.isoformat(), hi.isoformat())


def _widen(lo: float, hi: float, margin: float) -> tuple[float, float]:
    """Widen [lo, hi] by `margin` of the spread, round outwards to 4 significant digits of the spread."""
    spread = hi - lo
    scale = spread if spread > 0 else max(abs(hi), 1.0)
    pad = margin * scale
    new_lo, new_hi = lo - pad, hi + pad
    if lo >= 0:
        new_lo = max(new_lo, 0.0)  # counts, amounts, durations: never negative in training, never negative now
    exponent = math.floor(math.log10(scale)) - 3
    step = 10.0 ** exponent
    digits = max(0, -exponent)
    # the 1e-9 keeps float noise (0.1 / 0.001 = 99.999…) from pushing a bound one step further out
    return (round(math.floor(new_lo / step + 1e-9) * step, digits),
            round(math.ceil(new_hi / step - 1e-9) * step, digits))


def _widen_dates(values: pd.Series, margin: float) -> tuple[pd.Timestamp, pd.Timestamp]:
    lo, hi = values.min(), values.max()
    pad = (hi - lo) * margin if hi > lo else pd.Timedelta(days=1)
    return (lo - pad).floor("D"), (hi + pad).ceil("D")


def _naive_utc(s: pd.Series) -> pd.Series:
    """Datetimes compared in UTC without an offset (how the rule bounds are stored)."""
    if getattr(s.dt, "tz", None) is not None:
        return s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s


# --------------------------------------------------------------------------------------
# Checking rows
# --------------------------------------------------------------------------------------


@dataclass
class Violation:
    """One failed check: which column, which rule, how many rows, a few offending values."""

    column: str
    rule: str  # one of VIOLATION_RULES
    rows: int
    share: float  # of the rows checked (of the window, per window)
    examples: tuple[str, ...]
    message: str  # one plain sentence

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "examples": list(self.examples)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Violation":
        return cls(column=data["column"], rule=data["rule"], rows=int(data["rows"]), share=float(data["share"]),
                   examples=tuple(data.get("examples", ())), message=data["message"])


@dataclass
class _Finding:
    """Rows failing one rule of a column, and how to pick example values from a row mask."""

    rule: str
    mask: np.ndarray
    examples: Callable[[np.ndarray], tuple[str, ...]]


def check_rows(df: pd.DataFrame, rules: ValidationRules, *, include_target: bool = False) -> list[Violation]:
    """Every rule the rows break, column by column (the target only with `include_target`)."""
    _require_frame(df)
    groups = np.zeros(len(df), dtype="int64")
    return [violation for _, violation in _check(df, rules, include_target, groups, 1)]


def check_rows_by_window(
    df: pd.DataFrame, rules: ValidationRules, window_column: str = WINDOW_COLUMN, *, include_target: bool = False,
) -> pd.DataFrame:
    """Violations per traffic window: window, column, rule, rows, share (of the window), message."""
    _require_frame(df)
    if window_column not in df.columns:
        raise DataError(f"The data has no {window_column!r} column, so it cannot be checked per window; "
                        "add a window number to every row or use check_rows.")
    groups, windows = pd.factorize(df[window_column], sort=True, use_na_sentinel=False)
    found = _check(df, rules, include_target, groups.astype("int64"), len(windows))
    found.sort(key=lambda item: item[0])  # stable: within a window, columns and rules keep their order
    records = [{"window": windows[g], "column": v.column, "rule": v.rule, "rows": v.rows, "share": v.share,
                "message": v.message} for g, v in found]
    out = pd.DataFrame(records, columns=BY_WINDOW_COLUMNS)
    return out.astype({"rows": "int64", "share": "float64"})


def get_violations_df(violations: Iterable[Violation]) -> pd.DataFrame:
    """One row per violation; examples joined as text for display."""
    records = [{"column": v.column, "rule": v.rule, "rows": v.rows, "share": v.share,
                "examples": ", ".join(v.examples), "message": v.message} for v in violations]
    return pd.DataFrame(records, columns=VIOLATION_COLUMNS).astype({"rows": "int64", "share": "float64"})


def caption_violations(
    violations: Iterable[Violation], *, rows: int | None = None, rules: ValidationRules | None = None,
    include_target: bool = False,
) -> str:
    """One sentence: 'All 5 rows pass the 18 checks learned from the training data.' or
    '2 of 18 checks fail: contract (132 rows with a category never seen in training, e.g. …) and …'.
    A check is one column's rule; pass `rows` and `rules` to have the counts in the sentence."""
    violations = list(violations)
    checks = len(rules.checked(include_target)) if rules is not None else None
    checks_text = f"the {checks} checks" if checks is not None else "the checks"
    if not violations:
        if rows == 1:
            return f"The row passes {checks_text} learned from the training data."
        return f"All {rows:,} rows pass {checks_text} learned from the training data." if rows is not None else \
            f"All rows pass {checks_text} learned from the training data."
    by_column: dict[str, list[str]] = {}
    for v in violations:
        by_column.setdefault(v.column, []).append(_short(v))
    failing = len(by_column)
    parts = [f"{column} ({'; '.join(shorts)})" for column, shorts in list(by_column.items())[:3]]
    if failing > 3:
        parts.append(f"{failing - 3} more")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    head = f"{failing} of {checks} checks fail" if checks is not None else \
        f"{failing} check{'s' if failing != 1 else ''} fail{'s' if failing == 1 else ''}"
    if checks == 1 and failing == 1:
        head = "The only check fails"
    return f"{head}: {listed}."


def caption_violations_by_window(by_window_df: pd.DataFrame) -> str:
    """One sentence on `check_rows_by_window`: from which window on production data breaks the rules."""
    if by_window_df.empty:
        return "Every window passes the checks learned from the training data: production data keeps its shape."
    first = by_window_df["window"].min()
    last = by_window_df["window"].max()
    first_cols = list(dict.fromkeys(by_window_df.loc[by_window_df["window"] == first, "column"]))
    latest = by_window_df.loc[by_window_df["window"] == last]
    latest_cols = list(dict.fromkeys(latest["column"]))
    started = f"Production data first breaks the training rules in window {first} ({_name_list(first_cols)})"
    if last == first:
        return started + "."
    return started + f"; in window {last}, {_plural(len(latest_cols), 'column')} fail ({_name_list(latest_cols)})."


def _require_frame(df: Any) -> None:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"Validation needs a table (a DataFrame); got {type(df).__name__} instead.")
    names = pd.Index([str(c) for c in df.columns])
    if names.has_duplicates:
        twice = ", ".join(repr(n) for n in dict.fromkeys(names[names.duplicated()]))
        raise DataError(f"The table has two or more columns named {twice}; send each column once.")


def _check(
    df: pd.DataFrame, rules: ValidationRules, include_target: bool, groups: np.ndarray, n_groups: int,
) -> list[tuple[int, Violation]]:
    sizes = np.bincount(groups, minlength=n_groups)
    columns = {str(c): c for c in df.columns}
    found: list[tuple[int, Violation]] = []
    for rule in rules.checked(include_target):
        if rule.column not in columns:
            if rule.required or rule.column == rules.target:
                found += [(g, _violation(rule, "missing_column", int(sizes[g]), int(sizes[g]), ()))
                          for g in range(n_groups)]
            continue
        missing, findings = _evaluate(df[columns[rule.column]], rule)
        for finding in findings:
            counts = np.bincount(groups[finding.mask], minlength=n_groups)
            for g in np.flatnonzero(counts):
                mask = finding.mask if n_groups == 1 else finding.mask & (groups == g)
                found.append((int(g), _violation(rule, finding.rule, int(counts[g]), int(sizes[g]), finding.examples(mask))))
        missing_counts = np.bincount(groups[missing], minlength=n_groups)
        for g in np.flatnonzero(missing_counts):
            if missing_counts[g] / sizes[g] > rule.max_missing_share + 1e-12:
                found.append((int(g), _violation(rule, "too_many_missing", int(missing_counts[g]), int(sizes[g]), ())))
    return found


def _evaluate(s: pd.Series, rule: ColumnRule) -> tuple[np.ndarray, list[_Finding]]:
    """(missing mask, failing rules with their row masks) of one column."""
    s, structured = _structured_as_text(s)
    if rule.kind == "numeric":
        return _evaluate_numbers(s, rule)  # "[1, 2]" is not a number: a wrong type like any other text
    if rule.kind == "datetime":
        return _evaluate_dates(s, rule)
    findings = []
    if structured.any():  # a list or a mapping is never one category or one text value
        findings.append(_Finding("type", structured, lambda m: _texts(s.to_numpy(dtype=object)[m])))
    if rule.kind in ("categorical", "boolean") and rule.allowed is not None:
        missing, unknown = _evaluate_categories(s, rule, ~structured)
        return missing, findings + unknown
    return _missing_mask(s), findings


def _structured_as_text(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(the column with lists, mappings and sets written as text, where they were): JSON requests
    can carry them, and they cannot be counted or compared as single values."""
    if not pd.api.types.is_object_dtype(s):
        return s, np.zeros(len(s), dtype=bool)
    values = s.to_numpy(dtype=object, copy=True)
    structured = np.fromiter((pd.api.types.is_list_like(v) for v in values), dtype=bool, count=len(values))
    if not structured.any():
        return s, structured
    values[structured] = np.array([str(v) for v in values[structured]], dtype=object)
    return pd.Series(values, index=s.index, dtype=object), structured


def _texts(values: np.ndarray) -> tuple[str, ...]:
    """The first few distinct values as (shortened) text."""
    return tuple(dict.fromkeys(_clip(str(v)) for v in values))[:MAX_EXAMPLES]


def _clip(text: str) -> str:
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[:MAX_EXAMPLE_CHARS - 1] + "…"


def _evaluate_numbers(s: pd.Series, rule: ColumnRule) -> tuple[np.ndarray, list[_Finding]]:
    findings: list[_Finding] = []
    if is_number_column(s) or pd.api.types.is_bool_dtype(s):
        values = s.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(values)
    else:  # text (e.g. JSON requests) is read as numbers; what does not read is the wrong type
        codes, uniques, blank = _factorize_text(s)
        missing = _missing_from(codes, blank)
        if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
            parsed = np.full(len(uniques), np.nan)
        else:
            parsed = pd.to_numeric(pd.Series(_canonical(uniques), dtype=object).str.strip(), errors="coerce").to_numpy(dtype=float)
        values = _per_row(parsed, codes, np.nan)
        wrong = ~missing & np.isnan(values)
        if wrong.any():
            findings.append(_Finding("type", wrong, _frequent_examples(codes, _canonical(uniques), quote=True)))
    findings += _range_findings(values, rule, float(rule.min) if rule.min is not None else None,
                                float(rule.max) if rule.max is not None else None, _fmt_example)
    return missing, findings


def _evaluate_dates(s: pd.Series, rule: ColumnRule) -> tuple[np.ndarray, list[_Finding]]:
    findings: list[_Finding] = []
    # Microseconds, not pandas' usual nanoseconds: a request may send 9999-12-31 (beyond 2262).
    if pd.api.types.is_datetime64_any_dtype(s):
        values = _naive_utc(s).to_numpy(dtype="datetime64[us]")
        missing = np.isnat(values)
    else:
        codes, uniques, blank = _factorize_text(s)
        missing = _missing_from(codes, blank)
        if is_text(s):
            parsed = parse_dates(pd.Series(_canonical(uniques), dtype="str").str.strip(), max_free_format=None)
            parsed = parsed.to_numpy(dtype="datetime64[us]")
        else:  # numbers are not dates: epoch seconds or Excel serials are too ambiguous to guess
            parsed = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[us]")
        values = _per_row(parsed, codes, np.datetime64("NaT"))
        wrong = ~missing & np.isnat(values)
        if wrong.any():
            findings.append(_Finding("type", wrong, _frequent_examples(codes, _canonical(uniques), quote=True)))
    lo = np.datetime64(pd.Timestamp(rule.min), "us") if rule.min is not None else None
    hi = np.datetime64(pd.Timestamp(rule.max), "us") if rule.max is not None else None
    findings += _range_findings(values, rule, lo, hi, lambda v: _fmt_date(pd.Timestamp(v)))
    return missing, findings


def _range_findings(values: np.ndarray, rule: ColumnRule, lo: Any, hi: Any, fmt: Callable[[Any], str]) -> list[_Finding]:
    """Below-min and above-max rows; examples are the most extreme values."""
    findings = []
    with np.errstate(invalid="ignore"):
        if lo is not None:
            below = values < lo
            if below.any():
                findings.append(_Finding("below_min", below, lambda m: tuple(fmt(v) for v in np.unique(values[m])[:MAX_EXAMPLES])))
        if hi is not None:
            above = values > hi
            if above.any():
                findings.append(_Finding("above_max", above, lambda m: tuple(fmt(v) for v in np.unique(values[m])[::-1][:MAX_EXAMPLES])))
    return findings


def _evaluate_categories(s: pd.Series, rule: ColumnRule, single: np.ndarray) -> tuple[np.ndarray, list[_Finding]]:
    """Missing rows and rows whose category was never seen; only `single` values can be categories."""
    codes, uniques, blank = _factorize_text(s)
    missing = _missing_from(codes, blank) & single
    names = _canonical(uniques)
    if set(rule.allowed) == {"0", "1"}:  # a 0/1 flag: True and False are the same answers
        names = np.array([str(int(v)) if isinstance(v, (bool, np.bool_)) else n for v, n in zip(uniques, names)],
                         dtype=object)
    known = np.isin(names, np.asarray(rule.allowed, dtype=object)) | blank
    unknown = ~_per_row(known, codes, True) & single
    findings = [_Finding("unknown_category", unknown, _frequent_examples(codes, names, quote=True))] if unknown.any() else []
    return missing, findings


def _factorize_text(s: pd.Series) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """(codes, distinct values, blank per distinct value): work once per distinct value."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    uniques = pd.Index(uniques)
    if is_text(s) and len(uniques):
        blank = pd.Series(uniques.astype(str), dtype="str").str.strip().eq("").to_numpy(dtype=bool)
    else:
        blank = np.zeros(len(uniques), dtype=bool)
    return codes, uniques, blank


def _missing_from(codes: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """Rows that are missing (code -1) or blank text."""
    return (codes < 0) | _per_row(blank, codes, False)


def _per_row(per_value: np.ndarray, codes: np.ndarray, fill: Any) -> np.ndarray:
    """Each row's entry of an array over the distinct values, `fill` where the row is missing
    (code -1). The appended `fill` is what code -1 picks, also when no value is present at all
    (a single row with an empty cell, a window where everything is missing)."""
    return np.append(per_value, np.array([fill], dtype=per_value.dtype))[codes]


def _frequent_examples(codes: np.ndarray, names: np.ndarray, *, quote: bool) -> Callable[[np.ndarray], tuple[str, ...]]:
    def pick(mask: np.ndarray) -> tuple[str, ...]:
        counts = np.bincount(codes[mask], minlength=len(names))
        order = np.argsort(-counts, kind="stable")
        return tuple(_clip(str(names[i])) for i in order[:MAX_EXAMPLES] if counts[i] > 0)
    return pick


def _missing_mask(s: pd.Series) -> np.ndarray:
    """Missing values, plus blank text (a request may send '' for 'unknown')."""
    missing = s.isna().to_numpy(dtype=bool)
    if is_text(s) and not missing.all():
        codes, _, blank = _factorize_text(s)
        missing = _missing_from(codes, blank)
    return missing


def _canonical(values: pd.Index) -> np.ndarray:
    """Distinct values as the text a category is compared by: 1.0 -> '1', True -> 'True', dates -> ISO."""
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values.dtype):
        return np.asarray(values.astype(str), dtype=object)
    return np.array([_canonical_value(v) for v in values], dtype=object)


def _canonical_value(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return _fmt_date(pd.Timestamp(value))
    return str(value)


# --------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------


def _violation(rule: ColumnRule, kind: str, rows: int, total: int, examples: tuple[str, ...]) -> Violation:
    share = rows / total if total else 1.0
    return Violation(rule.column, kind, rows, share, tuple(examples), _message(rule, kind, rows, share, examples))


def _message(rule: ColumnRule, kind: str, rows: int, share: float, examples: tuple[str, ...]) -> str:
    column = rule.column
    counted = f"{_plural(rows, 'row')} ({_pct(share)})"
    dates = rule.kind == "datetime"
    quoted = ", ".join(repr(e) for e in examples)
    plain = ", ".join(examples)
    if kind == "missing_column":
        return f"{column} is missing: the training data had this column, so send it with every row."
    if kind == "type":
        expected = "a date" if dates else "a number" if rule.kind == "numeric" else "a single value"
        return f"{column} has {counted} that {'is' if rows == 1 else 'are'} not {expected}: {quoted}."
    if kind == "below_min":
        bound = _fmt_date(pd.Timestamp(rule.min)) if dates else _fmt_number(float(rule.min))
        what = f"earlier than the earliest date expected from training ({bound})" if dates else \
            f"below the lowest value expected from training ({bound})"
        return f"{column} has {counted} {what}: {plain}."
    if kind == "above_max":
        bound = _fmt_date(pd.Timestamp(rule.max)) if dates else _fmt_number(float(rule.max))
        what = f"later than the latest date expected from training ({bound})" if dates else \
            f"above the highest value expected from training ({bound})"
        return f"{column} has {counted} {what}: {plain}."
    if kind == "unknown_category":
        noun = "a category" if len(examples) == 1 else "categories"
        return f"{column} has {counted} with {noun} never seen in training: {quoted}."
    if kind == "too_many_missing":
        return (f"{column} is missing in {counted}, more than the {_pct(rule.max_missing_share)} "
                "allowed from the training data.")
    raise ConfigError(f"Unknown violation rule {kind!r}; use one of {', '.join(VIOLATION_RULES)}.")


def _short(v: Violation) -> str:
    """A violation in a few words, for the one-sentence caption."""
    rows = _plural(v.rows, "row")
    example = f", e.g. {v.examples[0]!r}" if v.examples else ""
    if v.rule in ("below_min", "above_max"):
        example = f", e.g. {v.examples[0]}" if v.examples else ""
    return {
        "missing_column": "the column is missing",
        "type": f"{rows} of the wrong type{example}",
        "below_min": f"{rows} below the training range{example}",
        "above_max": f"{rows} above the training range{example}",
        "unknown_category": f"{rows} with a category never seen in training{example}",
        "too_many_missing": f"{_pct(v.share)} missing",
    }[v.rule]


def _pct(share: float) -> str:
    pct = 100.0 * share
    if pct == 0 or pct >= 1 and not 99.5 <= pct < 100:
        return f"{pct:.0f}%"
    if pct >= 0.1:
        return f"{pct:.1f}%"
    return "under 0.1%"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _name_list(names: list[str]) -> str:
    shown = names[:3] + ([f"{len(names) - 3} more"] if len(names) > 3 else [])
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _fmt_number(value: float, grouping: bool = True) -> str:
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    sep = "," if grouping else ""
    if value.is_integer():
        return f"{int(value):{sep}}"
    return f"{value:{sep}.6g}" if abs(value) < 1e6 else f"{value:{sep}.0f}"


def _fmt_example(value: float) -> str:
    """Numbers in a list of examples: no thousands separator, which would read as a list separator."""
    return _fmt_number(value, grouping=False)


def _fmt_date(value: pd.Timestamp) -> str:
    if pd.isna(value):
        return "NaT"
    # isoformat, not strftime: strftime writes the year 1 as "1", not "0001"
    return value.date().isoformat() if value == value.normalize() else value.isoformat(sep=" ")
