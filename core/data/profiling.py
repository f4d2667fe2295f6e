"""Data profiling: one row per column (type, missing, distinct, top values, range) plus alerts.

Everything works on `value_counts` and vectorised numpy, never per-row Python, so a
1,000,000 x 30 table profiles in a few seconds without copying it (each column is read
in place; the leak check reads a sample of rows, column by column). Alerts are codes (see
`ALERTS`) with a plain-English message each; `get_alerts_df` lists them for the page.
"""

from __future__ import annotations

import math
import re
import warnings
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from core.workspace.errors import ConfigError
from core.formatting import format_cell, format_statistic
from core.workspace.progress import Progress


ALERTS = (
    "constant",
    "almost_constant",
    "id_like",
    "high_cardinality",
    "many_missing",
    "numeric_as_text",
    "date_as_text",
    "mixed_type",
    "infinities",
    "skewed",
    "outliers",
    "inconsistent_spelling",
    "possible_leak",
)
PROFILE_COLUMNS = [
    "column", "dtype", "kind", "missing", "missing_pct", "distinct", "top_values",
    "min", "max", "mean", "alerts", "alert_messages",
]

ALMOST_CONSTANT_SHARE = 0.98  # one value in >= 98 % of rows
ID_LIKE_SHARE = 0.95  # >= 95 % of values distinct (exact duplicate rows repeat some IDs)
HIGH_CARDINALITY = 50
MANY_MISSING_PCT = 5.0
NUMERIC_AS_TEXT_SHARE = 0.8
DATE_AS_TEXT_SHARE = 0.8
MIXED_TYPE_MIN_SHARE = 0.05  # numbers (or dates) and other text each fill >= 5 % of a text column
SKEW_LIMIT = 2.0
OUTLIER_IQR_FACTOR = 3.0  # "far out" fences, Q1 - 3 IQR / Q3 + 3 IQR (widened for long columns)
OUTLIER_CLEAN_EXPECTED = 0.05  # a clean bell curve may put on average 0.05 values beyond the fences
LEAK_PURITY = 0.98
LEAK_CORRELATION = 0.98
LEAK_SAMPLE_ROWS = 200_000
MAX_SPELLING_UNIQUES = 5_000
MAX_DATE_PARSE_UNIQUES = 1_000  # free-format dates are parsed one by one: cap the work
CATEGORICAL_MAX_DISTINCT = 50

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
# Dates as people and programs write them (lower-cased first): ISO, d/m/y or m/d/y, "5 Jan 2020",
# "Jan 5, 2020", with an optional time and offset. Strict enough that "1.2.3" or "12-4" are not dates.
_DATE_TEXT = re.compile(
    rf"(?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}[-/.]\d{{1,2}}[-/.](?:\d{{4}}|\d{{2}})"
    rf"|\d{{1,2}}[ -]{_MONTH}[ ,-]*\d{{2,4}}|{_MONTH} \d{{1,2}},? \d{{4}})"
    r"(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[ap]m)?(?: ?z|[+-]\d{2}:?\d{2})?)?"
)
_BOOLEAN_PAIRS = [{"yes", "no"}, {"true", "false"}, {"y", "n"}, {"t", "f"}]
_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}
_NUMBER_WORD_RE = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")


# --------------------------------------------------------------------------------------
# Column classification helpers (shared with cleaning and validation)
# --------------------------------------------------------------------------------------


def is_text(s: pd.Series) -> bool:
    """Text-like column: pandas `str`, object or category (but not bool/number/date)."""
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s)
                or pd.api.types.is_bool_dtype(s) or pd.api.types.is_timedelta64_dtype(s))


def is_number_column(s: pd.Series) -> bool:
    """Numbers proper: a numeric dtype that is not boolean."""
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def is_classification_target(s: pd.Series) -> bool:
    """Text, boolean, or whole numbers with at most 20 distinct values -> classification."""
    if pd.api.types.is_bool_dtype(s) or is_text(s):
        return True
    if pd.api.types.is_datetime64_any_dtype(s):
        return False
    values = s.dropna()
    if values.empty:
        return True
    return bool(values.nunique() <= 20 and np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))


