"""The words of validation: a `Violation` (one failed check, with its plain sentence), the sentence
for each kind of failure, the one-sentence captions over all violations (per request, per traffic
window), and the violations as a table for the page. Apart from the checks so a change of wording
or a translation touches this module only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from core.data.validation.rules import ColumnRule, ValidationRules
from core.formatting import format_date, format_exact, format_share
from core.workspace.errors import ConfigError

VIOLATION_RULES = ("missing_column", "type", "below_min", "above_max", "unknown_category", "too_many_missing")
VIOLATION_COLUMNS = ["column", "rule", "rows", "share", "examples", "message"]
_RULE_ORDER = {rule: i for i, rule in enumerate(VIOLATION_RULES)}


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
    def from_dict(cls, data: dict[str, Any]) -> Violation:
        return cls(
            column=data["column"],
            rule=data["rule"],
            rows=int(data["rows"]),
            share=float(data["share"]),
            examples=tuple(data.get("examples", ())),
            message=data["message"],
        )


def get_violations_df(violations: Iterable[Violation]) -> pd.DataFrame:
    """One row per violation; examples joined as text for display."""
    records = [
        {
            "column": v.column,
            "rule": v.rule,
            "rows": v.rows,
            "share": v.share,
            "examples": ", ".join(v.examples),
            "message": v.message,
        }
        for v in violations
    ]
    return pd.DataFrame(records, columns=VIOLATION_COLUMNS).astype({"rows": "int64", "share": "float64"})


def caption_violations(
    violations: Iterable[Violation],
    *,
    rows: int | None = None,
    rules: ValidationRules | None = None,
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
        return (
            f"All {rows:,} rows pass {checks_text} learned from the training data."
            if rows is not None
            else f"All rows pass {checks_text} learned from the training data."
        )
    by_column: dict[str, list[str]] = {}
    for v in violations:
        by_column.setdefault(v.column, []).append(_short(v))
    failing = len(by_column)
    parts = [f"{column} ({'; '.join(shorts)})" for column, shorts in list(by_column.items())[:3]]
    if failing > 3:
        parts.append(f"{failing - 3} more")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    head = (
        f"{failing} of {checks} checks fail"
        if checks is not None
        else f"{failing} check{'s' if failing != 1 else ''} fail{'s' if failing == 1 else ''}"
    )
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


def make_violation(rule: ColumnRule, kind: str, rows: int, total: int, examples: tuple[str, ...]) -> Violation:
    share = rows / total if total else 1.0
    return Violation(rule.column, kind, rows, share, tuple(examples), _message(rule, kind, rows, share, examples))


def _message(rule: ColumnRule, kind: str, rows: int, share: float, examples: tuple[str, ...]) -> str:
    column = rule.column
    counted = f"{_plural(rows, 'row')} ({format_share(share)})"
    dates = rule.kind == "datetime"
    quoted = ", ".join(repr(e) for e in examples)
    plain = ", ".join(examples)
    if kind == "missing_column":
        return f"{column} is missing: the training data had this column, so send it with every row."
    if kind == "type":
        expected = "a date" if dates else "a number" if rule.kind == "numeric" else "a single value"
        return f"{column} has {counted} that {'is' if rows == 1 else 'are'} not {expected}: {quoted}."
    if kind == "below_min":
        bound = format_date(pd.Timestamp(rule.min)) if dates else format_exact(float(rule.min))
        what = (
            f"earlier than the earliest date expected from training ({bound})"
            if dates
            else f"below the lowest value expected from training ({bound})"
        )
        return f"{column} has {counted} {what}: {plain}."
    if kind == "above_max":
        bound = format_date(pd.Timestamp(rule.max)) if dates else format_exact(float(rule.max))
        what = (
            f"later than the latest date expected from training ({bound})"
            if dates
            else f"above the highest value expected from training ({bound})"
        )
        return f"{column} has {counted} {what}: {plain}."
    if kind == "unknown_category":
        noun = "a category" if len(examples) == 1 else "categories"
        return f"{column} has {counted} with {noun} never seen in training: {quoted}."
    if kind == "too_many_missing":
        return (
            f"{column} is missing in {counted}, more than the {format_share(rule.max_missing_share)} "
            "allowed from the training data."
        )
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
        "too_many_missing": f"{format_share(v.share)} missing",
    }[v.rule]


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _name_list(names: list[str]) -> str:
    shown = names[:3] + ([f"{len(names) - 3} more"] if len(names) > 3 else [])
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
