"""Dates in a table: whether a column holds them, and reading them the one way every stage does
(the time split, date features, validation, drift)."""

from __future__ import annotations

import pandas as pd

DATE_PARSE_SHARE = 0.9  # a text column is dates when at least this share of a sample reads as one


def parse_datetimes(values: pd.Series) -> pd.Series:
    """Dates from datetime64 or ISO-like text; unreadable values become NaT; timezones dropped."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        parsed = pd.to_datetime(values, errors="coerce", format="ISO8601", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed


def looks_like_datetime(values: pd.Series) -> bool:
    """datetime64, or text whose values are (nearly all) ISO-like dates such as 2024-03-01."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    if not (pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values)):
        return False
    sample = values.dropna().astype(str).head(200)
    if sample.empty:
        return False
    # Plain numbers like "2019" parse as ISO years; demand a date separator.
    if not sample.str.contains(r"\d{1,4}[-/]\d{1,2}", regex=True).mean() >= DATE_PARSE_SHARE:
        return False
    return parse_datetimes(sample).notna().mean() >= DATE_PARSE_SHARE