def normalize_spelling(value: str) -> str:
    """Key under which case/whitespace/hyphen variants ("Month to month", "month-to-month ") meet."""
    key = str(value).casefold().strip()
    key = re.sub(r"[\s\-_]+", " ", key)
    return _NUMBER_WORD_RE.sub(lambda m: _NUMBER_WORDS[m.group(1)], key)


def get_spelling_variants(s: pd.Series, counts: pd.Series | None = None) -> dict[str, str]:
    """{variant: canonical} for text values that differ only in case/spacing; canonical = most frequent."""
    if not is_text(s):
        return {}
    counts = s.dropna().astype("str").value_counts() if counts is None else counts
    if len(counts) < 2 or len(counts) > MAX_SPELLING_UNIQUES:
        return {}
    frame = pd.DataFrame({"value": counts.index.astype(str), "count": counts.to_numpy()})
    frame["key"] = [normalize_spelling(v) for v in frame["value"]]
    frame = frame.sort_values(["key", "count", "value"], ascending=[True, False, True], kind="stable")
    mapping: dict[str, str] = {}
    for _, group in frame.groupby("key", sort=False):
        if len(group) > 1:
            canonical = str(group["value"].iloc[0])
            mapping.update({str(v): canonical for v in group["value"].iloc[1:]})
    return mapping


