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
from core.formatting import format_count, format_date, format_exact, format_share
from core.i18n import _, ngettext
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
    if not violations:
        return _all_pass(rows, checks)
    by_column: dict[str, list[str]] = {}
    for v in violations:
        by_column.setdefault(v.column, []).append(_short(v))
    failing = len(by_column)
    parts = [
        _("{column} ({problems})").format(column=column, problems="; ".join(shorts))
        for column, shorts in list(by_column.items())[:3]
    ]
    if failing > 3:
        parts.append(_("{n} more").format(n=format_count(failing - 3)))
    listed = _join_and(parts)
    if checks == 1 and failing == 1:
        head = _("The only check fails")
    elif checks is not None:
        head = ngettext("{failing} of {checks} checks fail", "{failing} of {checks} checks fail", failing).format(
            failing=failing, checks=checks
        )
    else:
        head = ngettext("{failing} check fails", "{failing} checks fail", failing).format(failing=failing)
    return _("{head}: {listed}.").format(head=head, listed=listed)


def _all_pass(rows: int | None, checks: int | None) -> str:
    """The sentence when nothing fails (the row, all N rows or all rows; the N checks or the checks)."""
    if rows == 1:
        if checks is None:
            return _("The row passes the checks learned from the training data.")
        return _("The row passes the {checks} checks learned from the training data.").format(checks=checks)
    if rows is None:
        if checks is None:
            return _("All rows pass the checks learned from the training data.")
        return _("All rows pass the {checks} checks learned from the training data.").format(checks=checks)
    if checks is None:
        return _("All {rows} rows pass the checks learned from the training data.").format(rows=format_count(rows))
    return _("All {rows} rows pass the {checks} checks learned from the training data.").format(
        rows=format_count(rows), checks=checks
    )


def caption_violations_by_window(by_window_df: pd.DataFrame) -> str:
    """One sentence on `check_rows_by_window`: from which window on production data breaks the rules."""
    if by_window_df.empty:
        return _("Every window passes the checks learned from the training data: production data keeps its shape.")
    first = by_window_df["window"].min()
    last = by_window_df["window"].max()
    first_cols = list(dict.fromkeys(by_window_df.loc[by_window_df["window"] == first, "column"]))
    latest = by_window_df.loc[by_window_df["window"] == last]
    latest_cols = list(dict.fromkeys(latest["column"]))
    if last == first:
        return _("Production data first breaks the training rules in window {first} ({columns}).").format(
            first=first, columns=_name_list(first_cols)
        )
    return ngettext(
        "Production data first breaks the training rules in window {first} ({columns}); in window {last}, "
        "{n} column fails ({latest}).",
        "Production data first breaks the training rules in window {first} ({columns}); in window {last}, "
        "{n} columns fail ({latest}).",
        len(latest_cols),
    ).format(
        first=first,
        columns=_name_list(first_cols),
        last=last,
        n=format_count(len(latest_cols)),
        latest=_name_list(latest_cols),
    )


def make_violation(rule: ColumnRule, kind: str, rows: int, total: int, examples: tuple[str, ...]) -> Violation:
    share = rows / total if total else 1.0
    return Violation(rule.column, kind, rows, share, tuple(examples), _message(rule, kind, rows, share, examples))


