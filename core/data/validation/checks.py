"""Checking rows against validation rules: `check_rows` (the rows sent to the endpoint) and
`check_rows_by_window` (monitoring, per traffic window). Every check is vectorised: values are
compared as whole columns, and text is parsed once per distinct value; a failing rule keeps a few
example values for its message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import is_number_column, is_text, parse_dates
from core.data.validation.messages import Violation, make_violation
from core.data.validation.rules import (
    ColumnRule,
    ValidationRules,
    canonical_text,
    factorize_text,
    missing_from,
    missing_mask,
    naive_utc,
    per_row,
)
from core.formatting import format_date, format_example
from core.i18n import _
from core.workspace.errors import DataError

WINDOW_COLUMN = "window"
BY_WINDOW_COLUMNS = ["window", "column", "rule", "rows", "share", "message"]
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 60  # a 1 MB value sent by mistake must not become a 1 MB message


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


# A column that had no missing value in training is allowed this much (derive_rules' missing_slack):
# one row missing there is "missing where none were".
NONE_MISSING_SHARE = 0.05
ROW_RULES = ("below_min", "above_max", "unknown_category", "missing_value")


@dataclass(frozen=True)
class RowFinding:
    """One rule one row breaks: its position, the column, the rule (one of ROW_RULES)."""

    row: int
    column: str
    rule: str
    rule_of: ColumnRule


def check_each_row(df: pd.DataFrame, rules: ValidationRules) -> list[RowFinding]:
    """The rules each row breaks on its own (rows by position): a value out of the training range, a
    category never seen, a value missing in a column that had none missing. Wrong types are not
    reported here (the endpoint answers those rows with an error); neither is a share of missing
    values, which only a batch can break."""
    _require_frame(df)
    columns = {str(c): c for c in df.columns}
    found: list[RowFinding] = []
    for rule in rules.checked(False):
        if rule.column not in columns:
            continue
        missing, findings = _evaluate(df[columns[rule.column]], rule)
        for finding in findings:
            if finding.rule in ROW_RULES:
                found += [RowFinding(int(i), rule.column, finding.rule, rule) for i in np.flatnonzero(finding.mask)]
        if rule.max_missing_share <= NONE_MISSING_SHARE + 1e-12:
            found += [RowFinding(int(i), rule.column, "missing_value", rule) for i in np.flatnonzero(missing)]
    return found


def check_rows_by_window(
    df: pd.DataFrame,
    rules: ValidationRules,
    window_column: str = WINDOW_COLUMN,
    *,
    include_target: bool = False,
) -> pd.DataFrame:
    """Violations per traffic window: window, column, rule, rows, share (of the window), message."""
    _require_frame(df)
    if window_column not in df.columns:
        raise DataError(
            _(
                "The data has no {column} column, so it cannot be checked per window; "
                "add a window number to every row or use check_rows."
            ).format(column=repr(window_column))
        )
    groups, windows = pd.factorize(df[window_column], sort=True, use_na_sentinel=False)
    found = _check(df, rules, include_target, groups.astype("int64"), len(windows))
    found.sort(key=lambda item: item[0])  # stable: within a window, columns and rules keep their order
    records = [
        {
            "window": windows[g],
            "column": v.column,
            "rule": v.rule,
            "rows": v.rows,
            "share": v.share,
            "message": v.message,
        }
        for g, v in found
    ]
    out = pd.DataFrame(records, columns=BY_WINDOW_COLUMNS)
    return out.astype({"rows": "int64", "share": "float64"})


def _require_frame(df: Any) -> None:
    if not isinstance(df, pd.DataFrame):
        raise DataError(_("Validation needs a table (a DataFrame); got {kind} instead.").format(kind=type(df).__name__))
    names = pd.Index([str(c) for c in df.columns])
    if names.has_duplicates:
        twice = ", ".join(repr(n) for n in dict.fromkeys(names[names.duplicated()]))
        raise DataError(
            _("The table has two or more columns named {names}; send each column once.").format(names=twice)
        )


def _check(
    df: pd.DataFrame,
    rules: ValidationRules,
    include_target: bool,
    groups: np.ndarray,
    n_groups: int,
) -> list[tuple[int, Violation]]:
    sizes = np.bincount(groups, minlength=n_groups)
    columns = {str(c): c for c in df.columns}
    found: list[tuple[int, Violation]] = []
    for rule in rules.checked(include_target):
        if rule.column not in columns:
            if rule.required or rule.column == rules.target:
                found += [
                    (g, make_violation(rule, "missing_column", int(sizes[g]), int(sizes[g]), ()))
                    for g in range(n_groups)
                ]
            continue
        missing, findings = _evaluate(df[columns[rule.column]], rule)
        for finding in findings:
            counts = np.bincount(groups[finding.mask], minlength=n_groups)
            for g in np.flatnonzero(counts):
                mask = finding.mask if n_groups == 1 else finding.mask & (groups == g)
                found.append(
                    (int(g), make_violation(rule, finding.rule, int(counts[g]), int(sizes[g]), finding.examples(mask)))
                )
        missing_counts = np.bincount(groups[missing], minlength=n_groups)
        for g in np.flatnonzero(missing_counts):
            if missing_counts[g] / sizes[g] > rule.max_missing_share + 1e-12:
                found.append(
                    (int(g), make_violation(rule, "too_many_missing", int(missing_counts[g]), int(sizes[g]), ()))
                )
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
    return missing_mask(s), findings


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
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[: MAX_EXAMPLE_CHARS - 1] + "…"


def _evaluate_numbers(s: pd.Series, rule: ColumnRule) -> tuple[np.ndarray, list[_Finding]]:
    findings: list[_Finding] = []
    if is_number_column(s) or pd.api.types.is_bool_dtype(s):
        values = s.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(values)
    else:  # text (e.g. JSON requests) is read as numbers; what does not read is the wrong type
        codes, uniques, blank = factorize_text(s)
        missing = missing_from(codes, blank)
        if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
            parsed = np.full(len(uniques), np.nan)
        else:
            parsed = pd.to_numeric(
                pd.Series(canonical_text(uniques), dtype=object).str.strip(), errors="coerce"
            ).to_numpy(dtype=float)
        values = per_row(parsed, codes, np.nan)
        wrong = ~missing & np.isnan(values)
        if wrong.any():
            findings.append(_Finding("type", wrong, _frequent_examples(codes, canonical_text(uniques), quote=True)))
    findings += _range_findings(
        values,
        rule,
        float(rule.min) if rule.min is not None else None,
        float(rule.max) if rule.max is not None else None,
        format_example,
    )
    return missing, findings


def _evaluate_dates(s: pd.Series, rule: ColumnRule) -> tuple[np.ndarray, list[_Finding]]:
    findings: list[_Finding] = []
    # Microseconds, not pandas' usual nanoseconds: a request may send 9999-12-31 (beyond 2262).
    if pd.api.types.is_datetime64_any_dtype(s):
        values = naive_utc(s).to_numpy(dtype="datetime64[us]")
        missing = np.isnat(values)
    else:
        codes, uniques, blank = factorize_text(s)
        missing = missing_from(codes, blank)
        if is_text(s):
            parsed = parse_dates(pd.Series(canonical_text(uniques), dtype="str").str.strip(), max_free_format=None)
            parsed = parsed.to_numpy(dtype="datetime64[us]")
        else:  # numbers are not dates: epoch seconds or Excel serials are too ambiguous to guess
            parsed = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[us]")
        values = per_row(parsed, codes, np.datetime64("NaT"))
        wrong = ~missing & np.isnat(values)
        if wrong.any():
            findings.append(_Finding("type", wrong, _frequent_examples(codes, canonical_text(uniques), quote=True)))
    lo = np.datetime64(pd.Timestamp(rule.min), "us") if rule.min is not None else None
    hi = np.datetime64(pd.Timestamp(rule.max), "us") if rule.max is not None else None
    findings += _range_findings(values, rule, lo, hi, lambda v: format_date(pd.Timestamp(v)))
    return missing, findings


def _range_findings(
    values: np.ndarray, rule: ColumnRule, lo: Any, hi: Any, fmt: Callable[[Any], str]
) -> list[_Finding]:
    """Below-min and above-max rows; examples are the most extreme values."""
    findings = []
    with np.errstate(invalid="ignore"):
        if lo is not None:
            below = values < lo
            if below.any():
                findings.append(
                    _Finding("below_min", below, lambda m: tuple(fmt(v) for v in np.unique(values[m])[:MAX_EXAMPLES]))
                )
        if hi is not None:
            above = values > hi
            if above.any():
                findings.append(
                    _Finding(
                        "above_max", above, lambda m: tuple(fmt(v) for v in np.unique(values[m])[::-1][:MAX_EXAMPLES])
                    )
                )
    return findings


def _evaluate_categories(s: pd.Series, rule: ColumnRule, single: np.ndarray) -> tuple[np.ndarray, list[_Finding]]:
    """Missing rows and rows whose category was never seen; only `single` values can be categories."""
    codes, uniques, blank = factorize_text(s)
    missing = missing_from(codes, blank) & single
    names = canonical_text(uniques)
    assert rule.allowed is not None  # called for a rule with categories only
    if set(rule.allowed) == {"0", "1"}:  # a 0/1 flag: True and False are the same answers
        names = np.array(
            [str(int(v)) if isinstance(v, (bool, np.bool_)) else n for v, n in zip(uniques, names)], dtype=object
        )
    known = np.isin(names, np.asarray(rule.allowed, dtype=object)) | blank
    unknown = ~per_row(known, codes, True) & single
    findings = (
        [_Finding("unknown_category", unknown, _frequent_examples(codes, names, quote=True))] if unknown.any() else []
    )
    return missing, findings


def _frequent_examples(codes: np.ndarray, names: np.ndarray, *, quote: bool) -> Callable[[np.ndarray], tuple[str, ...]]:
    def pick(mask: np.ndarray) -> tuple[str, ...]:
        counts = np.bincount(codes[mask], minlength=len(names))
        order = np.argsort(-counts, kind="stable")
        return tuple(_clip(str(names[i])) for i in order[:MAX_EXAMPLES] if counts[i] > 0)

    return pick