def _filled_text(counts: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Stripped distinct values and their counts, blanks left out (most frequent first)."""
    values = pd.Series(counts.index.astype(str), dtype="str").str.strip()
    filled = values.ne("").to_numpy(dtype=bool)
    return values[filled].reset_index(drop=True), counts.to_numpy(dtype="int64")[filled]


def _top_examples(values: pd.Series, counts: np.ndarray, limit: int = 3) -> list[str]:
    """The `limit` most frequent values; variants that only differed by spaces count together."""
    if not len(values):
        return []
    if len(values) > 10_000:  # already in count order: merging the long tail would not change the top
        return [str(v) for v in pd.unique(values.head(10_000).to_numpy())[:limit]]
    merged = pd.Series(counts, index=values.to_numpy()).groupby(level=0, sort=False).sum()
    return [str(v) for v in merged.sort_values(ascending=False, kind="stable").index[:limit]]


def numeric_text_share(s: pd.Series, counts: pd.Series | None = None) -> tuple[float, list[str]]:
    """Share of non-blank text values that are numbers, and a few values that are not."""
    counts = s.dropna().astype("str").value_counts() if counts is None else counts
    values, n = _filled_text(counts)
    if not len(values):
        return 0.0, []
    is_number = values.str.fullmatch(_NUMBER.pattern).to_numpy(dtype=bool)
    share = float(n[is_number].sum() / n.sum())
    return share, _top_examples(values[~is_number], n[~is_number])


def get_text_types(s: pd.Series, counts: pd.Series | None = None) -> dict[str, Any]:
    """How the filled values of a text column read: shares of numbers, dates and other text.

    Returns {"number": share, "date": share, "other": share, "examples": {kind: [values]}}.
    Works on distinct values, so a long column with few values costs almost nothing.
    """
    counts = s.dropna().astype("str").value_counts() if counts is None else counts
    values, n = _filled_text(counts)
    shares = {"number": 0.0, "date": 0.0, "other": 0.0}
    if not len(values):
        return {**shares, "examples": {k: [] for k in shares}}
    is_number = values.str.fullmatch(_NUMBER.pattern).to_numpy(dtype=bool)
    is_date = ~is_number & values.str.lower().str.fullmatch(_DATE_TEXT.pattern).to_numpy(dtype=bool)
    if is_date.any():
        is_date[is_date] = parses_as_date(values[is_date])
    masks = {"number": is_number, "date": is_date, "other": ~is_number & ~is_date}
    total = n.sum()
    return {
        **{kind: float(n[mask].sum() / total) for kind, mask in masks.items()},
        "examples": {kind: _top_examples(values[mask], n[mask]) for kind, mask in masks.items()},
    }


def parse_dates(values: pd.Series, max_free_format: int | None = MAX_DATE_PARSE_UNIQUES) -> pd.Series:
    """Text to UTC-naive datetimes (NaT where it is not a date): ISO first, then free formats.

    Free formats are parsed one value at a time, so by default at most `MAX_DATE_PARSE_UNIQUES`
    values that are not ISO are tried (the rest stay NaT; None: no cap): pass distinct values.
    """
    return _parse_dates(values, max_free_format)[0]


def _parse_dates(values: pd.Series, max_free_format: int | None = MAX_DATE_PARSE_UNIQUES) -> tuple[pd.Series, np.ndarray]:
    """(parsed, untried): untried marks the free-format values left over beyond the cap."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
        untried = parsed.isna().to_numpy() & values.notna().to_numpy()
        todo = np.flatnonzero(untried)[:max_free_format]
        if len(todo):
            parsed.iloc[todo] = pd.to_datetime(values.iloc[todo], format="mixed", errors="coerce", utc=True)
            untried[todo] = False
    return parsed.dt.tz_convert(None), untried


def parses_as_date(candidates: pd.Series) -> np.ndarray:
    """True for date-looking text (already matched by the date pattern) that holds real dates;
    values beyond the parsing cap are taken on the pattern's word."""
    parsed, untried = _parse_dates(candidates.reset_index(drop=True))
    return parsed.notna().to_numpy() | untried


def value_counts(s: pd.Series) -> pd.Series:
    """Counts of non-missing values, most frequent first (ties: smaller value first for numbers).

    Numbers go through a sort (`np.unique`), which beats hashing on a million distinct floats.
    """
    if is_number_column(s):
        return _number_counts(_present_numbers(s), pd.api.types.is_integer_dtype(s))
    return s.value_counts(dropna=True)


def _present_numbers(s: pd.Series) -> np.ndarray:
    values = s.to_numpy(dtype=float, na_value=np.nan)
    return values[~np.isnan(values)]


def _number_counts(values: np.ndarray, integer: bool) -> pd.Series:
    uniques, counts = np.unique(values, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    index = uniques[order]
    if integer:
        index = index.astype("int64")
    return pd.Series(counts[order], index=index, name="count")


def has_leading_zero_codes(s: pd.Series, counts: pd.Series | None = None) -> bool:
    """Integer-looking text with a leading zero (zip codes, IDs): codes, not amounts."""
    values = pd.Series((s.dropna().unique() if counts is None else counts.index).astype(str), dtype="str")
    return bool(values.str.strip().str.fullmatch(r"0\d+").any())


def column_kind(s: pd.Series, counts: pd.Series | None = None) -> str:
    """numeric | boolean | datetime | categorical | text, as the profile shows it."""
    counts = value_counts(s) if counts is None else counts
    return _kind(s, counts, int(s.notna().sum()))


# --------------------------------------------------------------------------------------
# Identifiers: the one definition every stage uses (profile alerts, cleaning, the features
# dropped, the group column of a split, the columns monitoring and the simulation leave alone)
# --------------------------------------------------------------------------------------

# Words that name an identifier: anywhere in the name (customer_id, id_cliente), or only as its last
# word for the ambiguous ones ("order_number" is a key, "number_of_children" a count).
ID_NAME_WORDS = ("id", "uuid", "guid")
ID_NAME_ENDINGS = ("key", "code", "number", "no", "nr")
GROUP_ID_MAX_TYPICAL_ROWS = 10  # unnamed codes: the median rows per value of an entity key
GROUP_ID_MIN_VALUES = 10  # fewer distinct values are a category, whatever they look like
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-./]*")  # C01186, 0152-QWGLK, A-0001, cat_3_L0
_CODE_SHARE = 0.9
_CODE_SAMPLE = 500


def is_named_like_id(name: Any) -> bool:
    """customer_id, CustomerID, customerId, order_number, store_no: a name that says "identifier"."""
    text = str(name)
    words = [w for w in re.split(r"[^a-z0-9]+", text.casefold()) if w]
    camel_case_id = re.search(r"[a-z0-9](Id|ID)$", text) is not None
    return camel_case_id or any(w in ID_NAME_WORDS for w in words) or bool(words and words[-1] in ID_NAME_ENDINGS)


def has_code_like_values(s: pd.Series, counts: pd.Series | None = None) -> bool:
    """Text whose distinct values (nearly) all read like codes: letters and digits with - _ . / and
    at least one digit; dates and decimal amounts are not codes."""
    if not is_text(s):
        return False
    counts = value_counts(s) if counts is None else counts
    values = pd.Series(counts.index[:_CODE_SAMPLE].astype(str), dtype="str").str.strip()
    if values.empty:
        return False
    code = values.str.fullmatch(_CODE.pattern) & values.str.contains(r"\d", regex=True)
    amount = values.str.fullmatch(_NUMBER.pattern) & values.str.contains(r"[.,]", regex=True)
    date = values.str.lower().str.fullmatch(_DATE_TEXT.pattern)
    return bool((code & ~amount & ~date).mean() >= _CODE_SHARE)


def looks_like_id(s: pd.Series, counts: pd.Series | None = None) -> bool:
    """A key of the row: (almost) every value different, and text, or whole numbers that count up
    densely or are named like an ID."""
    counts = value_counts(s) if counts is None else counts
    present = int(s.notna().sum())
    return present >= 20 and len(counts) >= ID_LIKE_SHARE * present and _could_be_id(s, counts)


def looks_like_group_id(s: pd.Series, counts: pd.Series | None = None) -> bool:
    """The key of an entity that has several rows (the customer of a transaction): many distinct
    values — at least 10 and at least √rows, as entities grow with the table — most of which repeat,
    shaped like an identifier (codes, or anything named like an ID).

    A column of a few levels each repeated many times is a category, however code-like its values
    (cat_3_L0 … cat_3_L11, a year stored as text): splitting by it would hold out whole categories.
    """
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return False
    if is_number_column(s) and not is_named_like_id(s.name):
        return False  # repeated numbers (ages, counts) are quantities unless named as a key
    counts = value_counts(s) if counts is None else counts
    present = int(counts.sum())
    n_values = len(counts)
    if n_values < max(GROUP_ID_MIN_VALUES, math.sqrt(present)) or n_values >= present:
        return False
    if not (counts >= 2).mean() > 0.5:
        return False
    if is_number_column(s):
        return bool(np.all(np.mod(counts.index.to_numpy(dtype=float), 1) == 0))
    if not is_text(s) or _mostly_dates(counts):
        return False
    if is_named_like_id(s.name):
        return True
    # Codes without a key's name: an entity has a handful of rows (a customer's purchases), a category
    # many (city_12 on 25 rows each is a city, not a key).
    return has_code_like_values(s, counts) and float(counts.median()) <= GROUP_ID_MAX_TYPICAL_ROWS


def looks_like_identifier(s: pd.Series, counts: pd.Series | None = None) -> bool:
    """A key of the row or of an entity: new rows bring new values, so it is no feature, no category
    to group and no drift signal."""
    counts = value_counts(s) if counts is None else counts
    return looks_like_id(s, counts) or looks_like_group_id(s, counts)


def _mostly_dates(counts: pd.Series) -> bool:
    values = pd.Series(counts.index[:_CODE_SAMPLE].astype(str), dtype="str").str.strip().str.lower()
    return bool(len(values)) and bool(values.str.fullmatch(_DATE_TEXT.pattern).mean() >= _CODE_SHARE)


def outlier_fences(values: np.ndarray) -> tuple[float, float] | None:
    """(low, high) "far out" fences of finite numbers, or None when the middle half has no spread.

    Tukey's 3 IQR fences would flag a couple of values in a clean bell curve of a million rows,
    so they widen with the length: a clean normal column gets past them in under 1 run of 20.
    """
    if len(values) < 8:
        return None
    q1, q3 = np.quantile(values, [0.25, 0.75])
    iqr = q3 - q1
    if iqr <= 0:
        return None
    z = NormalDist().inv_cdf(1 - OUTLIER_CLEAN_EXPECTED / (2 * len(values)))
    factor = max(OUTLIER_IQR_FACTOR, (z - 0.6745) / 1.349)  # normal quartiles sit at +-0.6745 sd
    return float(q1 - factor * iqr), float(q3 + factor * iqr)


# --------------------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------------------


def profile_table(df: pd.DataFrame, target: str | None = None, progress: Progress | None = None) -> pd.DataFrame:
    """One row per column: type, kind, missing, distinct, top values, range and alert codes.

    `progress(fraction, message)` is called after each column (and after the leak check).
    """
    if target is not None and target not in df.columns:
        raise ConfigError(f"The target {target!r} is not a column of the table; choose one of: {', '.join(map(str, df.columns[:20]))}.")
    n = len(df)
    steps = len(df.columns) + (1 if target is not None else 0)
    rows = []
    for i, name in enumerate(df.columns):
        rows.append(_profile_column(df[name], str(name), n, is_target=(name == target)))
        if progress is not None:
            progress((i + 1) / max(steps, 1), f"Profiled {name} ({i + 1} of {len(df.columns)} columns)")
    if target is not None and n:
        _add_leak_alerts(df, target, rows)
    if target is not None and progress is not None:
        progress(1.0, f"Checked every column for a leak of {target}")
    for row in rows:  # codes and messages as parallel lists: both display fine in st.dataframe
        details = row.pop("_details")
        row["alerts"] = [code for code in ALERTS if code in details]
        row["alert_messages"] = [details[code] for code in row["alerts"]]
    profile = pd.DataFrame(rows, columns=PROFILE_COLUMNS)
    for col in ("missing", "distinct"):
        profile[col] = profile[col].astype("int64")
    for col in ("missing_pct", "min", "max", "mean"):
        profile[col] = profile[col].astype("float64")
    return profile


def _profile_column(s: pd.Series, name: str, n: int, *, is_target: bool) -> dict[str, Any]:
    missing = int(s.isna().sum())
    present = n - missing
    numbers = _present_numbers(s) if is_number_column(s) and present else None  # one float copy, reused
    if not present:
        counts = pd.Series(dtype="int64")
    elif numbers is not None:
        counts = _number_counts(numbers, pd.api.types.is_integer_dtype(s))
    else:
        counts = s.value_counts(dropna=True)
    distinct = len(counts)
    kind = _kind(s, counts, present)
    row: dict[str, Any] = {
        "column": name, "dtype": str(s.dtype), "kind": kind, "missing": missing,
        "missing_pct": round(100.0 * missing / n, 2) if n else 0.0, "distinct": distinct,
        "top_values": _top_values(s, counts, present, kind),
        "min": np.nan, "max": np.nan, "mean": np.nan, "alerts": [], "alert_messages": [], "_details": {},
    }
    details: dict[str, str] = {}
    finite = None
    if numbers is not None:
        finite = numbers[np.isfinite(numbers)]
        if len(finite):  # infinities get their own alert instead of hiding the real range
            row.update(min=float(finite.min()), max=float(finite.max()), mean=float(finite.mean()))
        _alert_infinities(name, numbers, len(finite), details)
    elif kind == "boolean" and pd.api.types.is_bool_dtype(s) and present:
        values = s.dropna().to_numpy(dtype=float)
        row.update(min=float(values.min()), max=float(values.max()), mean=float(values.mean()))
    if is_text(s) and present:
        _alert_text_types(name, s, counts, details)
    _alert_presence(name, counts, present, distinct, missing, n, kind, s, is_target, details)
    if kind == "numeric" and finite is not None:
        _alert_shape(name, finite, details)
    if is_text(s) and present:
        _alert_text(name, s, counts, kind, details)
    row["_details"] = details
    return row


def _kind(s: pd.Series, counts: pd.Series, present: int) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "datetime"
    if pd.api.types.is_numeric_dtype(s):
        if len(counts) == 2 and set(counts.index.astype(float)) == {0.0, 1.0}:
            return "boolean"
        return "numeric"
    if len(counts) == 2 and {str(v).strip().casefold() for v in counts.index} in _BOOLEAN_PAIRS:
        return "boolean"
    if len(counts) <= CATEGORICAL_MAX_DISTINCT or len(counts) <= 0.05 * present:
        return "categorical"
    return "text"


def _top_values(s: pd.Series, counts: pd.Series, present: int, kind: str) -> str:
    if not present:
        return ""
    if kind == "datetime":
        return f"from {s.min():%Y-%m-%d} to {s.max():%Y-%m-%d}"
    top = counts.head(3)
    return ", ".join(f"{format_cell(v)} ({100 * c / present:.0f}%)" for v, c in top.items())


def _alert_presence(name, counts, present, distinct, missing, n, kind, s, is_target, details) -> None:
    if n and missing:
        pct = 100.0 * missing / n
        if pct >= MANY_MISSING_PCT:
            advice = "drop the column or" if pct >= 50 else "fill them in (impute) or"
            details["many_missing"] = (
                f"{name} is missing in {pct:.1f}% of rows ({missing:,}): {advice} check why they are missing."
            )
    if not present:
        details["constant"] = f"{name} is empty (every value is missing): drop it."
        return
    if distinct == 1:
        details["constant"] = f"{name} has the same value ({format_cell(counts.index[0])}) in every row: it carries no information; drop it."
        return
    top_share = counts.iloc[0] / present
    if top_share >= ALMOST_CONSTANT_SHARE and not is_target:
        details["almost_constant"] = (
            f"{name} is {format_cell(counts.index[0])} in {100 * top_share:.1f}% of rows: "
            "it carries almost no information; consider dropping it."
        )
    stored_as_text = bool({"numeric_as_text", "date_as_text"} & set(details))  # the conversion comes first
    if not is_target and not stored_as_text and looks_like_id(s, counts):
        every = "every value is different" if distinct == present else f"almost every value is different: {distinct:,} of {present:,}"
        details["id_like"] = f"{name} looks like an ID ({every}): drop it before training."
    elif kind in ("categorical", "text") and distinct > HIGH_CARDINALITY and not is_target and not stored_as_text:
        details["high_cardinality"] = (
            f"{name} has {distinct:,} different values: group the rare ones or drop it, "
            f"since one-hot encoding would create {distinct:,} columns."
        )


def _could_be_id(s: pd.Series, counts: pd.Series) -> bool:
    if is_text(s):
        return True
    if is_number_column(s):  # whole numbers, also when a missing value made them floats
        values = counts.index.to_numpy(dtype=float)
        if not np.all(np.mod(values, 1) == 0):
            return False
        dense = (values.max() - values.min() + 1) <= 2 * len(values)  # row numbers, sequence keys
        return dense or is_named_like_id(s.name)
    return False


def _alert_infinities(name: str, numbers: np.ndarray, finite: int, details: dict[str, str]) -> None:
    infinite = len(numbers) - finite
    if not infinite:
        return
    positive = int(np.isposinf(numbers).sum())
    sides = [f"{positive:,} of +inf" if positive else "", f"{infinite - positive:,} of -inf" if infinite - positive else ""]
    details["infinities"] = (
        f"{name} has {infinite:,} infinite value(s) ({', '.join(p for p in sides if p)}), typically from a division "
        "by zero: most models cannot use them; replace them with missing values or fix the calculation."
    )


def _alert_shape(name: str, values: np.ndarray, details: dict[str, str]) -> None:
    """Outliers and skew of the finite values."""
    if len(values) < 8:
        return
    fences = outlier_fences(values)
    if fences is not None:
        lo, hi = fences
        far = int(((values < lo) | (values > hi)).sum())
        if far:
            details["outliers"] = (
                f"{name} has {far:,} value(s) far outside the typical range ({format_statistic(max(lo, values.min()))} "
                f"to {format_statistic(min(hi, values.max()))}; extremes {format_statistic(values.min())} and {format_statistic(values.max())}): "
                "check whether they are errors or codes such as 999."
            )
    if len(np.unique(values[:100_000])) > 10:
        skew = float(pd.Series(values).skew())
        if abs(skew) >= SKEW_LIMIT:
            side = "large" if skew > 0 else "small"
            details["skewed"] = (
                f"{name} is strongly skewed (skewness {skew:.1f}): a few very {side} values stretch the scale; "
                "a log transform or a tree model copes with that."
            )


def _alert_text_types(name: str, s: pd.Series, counts: pd.Series, details: dict[str, str]) -> None:
    """Numbers stored as text, dates stored as text, or a mix of numbers/dates and words."""
    types = get_text_types(s, counts)
    examples = types["examples"]
    if types["number"] >= NUMERIC_AS_TEXT_SHARE and not has_leading_zero_codes(s, counts):
        blank = pd.Series(counts.index.astype(str), dtype="str").str.strip().eq("").to_numpy()
        blanks = int(counts.to_numpy()[blank].sum())
        others = (examples["other"] + examples["date"])[:3]
        parts = [f"{blanks:,} blank" if blanks else "", f"not numbers: {', '.join(repr(e) for e in others)}" if others else ""]
        shown = f" ({'; '.join(p for p in parts if p)})" if any(parts) else ""
        details["numeric_as_text"] = (
            f"{name} holds numbers stored as text ({100 * types['number']:.0f}% of the filled values are numbers{shown}): convert it to numbers."
        )
    elif types["date"] >= DATE_AS_TEXT_SHARE:
        others = (examples["other"] + examples["number"])[:3]
        shown = f"; not dates: {', '.join(repr(e) for e in others)}" if others else ""
        details["date_as_text"] = (
            f"{name} holds dates stored as text ({100 * types['date']:.0f}% of the filled values are dates, "
            f"e.g. {examples['date'][0]!r}{shown}): convert it to dates."
        )
    elif sum(types[kind] >= MIXED_TYPE_MIN_SHARE for kind in ("number", "date", "other")) >= 2:
        words = {"number": "numbers", "date": "dates", "other": "text"}
        parts = [f"{100 * types[kind]:.0f}% {words[kind]} (e.g. {', '.join(repr(e) for e in examples[kind][:2])})"
                 for kind in ("number", "date", "other") if types[kind] >= MIXED_TYPE_MIN_SHARE]
        details["mixed_type"] = (
            f"{name} mixes types: {' and '.join(parts)}: decide what it should hold, then fix the odd values "
            "or treat it as a category."
        )


def _alert_text(name: str, s: pd.Series, counts: pd.Series, kind: str, details: dict[str, str]) -> None:
    if kind in ("categorical", "boolean") or len(counts) <= MAX_SPELLING_UNIQUES // 5:
        variants = get_spelling_variants(s, counts)
        if variants:
            shown = "; ".join(f"{v!r} -> {c!r}" for v, c in list(variants.items())[:4])
            more = f" and {len(variants) - 4} more" if len(variants) > 4 else ""
            details["inconsistent_spelling"] = (
                f"{name} spells the same category in {len(variants) + len(set(variants.values()))} ways ({shown}{more}): unify them."
            )


def _add_leak_alerts(df: pd.DataFrame, target: str, rows: list[dict[str, Any]]) -> None:
    """A single column that alone predicts the target almost perfectly is probably a leak.

    Works on row positions and reads only the candidate columns, so the frame is never copied.
    """
    positions = np.flatnonzero(df[target].notna().to_numpy())
    if len(positions) < 20:
        return
    if len(positions) > LEAK_SAMPLE_ROWS:
        positions = np.sort(np.random.default_rng(0).choice(positions, LEAK_SAMPLE_ROWS, replace=False))
    y = df[target].iloc[positions]
    classification = is_classification_target(y)
    if classification:
        y_codes = pd.factorize(y)[0]
        if len(np.unique(y_codes)) < 2:
            return
        baseline = float(np.bincount(y_codes).max() / len(y_codes))
    else:
        y_values = y.to_numpy(dtype=float)
        if np.nanstd(y_values) == 0:
            return
    for row in rows:
        name = row["column"]
        if name == target or {"id_like", "constant"} & set(row["_details"]) or row["kind"] == "text":
            continue
        x = df[name].iloc[positions]
        if classification:
            groups = _leak_groups(x)
            if groups is None:
                continue
            n_classes = int(y_codes.max()) + 1
            table = np.bincount(groups * n_classes + y_codes, minlength=(int(groups.max()) + 1) * n_classes)
            purity = float(table.reshape(-1, n_classes).max(axis=1).sum() / len(y_codes))
            if purity >= LEAK_PURITY and (1 - purity) <= 0.25 * (1 - baseline):
                row["_details"]["possible_leak"] = (
                    f"{name} alone predicts {target} almost perfectly ({100 * purity:.1f}% of rows): "
                    "check it is known before the outcome; if not, drop it."
                )
        else:
            strength = _regression_strength(x, y_values)
            if strength is not None and strength >= LEAK_CORRELATION:
                row["_details"]["possible_leak"] = (
                    f"{name} alone predicts {target} almost perfectly (strength {strength:.3f} out of 1): "
                    "check it is known before the outcome; if not, drop it."
                )


def _leak_groups(x: pd.Series) -> np.ndarray | None:
    """Integer group codes for a purity check: 20 quantile bins for many-valued numbers; missing is a group."""
    if pd.api.types.is_datetime64_any_dtype(x):
        x = pd.Series(x.to_numpy(dtype="datetime64[ns]").astype("int64"), index=x.index).where(x.notna())
    if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x) and x.nunique() > 20:
        values = x.to_numpy(dtype=float)
        edges = np.unique(np.nanquantile(values, np.linspace(0, 1, 21)[1:-1]))
        codes = np.searchsorted(edges, values, side="right")
        codes[np.isnan(values)] = len(edges) + 1
        return codes.astype("int64")
    if x.nunique() > 100:
        return None
    return pd.factorize(x, use_na_sentinel=False)[0].astype("int64")


