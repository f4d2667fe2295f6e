"""Validation rules learned from the cleaned reference data: one `ColumnRule` per column (its kind,
a widened range for numbers and dates, the allowed categories, how much may be missing), gathered
in `ValidationRules`, JSON round-trippable so they are saved with the dataset version, and each
described in plain words. `derive_rules` learns them. A module of its own: what a rule *is*
changes apart from how rows are checked against it (`checks`) and how a failure is worded
(`messages`).

Bounds of datetime columns are stored as ISO-8601 strings in UTC without an offset
("2023-01-31T00:00:00"), readable in the saved JSON; numbers as plain floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import (
    CATEGORICAL_MAX_DISTINCT,
    column_kind,
    is_number_column,
    is_text,
    looks_like_identifier,
    value_counts,
)
from core.data.dates import looks_like_datetime, parse_datetimes
from core.formatting import format_date, format_exact, format_example, format_share, is_year_name
from core.i18n import _, ngettext
from core.workspace.errors import ConfigError, DataError

KINDS = ("numeric", "categorical", "datetime", "boolean", "text")


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

    def validate(self) -> ColumnRule:
        where = f"the rule of column {self.column!r}"
        if self.kind not in KINDS:
            raise ConfigError(f"The 'kind' of {where} must be one of {', '.join(KINDS)}; got {self.kind!r} instead.")
        if not 0.0 <= float(self.max_missing_share) <= 1.0:
            raise ConfigError(
                f"The 'max_missing_share' of {where} must be between 0 and 1; got {self.max_missing_share!r} instead."
            )
        if self.kind == "datetime":
            for name in ("min", "max"):
                value = getattr(self, name)
                if value is not None and (
                    not isinstance(value, str) or pd.isna(pd.to_datetime(value, errors="coerce"))
                ):
                    raise ConfigError(
                        f"The '{name}' of {where} must be an ISO date such as '2024-01-31T00:00:00'; "
                        f"got {value!r} instead."
                    )
        elif self.min is not None or self.max is not None:
            if self.kind != "numeric" or not all(
                isinstance(v, (int, float)) for v in (self.min, self.max) if v is not None
            ):
                raise ConfigError(
                    f"The 'min' and 'max' of {where} must be numbers, and only numeric or datetime "
                    f"columns have them; got {self.min!r} and {self.max!r} for a {self.kind} column."
                )
        if self.min is not None and self.max is not None and _bound(self, self.min) > _bound(self, self.max):
            raise ConfigError(f"The 'min' of {where} must not exceed its 'max'; got {self.min!r} > {self.max!r}.")
        if self.allowed is not None and self.kind not in ("categorical", "boolean"):
            raise ConfigError(
                f"The 'allowed' values of {where} only apply to categorical or boolean columns; "
                f"got them for a {self.kind} column."
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["allowed"] = list(self.allowed) if self.allowed is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnRule:
        try:
            allowed = data.get("allowed")
            return cls(
                column=str(data["column"]),
                kind=data["kind"],
                required=bool(data.get("required", True)),
                max_missing_share=float(data.get("max_missing_share", 0.0)),
                min=data.get("min"),
                max=data.get("max"),
                allowed=tuple(str(v) for v in allowed) if allowed is not None else None,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"A saved column rule is incomplete or malformed ({exc!r} in {data!r}); "
                "derive the rules again from the reference data."
            ) from None

    def describe(self, *, is_target: bool = False) -> str:
        """'monthly_charges: a number between 8.2 and 128.8; at most 5% missing'."""
        parts = [_describe_values(self)]
        share = self.max_missing_share
        parts.append(
            _("may be missing")
            if share >= 1
            else _("never missing")
            if share <= 0
            else _("at most {share} missing").format(share=format_share(share))
        )
        if is_target:
            parts.append(_("the target: checked only when labels are included"))
        elif not self.required:
            parts.append(_("optional"))
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
            raise ConfigError(
                "The validation rules name a column twice; derive the rules again from the reference data."
            )
        if self.target is not None and self.target not in names:
            raise ConfigError(
                f"The target {self.target!r} of the validation rules has no rule; "
                "derive the rules again from the reference data."
            )

    def get(self, column: str) -> ColumnRule | None:
        return next((rule for rule in self.columns if rule.column == column), None)

    def for_inputs(self, columns: Iterable[str]) -> ValidationRules:
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
    def from_dict(cls, data: dict[str, Any]) -> ValidationRules:
        if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
            raise ConfigError(
                "The saved validation rules have no list of 'columns'; derive the rules again from the reference data."
            )
        return cls(columns=tuple(ColumnRule.from_dict(d) for d in data["columns"]), target=data.get("target"))

    def describe_df(self) -> pd.DataFrame:
        """One row per column rule, with the rule in plain words."""
        rows = [
            {
                "column": rule.column,
                "kind": rule.kind,
                "required": rule.required,
                "description": rule.describe(is_target=rule.column == self.target),
            }
            for rule in self.columns
        ]
        return pd.DataFrame(rows, columns=["column", "kind", "required", "description"])

    def describe_readable_df(self) -> pd.DataFrame:
        """``describe_df`` as shown on a page: headings in the session's language."""
        return self.describe_df().rename(
            columns={
                "column": _("column"),
                "kind": _("kind"),
                "required": _("required"),
                "description": _("description"),
            }
        )


def _bound(rule: ColumnRule, value: float | str) -> Any:
    return pd.Timestamp(value) if rule.kind == "datetime" else float(value)


