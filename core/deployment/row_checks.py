"""The rules learned from training, checked row by row on the model's input table, in numpy: the
served model's per-row status (flagged, rejected, review) must not cost a pandas pass per column.

`RowChecks` is built once per served model. Numbers and dates are compared with their widened
training range as whole columns; categories are looked up in the allowed set once per distinct
value. A rule it has no fast check for (free text, a flag read as numbers) is checked by
``core.data.validation.check_each_row``, which the fast checks agree with (a unit test holds them
to it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.data.validation import ColumnRule, RowFinding, ValidationRules, check_each_row
from core.data.validation.checks import NONE_MISSING_SHARE
from core.data.validation.rules import canonical_value

_FEW_ROWS = 16


class RowChecks:
    def __init__(self, rules: ValidationRules, input_kinds: dict[str, str]):
        self.fast: list[tuple[ColumnRule, str]] = []
        slow: list[ColumnRule] = []
        for rule in rules.checked(False):
            kind = input_kinds.get(rule.column)
            if rule.kind == "numeric" and kind == "numeric":
                self.fast.append((rule, "numeric"))
            elif rule.kind == "datetime" and kind == "datetime":
                self.fast.append((rule, "datetime"))
            elif rule.kind in ("categorical", "boolean") and kind in ("categorical", "numeric") and rule.allowed:
                self.fast.append((rule, "categorical"))  # a yes/no flag read as 0/1 numbers too
            else:
                slow.append(rule)
        self.slow = ValidationRules(tuple(slow), rules.target) if slow else None
        self._allowed = {r.column: frozenset(r.allowed or ()) for r, k in self.fast if k == "categorical"}

    def check(self, X: pd.DataFrame | dict[str, np.ndarray]) -> list[RowFinding]:
        """The rules each row of X (the model's input table, rows by position; or its columns as
        arrays, when no rule needs the general checks) breaks."""
        found: list[RowFinding] = []
        for rule, kind in self.fast:
            if rule.column not in X:
                continue
            if kind == "categorical":
                missing, failing = self._categories(X[rule.column], rule)
            else:
                missing, failing = _ranges(X[rule.column], rule, kind)
            for name, mask in failing:
                found += [RowFinding(int(i), rule.column, name, rule) for i in np.flatnonzero(mask)]
            if rule.max_missing_share <= NONE_MISSING_SHARE + 1e-12:
                found += [RowFinding(int(i), rule.column, "missing_value", rule) for i in np.flatnonzero(missing)]
        if self.slow is not None:
            found += check_each_row(X if isinstance(X, pd.DataFrame) else pd.DataFrame(X), self.slow)
        return found

    def _categories(
        self, values: pd.Series | np.ndarray, rule: ColumnRule
    ) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
        if len(values) <= _FEW_ROWS:  # a few rows: each value once is cheaper than factorizing
            uniques = values if isinstance(values, np.ndarray) else values.to_numpy(dtype=object)
            codes = np.arange(len(values))
            codes[pd.isna(uniques)] = -1
        else:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
        allowed = self._allowed[rule.column]
        flag = allowed == {"0", "1"}  # a 0/1 flag: True and False are the same answers
        blank = np.zeros(len(uniques) + 1, dtype=bool)
        known = np.ones(len(uniques) + 1, dtype=bool)
        for i, value in enumerate(np.asarray(uniques, dtype=object).tolist()):
            if isinstance(value, str) and not value.strip():
                blank[i] = True
                continue
            text = str(int(value)) if flag and isinstance(value, (bool, np.bool_)) else _text(value)
            known[i] = text in allowed
        missing = (codes < 0) | blank[codes]
        unknown = ~known[codes]
        return missing, ([("unknown_category", unknown)] if unknown.any() else [])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else canonical_value(value)


def _ranges(
    values: pd.Series | np.ndarray, rule: ColumnRule, kind: str
) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
    lo: Any
    hi: Any
    if kind == "numeric":
        numbers = values if isinstance(values, np.ndarray) else values.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(numbers)
        lo = float(rule.min) if rule.min is not None else None
        hi = float(rule.max) if rule.max is not None else None
    else:
        numbers = (
            values.astype("datetime64[us]")
            if isinstance(values, np.ndarray)
            else values.to_numpy(dtype="datetime64[us]")
        )
        missing = np.isnat(numbers)
        lo = np.datetime64(pd.Timestamp(rule.min), "us") if rule.min is not None else None
        hi = np.datetime64(pd.Timestamp(rule.max), "us") if rule.max is not None else None
    failing = []
    with np.errstate(invalid="ignore"):
        if lo is not None and (below := ~missing & (numbers < lo)).any():
            failing.append(("below_min", below))
        if hi is not None and (above := ~missing & (numbers > hi)).any():
            failing.append(("above_max", above))
    return missing, failing