def _regression_strength(x: pd.Series, y: np.ndarray) -> float | None:
    if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
        mask = x.notna().to_numpy()
        if mask.sum() < 20 or x[mask].nunique() < 3:
            return None
        ranks_x = pd.Series(x.to_numpy(dtype=float)[mask]).rank().to_numpy()
        ranks_y = pd.Series(y[mask]).rank().to_numpy()
        corr = np.corrcoef(ranks_x, ranks_y)[0, 1]
        return float(abs(corr)) if np.isfinite(corr) else None
    if x.nunique() > 100 or x.nunique() < 2:
        return None
    codes = pd.factorize(x, use_na_sentinel=False)[0]
    means = pd.Series(y).groupby(codes).transform("mean").to_numpy()
    total = ((y - y.mean()) ** 2).sum()
    return float(1 - ((y - means) ** 2).sum() / total) if total > 0 else None


def get_alerts_df(profile_df: pd.DataFrame) -> pd.DataFrame:
    """One row per alert: column, alert code, and a plain sentence saying what to do."""
    records = []
    messages = profile_df["alert_messages"] if "alert_messages" in profile_df else [[]] * len(profile_df)
    for column, codes, texts in zip(profile_df["column"], profile_df["alerts"], messages):
        texts = list(texts) if texts is not None else []
        for i, code in enumerate(codes):
            message = texts[i] if i < len(texts) else f"{column}: {code.replace('_', ' ')}."
            records.append({"column": column, "alert": code, "message": message})
    return pd.DataFrame(records, columns=["column", "alert", "message"])
