"""Entity keys in one canonical text form, so ``1``, ``1.0``, ``"1"`` and ``"1.0"`` name the same customer
whichever table (or JSON request) they come from.

- missing (None, NaN, NA, NaT, blank text) -> None;
- a whole number, as an int, a float (``1.0``) or a number written as text (``"1"``, ``" 1.0 "``,
  ``"+1"``) -> its digits (``"1"``); ``-0`` -> ``"0"``;
- any other number (``1.5``, ``"1.50"``) -> the shortest text of the float (``"1.5"``);
- other text -> itself, stripped. Text with leading zeros (``"007"``) stays as written: the data
  reader keeps zero-led codes as text, they are codes, not numbers (``"007"`` is not ``7``);
- anything else (a boolean, a date) -> ``str(value)``.

``canonical_key`` is the one rule; ``canonical_keys`` applies it to a column (vectorised for number
columns, the common case of millions of rows).
"""

from __future__ import annotations

import math
import re
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

_NUMBER = re.compile(r"[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?")


def _number_text(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    return repr(value)


def canonical_key(value: Any) -> str | None:
    """The canonical text of one entity key (None when it is missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        number = float(value)
        if math.isnan(number):
            return None
        return _number_text(number) if math.isfinite(number) else str(number)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        match = _NUMBER.fullmatch(text)
        if match is None:
            return text
        whole, fraction = match.group(1), match.group(2)
        sign = "-" if text.startswith("-") and (whole != "0" or (fraction and fraction.strip(".0"))) else ""
        if fraction is None or not fraction.strip(".0"):
            return sign + whole  # exact for any length: no float on the way
        return _number_text(float(text))
    return str(value)


def canonical_keys(values: pd.Series | list[Any]) -> pd.Series:
    """``canonical_key`` of every value, as an object column aligned to ``values`` (None where missing)."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if pd.api.types.is_integer_dtype(series) and not pd.api.types.is_bool_dtype(series):
        out = series.astype("Int64").astype("string").astype(object)
        return out.where(series.notna(), None)
    if pd.api.types.is_float_dtype(series):
        numbers = series.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(numbers) & (np.mod(numbers, 1) == 0) & (np.abs(numbers) < 2**63)
        out = pd.Series([None] * len(series), index=series.index, dtype=object)
        if whole.any():
            out[whole] = pd.Series(numbers[whole].astype(np.int64)).astype(str).to_numpy()
        rest = ~whole & ~np.isnan(numbers)
        if rest.any():
            out[rest] = [canonical_key(v) for v in numbers[rest]]
        return out
    return pd.Series([canonical_key(v) for v in series.to_numpy(dtype=object)], index=series.index, dtype=object)
