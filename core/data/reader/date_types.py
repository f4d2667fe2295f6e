"""Dates in text columns: which known format (ISO first) every value fits, day/month ambiguity,
and the values that do not fit.
"""

from __future__ import annotations

import re
import threading
import warnings

import numpy as np
import pandas as pd

_MONTH_NAMES = r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_DATE_LIKE = re.compile(
    rf"^(\d{{1,4}}[-/.]\d{{1,2}}[-/.]\d{{1,4}}|\d{{1,2}}[ -]?({_MONTH_NAMES})|({_MONTH_NAMES})[a-z]*\.? \d)",
    re.IGNORECASE,
)
_DATE_FORMATS = (
    "ISO8601",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
)
# Columns are typed on several threads, and `warnings.catch_warnings` swaps the process-wide filters:
# one thread at a time in it, or a thread leaving it could restore another's "ignore" for good.
_QUIET = threading.Lock()
_DAY_FIRST = {
    "%d/%m/%Y": "%m/%d/%Y",
    "%d/%m/%y": "%m/%d/%y",
    "%d/%m/%Y %H:%M": "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S": "%m/%d/%Y %H:%M:%S",
}


def _try_dates(
    col: pd.Series, uniques: pd.Series, decimal: str
) -> tuple[pd.Series | None, str, bool, np.ndarray] | None:
    """Dates when every value is a date in one known format (ISO first).

    Returns (parsed, format, ambiguous, failed): `failed` marks the distinct values that are not
    dates; it has marks when most but not all values are dates in one format (then the column
    stays text and those values are shown).
    """
    none_failed = np.zeros(len(uniques), dtype=bool)
    probe = uniques.head(200)
    date_like = probe.map(lambda v: bool(_DATE_LIKE.match(v)))
    if date_like.mean() < 0.5:
        return None
    if bool(date_like.all()) and _all_parse(probe, "ISO8601") and _all_parse(uniques, "ISO8601"):
        return _parse_dates(col, uniques, "ISO8601"), "ISO8601", False, none_failed  # the common case, unambiguous
    fitting = [fmt for fmt in _DATE_FORMATS if _all_parse(probe[date_like], fmt)]
    for fmt in fitting:
        if not _all_parse(uniques, fmt):
            continue
        alternative = _DAY_FIRST.get(fmt)
        ambiguous = alternative is not None and alternative in fitting and _all_parse(uniques, alternative)
        if ambiguous and alternative is not None and decimal != ",":
            fmt = alternative  # month/day first unless the file looks European
        return _parse_dates(col, uniques, fmt), fmt, ambiguous, none_failed
    two_ways = _iso_and_other(col, uniques, decimal)
    if two_ways is not None:
        return (*two_ways, none_failed)
    if bool(date_like.all()) and _all_parse(uniques, "mixed"):
        return _parse_dates(col, uniques, "mixed"), "mixed", False, none_failed
    for fmt in fitting or [f for f in _DATE_FORMATS if _parse_share(probe, f) >= 0.5]:
        parsed = _parse_quietly(uniques, fmt)
        if parsed is not None and parsed.notna().mean() >= 0.5:
            return None, fmt, False, parsed.isna().to_numpy()
    return None


def _iso_and_other(col: pd.Series, uniques: pd.Series, decimal: str) -> tuple[pd.Series, str, bool] | None:
    """(dates, "ISO8601 and <format>", ambiguous) for a column that writes some dates as ISO (2021-03-05)
    and the others in one other format (05/03/2021); None otherwise. Read as "mixed", the second kind
    would be guessed value by value (month first), so half a day/month column would be silently wrong:
    each kind is read in its own format, the day/month order chosen as for a column of that kind alone,
    and the column is reported ambiguous when that order could be either."""
    iso = _parse_quietly(uniques, "ISO8601")
    if iso is None or iso.notna().all() or iso.isna().all():
        return None
    others = uniques[iso.isna().to_numpy()]
    fitting = [fmt for fmt in _DATE_FORMATS[1:] if _all_parse(others, fmt)]
    if not fitting:
        return None
    fmt = fitting[0]
    alternative = _DAY_FIRST.get(fmt)
    ambiguous = alternative is not None and alternative in fitting
    if ambiguous and alternative is not None and decimal != ",":
        fmt = alternative  # month/day first unless the file looks European (as for one format)
    parsed = _parse_quietly(uniques, "ISO8601")
    second = _parse_quietly(others, fmt)
    if parsed is None or second is None or getattr(parsed.dt, "tz", None) or getattr(second.dt, "tz", None):
        return None  # (time zones: left to the general reading)
    parsed = parsed.copy()
    parsed[iso.isna().to_numpy()] = second.astype(parsed.dtype).to_numpy()
    return _spread(col, uniques, parsed), f"ISO8601 and {fmt}", ambiguous


def _parse_quietly(values: pd.Series, fmt: str) -> pd.Series | None:
    for utc in (False, True):  # utc=True only when offsets are mixed
        try:
            with _QUIET, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pd.to_datetime(values, format=fmt, errors="coerce", utc=utc)
        except (ValueError, TypeError, OverflowError):
            continue
    return None


def _all_parse(values: pd.Series, fmt: str) -> bool:
    parsed = _parse_quietly(values, fmt)
    return parsed is not None and bool(parsed.notna().all())


def _parse_share(values: pd.Series, fmt: str) -> float:
    parsed = _parse_quietly(values, fmt)
    return float(parsed.notna().mean()) if parsed is not None and len(parsed) else 0.0


def _parse_dates(col: pd.Series, uniques: pd.Series, fmt: str) -> pd.Series:
    """`col` as dates: each distinct value parsed once, then spread over the rows (as pandas' own cache
    does, without converting the column to Python strings first)."""
    with _QUIET, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(uniques, format=fmt, errors="coerce")
        except (ValueError, TypeError):  # mixed UTC offsets
            parsed = pd.to_datetime(uniques, format=fmt, errors="coerce", utc=True)
    return _spread(col, uniques, parsed)


def _spread(col: pd.Series, uniques: pd.Series, parsed: pd.Series) -> pd.Series:
    """The dates `parsed` of the distinct values `uniques`, spread over the rows of `col`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(col.array)
    index = pc.index_in(values, value_set=pa.array(uniques.array).cast(values.type)).fill_null(-1)
    return pd.Series(parsed.array.take(index.to_numpy(), allow_fill=True), copy=False)
