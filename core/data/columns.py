"""What a column holds, decided the same way by every stage: text or numbers, numbers and dates
stored as text, spelling variants of one category, codes with leading zeros, its kind (numeric,
boolean, datetime, categorical, text), identifiers, and the "far out" fences of its numbers.
Profiling, cleaning, validation, the features, training and monitoring all ask these questions;
a module of its own so they get one answer, apart from the profile table and its alerts.
"""

from __future__ import annotations

import math
import re
import warnings
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

ID_LIKE_SHARE = 0.95  # >= 95 % of values distinct (exact duplicate rows repeat some IDs)
OUTLIER_IQR_FACTOR = 3.0  # "far out" fences, Q1 - 3 IQR / Q3 + 3 IQR (widened for long columns)
OUTLIER_CLEAN_EXPECTED = 0.05  # a clean bell curve may put on average 0.05 values beyond the fences
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
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
}
_NUMBER_WORD_RE = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")


def is_text(s: pd.Series) -> bool:
    """Text-like column: pandas `str`, object or category (but not bool/number/date)."""
    return not (
        pd.api.types.is_numeric_dtype(s)
        or pd.api.types.is_datetime64_any_dtype(s)
        or pd.api.types.is_bool_dtype(s)
        or pd.api.types.is_timedelta64_dtype(s)
    )


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


def _parse_dates(
    values: pd.Series, max_free_format: int | None = MAX_DATE_PARSE_UNIQUES
) -> tuple[pd.Series, np.ndarray]:
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
        return number_counts(present_numbers(s), pd.api.types.is_integer_dtype(s))
    return s.value_counts(dropna=True)


def present_numbers(s: pd.Series) -> np.ndarray:
    values = s.to_numpy(dtype=float, na_value=np.nan)
    return values[~np.isnan(values)]


def number_counts(values: np.ndarray, integer: bool) -> pd.Series:
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
    return kind_from_counts(s, counts, int(s.notna().sum()))


def kind_from_counts(s: pd.Series, counts: pd.Series, present: int) -> str:
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