def _message(rule: ColumnRule, kind: str, rows: int, share: float, examples: tuple[str, ...]) -> str:
    column = rule.column
    share_text = format_share(share)
    dates = rule.kind == "datetime"
    quoted = ", ".join(repr(e) for e in examples)
    plain = ", ".join(examples)
    n = format_count(rows)
    if kind == "missing_column":
        return _("{column} is missing: the training data had this column, so send it with every row.").format(
            column=column
        )
    if kind == "type":
        if dates:
            text = ngettext(
                "{column} has {n} row ({share}) that is not a date: {examples}.",
                "{column} has {n} rows ({share}) that are not a date: {examples}.",
                rows,
            )
        elif rule.kind == "numeric":
            text = ngettext(
                "{column} has {n} row ({share}) that is not a number: {examples}.",
                "{column} has {n} rows ({share}) that are not a number: {examples}.",
                rows,
            )
        else:
            text = ngettext(
                "{column} has {n} row ({share}) that is not a single value: {examples}.",
                "{column} has {n} rows ({share}) that are not a single value: {examples}.",
                rows,
            )
        return text.format(column=column, n=n, share=share_text, examples=quoted)
    if kind == "below_min":
        assert rule.min is not None  # only a rule with a lowest value finds values below it
        bound = format_date(pd.Timestamp(rule.min)) if dates else format_exact(float(rule.min))
        if dates:
            text = ngettext(
                "{column} has {n} row ({share}) earlier than the earliest date expected from training "
                "({bound}): {examples}.",
                "{column} has {n} rows ({share}) earlier than the earliest date expected from training "
                "({bound}): {examples}.",
                rows,
            )
        else:
            text = ngettext(
                "{column} has {n} row ({share}) below the lowest value expected from training ({bound}): {examples}.",
                "{column} has {n} rows ({share}) below the lowest value expected from training ({bound}): {examples}.",
                rows,
            )
        return text.format(column=column, n=n, share=share_text, bound=bound, examples=plain)
    if kind == "above_max":
        assert rule.max is not None  # only a rule with a highest value finds values above it
        bound = format_date(pd.Timestamp(rule.max)) if dates else format_exact(float(rule.max))
        if dates:
            text = ngettext(
                "{column} has {n} row ({share}) later than the latest date expected from training "
                "({bound}): {examples}.",
                "{column} has {n} rows ({share}) later than the latest date expected from training "
                "({bound}): {examples}.",
                rows,
            )
        else:
            text = ngettext(
                "{column} has {n} row ({share}) above the highest value expected from training ({bound}): {examples}.",
                "{column} has {n} rows ({share}) above the highest value expected from training ({bound}): {examples}.",
                rows,
            )
        return text.format(column=column, n=n, share=share_text, bound=bound, examples=plain)
    if kind == "unknown_category":
        if len(examples) == 1:
            text = ngettext(
                "{column} has {n} row ({share}) with a category never seen in training: {examples}.",
                "{column} has {n} rows ({share}) with a category never seen in training: {examples}.",
                rows,
            )
        else:
            text = ngettext(
                "{column} has {n} row ({share}) with categories never seen in training: {examples}.",
                "{column} has {n} rows ({share}) with categories never seen in training: {examples}.",
                rows,
            )
        return text.format(column=column, n=n, share=share_text, examples=quoted)
    if kind == "too_many_missing":
        return ngettext(
            "{column} is missing in {n} row ({share}), more than the {allowed} allowed from the training data.",
            "{column} is missing in {n} rows ({share}), more than the {allowed} allowed from the training data.",
            rows,
        ).format(column=column, n=n, share=share_text, allowed=format_share(rule.max_missing_share))
    raise ConfigError(
        _("Unknown violation rule {kind}; use one of {rules}.").format(
            kind=repr(kind), rules=", ".join(VIOLATION_RULES)
        )
    )


def _short(v: Violation) -> str:
    """A violation in a few words, for the one-sentence caption."""
    n = format_count(v.rows)
    if v.rule == "missing_column":
        return _("the column is missing")
    if v.rule == "too_many_missing":
        return _("{share} missing").format(share=format_share(v.share))
    if not v.examples:
        text = {
            "type": ngettext("{n} row of the wrong type", "{n} rows of the wrong type", v.rows),
            "below_min": ngettext("{n} row below the training range", "{n} rows below the training range", v.rows),
            "above_max": ngettext("{n} row above the training range", "{n} rows above the training range", v.rows),
            "unknown_category": ngettext(
                "{n} row with a category never seen in training",
                "{n} rows with a category never seen in training",
                v.rows,
            ),
        }[v.rule]
        return text.format(n=n)
    example = v.examples[0] if v.rule in ("below_min", "above_max") else repr(v.examples[0])
    text = {
        "type": ngettext(
            "{n} row of the wrong type, e.g. {example}", "{n} rows of the wrong type, e.g. {example}", v.rows
        ),
        "below_min": ngettext(
            "{n} row below the training range, e.g. {example}",
            "{n} rows below the training range, e.g. {example}",
            v.rows,
        ),
        "above_max": ngettext(
            "{n} row above the training range, e.g. {example}",
            "{n} rows above the training range, e.g. {example}",
            v.rows,
        ),
        "unknown_category": ngettext(
            "{n} row with a category never seen in training, e.g. {example}",
            "{n} rows with a category never seen in training, e.g. {example}",
            v.rows,
        ),
    }[v.rule]
    return text.format(n=n, example=example)


def _join_and(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' in the reader's language."""
    if len(parts) == 1:
        return parts[0]
    return _("{first} and {last}").format(first=", ".join(parts[:-1]), last=parts[-1])


def _name_list(names: list[str]) -> str:
    shown = names[:3] + ([_("{n} more").format(n=format_count(len(names) - 3))] if len(names) > 3 else [])
    return _join_and(shown)