def _describe_values(rule: ColumnRule) -> str:
    if rule.kind == "numeric":
        fmt = format_example if is_year_name(rule.column) else format_exact
        return _range_words(
            (
                _("a number"),
                _("a number between {low} and {high}"),
                _("a number of at least {low}"),
                _("a number of at most {high}"),
            ),
            rule,
            fmt,
        )
    if rule.kind == "datetime":
        return _range_words(
            (
                _("a date"),
                _("a date between {low} and {high}"),
                _("a date of at least {low}"),
                _("a date of at most {high}"),
            ),
            rule,
            lambda v: format_date(pd.Timestamp(v)),
        )
    if rule.kind == "text":
        return _("an identifier or free text (any value is accepted)")
    if rule.allowed is None:
        return _("a category (too many different values to list, so any value is accepted)")
    shown = ", ".join(repr(v) for v in rule.allowed[:6])
    more = " " + _("and {n} more").format(n=len(rule.allowed) - 6) if len(rule.allowed) > 6 else ""
    if rule.kind == "boolean" and len(rule.allowed) == 2:
        return _("either {first} or {second}").format(first=repr(rule.allowed[0]), second=repr(rule.allowed[1]))
    n = len(rule.allowed)
    return ngettext("one of {n} category: {values}", "one of {n} categories: {values}", n).format(
        n=n, values=shown + more
    )


def _range_words(words: tuple[str, str, str, str], rule: ColumnRule, fmt: Callable[[Any], str]) -> str:
    """``words``: the noun alone, between two bounds, at least, at most (each with {low}/{high})."""
    noun, between, at_least, at_most = words
    if rule.min is not None and rule.max is not None:
        return between.format(low=fmt(rule.min), high=fmt(rule.max))
    if rule.min is not None:
        return at_least.format(low=fmt(rule.min))
    if rule.max is not None:
        return at_most.format(high=fmt(rule.max))
    return noun


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
        raise DataError(
            "The reference data is empty; derive the rules from the cleaned training data (at least one row)."
        )
    if target is not None and target not in reference.columns:
        raise ConfigError(
            f"The target {target!r} is not a column of the reference data; choose one of: "
            f"{', '.join(map(str, reference.columns[:20]))}."
        )
    if not (isinstance(range_margin, (int, float)) and math.isfinite(range_margin) and range_margin >= 0):
        raise ConfigError(f"The 'range_margin' of derive_rules must be a number >= 0; got {range_margin!r} instead.")
    if not (isinstance(missing_slack, (int, float)) and 0 <= missing_slack <= 1):
        raise ConfigError(
            f"The 'missing_slack' of derive_rules must be between 0 and 1; got {missing_slack!r} instead."
        )
    required_set = None if required is None else {str(c) for c in required}
    if required_set is not None and (unknown := required_set - {str(c) for c in reference.columns}):
        raise ConfigError(
            f"The required column(s) {', '.join(sorted(unknown))} are not in the reference data; "
            "require only columns it has."
        )
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
    missing = missing_mask(s)
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
        return _derive_date_rule(name, naive_utc(present), allowed_missing, margin)
    if kind == "boolean" and pd.api.types.is_bool_dtype(s):
        return ColumnRule(name, kind, True, allowed_missing, allowed=("False", "True"))
    if kind in ("categorical", "boolean"):
        uniques = canonical_text(pd.Index(counts.index))
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
    step = 10.0**exponent
    digits = max(0, -exponent)
    # the 1e-9 keeps float noise (0.1 / 0.001 = 99.999…) from pushing a bound one step further out
    return (
        round(math.floor(new_lo / step + 1e-9) * step, digits),
        round(math.ceil(new_hi / step - 1e-9) * step, digits),
    )


def _widen_dates(values: pd.Series, margin: float) -> tuple[pd.Timestamp, pd.Timestamp]:
    lo, hi = values.min(), values.max()
    pad = (hi - lo) * margin if hi > lo else pd.Timedelta(days=1)
    return (lo - pad).floor("D"), (hi + pad).ceil("D")


def naive_utc(s: pd.Series) -> pd.Series:
    """Datetimes compared in UTC without an offset (how the rule bounds are stored)."""
    if getattr(s.dt, "tz", None) is not None:
        return s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s


def missing_mask(s: pd.Series) -> np.ndarray:
    """Missing values, plus blank text (a request may send '' for 'unknown')."""
    missing = s.isna().to_numpy(dtype=bool)
    if is_text(s) and not missing.all():
        codes, _, blank = factorize_text(s)
        missing = missing_from(codes, blank)
    return missing


def factorize_text(s: pd.Series) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """(codes, distinct values, blank per distinct value): work once per distinct value."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    uniques = pd.Index(uniques)
    if is_text(s) and len(uniques):
        blank = pd.Series(uniques.astype(str), dtype="str").str.strip().eq("").to_numpy(dtype=bool)
    else:
        blank = np.zeros(len(uniques), dtype=bool)
    return codes, uniques, blank


def missing_from(codes: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """Rows that are missing (code -1) or blank text."""
    return (codes < 0) | per_row(blank, codes, False)


def per_row(per_value: np.ndarray, codes: np.ndarray, fill: Any) -> np.ndarray:
    """Each row's entry of an array over the distinct values, `fill` where the row is missing
    (code -1). The appended `fill` is what code -1 picks, also when no value is present at all
    (a single row with an empty cell, a window where everything is missing)."""
    return np.append(per_value, np.array([fill], dtype=per_value.dtype))[codes]


def canonical_text(values: pd.Index) -> np.ndarray:
    """Distinct values as the text a category is compared by: 1.0 -> '1', True -> 'True', dates -> ISO."""
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values.dtype):
        return np.asarray(values.astype(str), dtype=object)
    return np.array([canonical_value(v) for v in values], dtype=object)


def canonical_value(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return format_date(pd.Timestamp(value))
    return str(value)
