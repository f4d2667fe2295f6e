"""Numbers, shares and dates written into sentences: captions, step summaries, violation messages.

One home for the formatters the data stage uses, so a caption and a message that show the same kind
of value show it the same way, and a later translation or house style touches one place. Each keeps
the exact output of the helper it replaces (pinned in tests/unit/test_formatting.py); they differ on
purpose (a step parameter is quoted, a statistic is rounded, a bound is written in full). Imports
nothing of ours, so any layer may use it.

The rules every page and chart follows (issue 12, "Numbers and names people read"): thousands
separators (1,204); no scientific notation for ordinary magnitudes (424,000, not 4.24e+05; 0.000123,
not 1.23e-04); years as years (2021, not 2,021); never "-0.00"; a rate as a percentage; a whole rate
without ".0" ("903 requests a second"); units where known ("12 ms", "€4.50", "R$ 4,50"). Charts use the same
rules through ``core.style.number_axes`` (d3 formats, below).

Per language (issue 13): in Portuguese every formatter writes a decimal comma and a thousands point
(1.234,5 / 12,5% / 0,000123) and dates as dd/mm/aaaa, reading ``core.i18n.current_language()``; the
words they write ("n/a", "under 0.1%", "requests a second") are translated. Each formatter builds
its text with English numerals (formatters calling formatters stay English inside, see
``_localized``) and the outermost call turns the digits' separators round once, so a text is never
converted twice and the rules above hold in both languages.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from core.i18n import _, current_language, pgettext

_F = TypeVar("_F", bound=Callable[..., str])
#: True while a formatter runs: the formatters it calls write English numerals, converted once at the end.
_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("formatting_inside", default=False)
# A number as the formatters write it: digits with "," (thousands) and "." (decimals) between them.
_NUMBER = re.compile(r"\d(?:[\d,.]*\d)?")
_SWAP = str.maketrans({",": ".", ".": ","})


def uses_decimal_comma(language: str | None = None) -> bool:
    """Whether ``language`` (default: the current one) writes 1.234,5 rather than 1,234.5."""
    return (language or current_language()) == "pt"


def localize_number_text(text: str) -> str:
    """English numerals in ``text`` ("1,234.5", "12.5%") written the current language's way
    ("1.234,5", "12,5%"); only the separators between digits change, words stay as they are."""
    if not uses_decimal_comma():
        return text
    return _NUMBER.sub(lambda m: m.group(0).translate(_SWAP), text)


def _localized(function: _F) -> _F:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        if _inside.get():
            return function(*args, **kwargs)
        token = _inside.set(True)
        try:
            text = function(*args, **kwargs)
        finally:
            _inside.reset(token)
        return localize_number_text(text)

    return wrapper  # type: ignore[return-value]


#: For formatters written outside this module (a metric's value, an explanation's effect): decorate a
#: function that builds its text with English numerals, and it writes the current language's way.
localized = _localized


@contextlib.contextmanager
def english_numerals() -> Iterator[None]:
    """Inside the block every formatter writes English numerals ("0.84", "1,204"), whatever the
    language: for values kept as text in a record and localized again where shown (a gate's checks)."""
    token = _inside.set(True)
    try:
        yield
    finally:
        _inside.reset(token)


@_localized
def format_as(value: float, spec: str) -> str:
    """``value`` exactly as Python's ``format(value, spec)`` writes it in English ("0.84" for ".2f",
    "1,204" for ",", "12%" for ".0%"), with the current language's separators: for sentences whose
    English form is pinned by a spec; prefer the formatters above for new text."""
    return format(value, spec)


def format_datetime(value: Any) -> str:
    """A moment a person reads in a sentence ("generated on …"): its date as ``format_date`` writes it
    (dd/mm/aaaa in Portuguese), then hours and minutes; ISO text is read as such, other text is kept."""
    if isinstance(value, str):
        try:
            value = pd.Timestamp(value)
        except (ValueError, TypeError):
            return value
    if value is None or pd.isna(value):
        return _("n/a")
    value = pd.Timestamp(value)
    day = format_date(value.normalize())
    if value == value.normalize():
        return day
    return f"{day} {value.hour:02d}:{value.minute:02d}"


def _date_text(value: pd.Timestamp, time_sep: str = " ") -> str:
    """A timestamp as a date (dd/mm/aaaa in Portuguese, ISO in English), with its time when it has one."""
    with_time = value != value.normalize()
    if uses_decimal_comma():
        date = f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
        return f"{date} {value.time().isoformat()}" if with_time else date
    # isoformat, not strftime: strftime writes the year 1 as "1", not "0001"
    return value.isoformat(sep=time_sep) if with_time else value.date().isoformat()


def format_param(value: Any) -> str:
    """A value a cleaning step was given or learned: 1,204 / 7.5 / 0.0123 / 'text' (quoted)."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return _format_param_number(float(value))
    return repr(value) if isinstance(value, str) else str(value)


@_localized
def _format_param_number(value: float) -> str:
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) >= 1 else format_significant(value, 4)


@_localized
def format_part_of(part: int, whole: int) -> str:
    """`part` as a share of `whole` with one decimal ("98.9%"); "100%" only when (nearly) all."""
    share = 100 * part / max(whole, 1)
    return f"{share:.1f}%" if share < 99.95 else "100%"


@_localized
def format_statistic(value: float | np.floating) -> str:
    """A summary statistic, rounded for reading: 1,204 / 152.3 / 12.35 / 0.123."""
    value = float(value)
    if not np.isfinite(value):
        return str(value)
    if value.is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return format_significant(value, 3) if abs(value) < 1 else _unsigned_zero(f"{value:,.2f}")


def format_cell(value: Any) -> str:
    """A table cell in a caption: floats as statistics, timestamps as dates, anything else as text."""
    if isinstance(value, (float, np.floating)):
        return format_statistic(value)
    if isinstance(value, pd.Timestamp):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}" if uses_decimal_comma() else f"{value:%Y-%m-%d}"
    return str(value)


@_localized
def format_exact(value: float, grouping: bool = True) -> str:
    """A bound or a value checked against one: six significant digits, so 99.95 is not shown as 100."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    sep = "," if grouping else ""
    if value.is_integer():
        return f"{int(value):{sep}}"
    return format_significant(value, 6, grouping=grouping) if abs(value) < 1e6 else f"{value:{sep}.0f}"


@_localized
def format_example(value: float) -> str:
    """Numbers in a list of examples: no thousands separator, which would read as a list separator."""
    return format_exact(value, grouping=False)


def format_date(value: pd.Timestamp) -> str:
    """A date alone when it has no time of day, else date and time; "NaT" for a missing one."""
    if pd.isna(value):
        return "NaT"
    return _date_text(value)


@_localized
def format_share(share: float) -> str:
    """A share (0..1) as a rounded percentage: "0%", "12%", "0.4%", "99.7%", "under 0.1%"."""
    pct = 100.0 * share
    if pct == 0 or pct >= 1 and not 99.5 <= pct < 100:
        return f"{pct:.0f}%"
    if pct >= 0.1:
        return f"{pct:.1f}%"
    return _("under 0.1%")


@_localized
def format_threshold(threshold: float) -> str:
    """A decision threshold (0..1) as a percentage with at least one decimal, up to two when it needs
    them: "9.0%", "50.0%", "12.35%"."""
    pct = 100.0 * float(threshold)
    return f"{pct:.1f}%" if round(pct, 1) == round(pct, 2) else f"{pct:.2f}%"


@_localized
def format_probability(probability: float, threshold: float | None = None) -> str:
    """A probability (0..1) as ``format_share`` writes it, with more decimals near ``threshold`` (the
    probability from which a binary model says its positive class) so the text never contradicts the
    decision: with a threshold of 15%, 0.146 reads "14.6%" (not "15%") and 0.152 "15.2%"; a value
    below the threshold always reads below ``format_threshold(threshold)``."""
    text = format_share(probability)
    if threshold is None or not (math.isfinite(probability) and math.isfinite(threshold)):
        return text
    pct, limit = 100.0 * float(probability), 100.0 * float(threshold)
    shown_limit = float(format_threshold(threshold)[:-1])
    if pct == limit:
        return format_threshold(threshold)

    def right_side(shown: float) -> bool:
        if pct < limit:
            return shown < limit and shown < shown_limit
        return shown > limit and shown > shown_limit

    plain = re.fullmatch(r"(\d+(?:\.\d+)?)%", text)
    if plain is None and pct < 0.1 <= shown_limit or plain is not None and right_side(float(plain.group(1))):
        return text  # "under 0.1%", or already on the right side of the threshold
    for places in range(1, 7):
        if right_side(round(pct, places)):
            return f"{pct:.{places}f}%"
    just = _("just under {threshold}") if pct < limit else _("just over {threshold}")
    return just.format(threshold=format_threshold(threshold))


def _decimals_shown(text: str) -> int:
    """How many decimals a formatter's ``text`` shows, read with the decimal mark it was written with."""
    mark = "," if uses_decimal_comma() and not _inside.get() else "."
    if mark not in text:
        return 0
    return len(re.match(r"\d*", text.rsplit(mark, 1)[1]).group(0))  # type: ignore[union-attr]


def format_beside_bar(value: float, bar: float, value_text: str, bar_text: str, most: int = 6) -> tuple[str, str]:
    """A value and the bar it is compared with in one sentence ("0.98, below the 0.9999 asked for"):
    ``value_text`` and ``bar_text`` as their formatter wrote them when those are true, else both with as
    many decimals (up to ``most``) as it takes to write the bar exactly and to keep a value that differs
    from the bar from reading as the bar — never "below the 1.00" for a bar of 0.9999, nor "1.00, below
    the 1.00" for 0.9995 against 1."""
    if not (math.isfinite(value) and math.isfinite(bar)):
        return value_text, bar_text

    def same(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-9 * max(1.0, abs(b))

    exact = next((d for d in range(most + 1) if same(round(bar, d), bar)), most)
    apart = 0 if same(value, bar) else next((d for d in range(most + 1) if round(value, d) != round(bar, d)), most)
    shown_value, shown_bar = _decimals_shown(value_text), _decimals_shown(bar_text)
    if exact <= shown_bar and apart <= min(shown_value, shown_bar):
        return value_text, bar_text
    spec = f",.{max(exact, apart)}f"
    return format_as(value, spec), format_as(bar, spec)


@_localized
def format_number(value: float) -> str:
    """A measured value the way a person reads it (monitoring's PSI, scores, thresholds): 0.64, 12.3,
    1,204; "n/a" when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("n/a")
    if abs(value) >= 1000:
        return _unsigned_zero(f"{value:,.0f}")
    if abs(value) >= 10:
        return f"{value:.1f}"
    if 0 < abs(value) < 0.01:  # 0.000123, not "0.00" (nor "-0.00")
        return format_significant(value, 2)
    return _unsigned_zero(f"{value:.2f}")


#: The currency sign costs are shown in, per language. Costs are plain numbers the user typed (the
#: studio converts nothing): the sign follows the class's language, so a Brazilian class reads R$.
CURRENCIES = {"en": "€", "pt": "R$"}


def currency_symbol(language: str | None = None) -> str:
    """The currency sign of ``language`` (default: the current one): "€" in English, "R$" in Portuguese."""
    return CURRENCIES.get(language or current_language(), CURRENCIES["en"])


@_localized
def format_money(value: float, currency: str | None = None) -> str:
    """€12,400 / −€3,100 / €4.50; in Portuguese R$ 12.400 / −R$ 3.100 / R$ 4,50 (``currency``: the
    language's sign unless given; a sign of several letters is followed by a no-break space)."""
    currency = currency_symbol() if currency is None else currency
    sign = "−" if value < 0 else ""
    magnitude = abs(value)
    number = f"{magnitude:,.0f}" if magnitude >= 100 or float(magnitude).is_integer() else f"{magnitude:,.2f}"
    space = "\u00a0" if len(currency) > 1 else ""
    return f"{sign}{currency}{space}{number}"


def format_feature_value(value: Any) -> str:
    """A feature's value beside its SHAP contribution: "missing", 4 significant digits, a date."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return pgettext("a value", "missing")
    if isinstance(value, (float, np.floating)):
        return format_significant(float(value), 4)
    if isinstance(value, pd.Timestamp):
        return _date_text(value, time_sep="T")
    return str(value)


# d3 number formats for plotly ticks and hover labels, matching the text formatters: thousands
# separators, significant digits with trailing zeros trimmed, never e-notation (",~r"), and a
# share in [0, 1] as a percentage.
D3_NUMBER = ",~r"
D3_PERCENT = ".1~%"
D3_INTEGER = ",d"


def _unsigned_zero(text: str) -> str:
    """ "-0.00" and "-0" become "0.00" and "0": a value that rounds to zero has no sign."""
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


@_localized
def format_significant(value: float, digits: int = 3, grouping: bool = True) -> str:
    """``value`` to ``digits`` significant digits, written out in full (never e-notation), trailing
    zeros trimmed: 424,000 / 12.3 / 0.000123 / 0; "inf"/"nan" as such."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    sep = "," if grouping else ""
    exponent = math.floor(math.log10(abs(value)))
    decimals = digits - 1 - exponent
    if decimals <= 0:
        text = f"{round(value, decimals):{sep}.0f}"
    else:
        text = f"{value:{sep}.{min(decimals, 15)}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
    return _unsigned_zero(text)


@_localized
def format_value(value: Any, unit: str | None = None, digits: int = 3) -> str:
    """Any measured number for a person: whole numbers with separators (1,204), others to ``digits``
    significant digits but never fewer decimals than a reading needs (152.3, 12.35, 0.000123), then the
    unit if there is one ("12 ms", "1,204 rows"); "n/a" when there is none."""
    if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return _("n/a")
    if isinstance(value, (bool, np.bool_)):
        return _("yes") if value else _("no")
    value = float(value)
    if not math.isfinite(value):
        text = "∞" if value > 0 else "−∞"
    elif value.is_integer():
        text = _unsigned_zero(f"{int(value):,}")
    elif abs(value) >= 100:
        text = _unsigned_zero(f"{value:,.1f}").removesuffix(".0")
    elif abs(value) >= 1:
        text = _unsigned_zero(f"{value:,.2f}").rstrip("0").rstrip(".")
    else:
        text = format_significant(value, digits)
    return f"{text} {unit}" if unit else text


@_localized
def format_count(value: float | int) -> str:
    """A count of things: 1,204 (rounded to a whole number)."""
    return f"{round(float(value)):,}"


_YEAR_NAME = re.compile(r"(?:^|[^a-z])(?:year|yr)s?(?:[^a-z]|$)", re.IGNORECASE)


def is_year_name(name: object) -> bool:
    """Whether a column's name says it holds years ("year_built", "Year", "model yr"): its values are
    written without a thousands separator."""
    return bool(_YEAR_NAME.search(str(name)))


def format_year(value: float | int) -> str:
    """A year as a year: 2021, never "2,021" nor "2021.0"."""
    return str(int(round(float(value))))


@_localized
def format_percent(share: float | None, decimals: int = 1) -> str:
    """A rate (0..1) as a percentage with ``decimals`` decimals, trailing zeros trimmed: "12.5%",
    "3%", "0.04%"; a tiny non-zero rate keeps two significant digits rather than showing "0%"."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return _("n/a")
    pct = 100.0 * float(share)
    text = f"{pct:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if pct != 0 and _unsigned_zero(text) in ("0", "-0"):
        text = format_significant(pct, 2)
    return f"{_unsigned_zero(text)}%"


@_localized
def format_rate(value: float, unit: str | None = None, per: str | None = None) -> str:
    """A throughput: "903 requests a second" (a whole rate has no ".0"), "2.5 requests a second".
    ``unit`` and ``per`` (already translated by the caller) replace "requests" and "a second"."""
    value = float(value)
    number = f"{round(value):,}" if abs(value) >= 100 or value.is_integer() else format_value(value)
    if unit is None and per is None:
        return _("{number} requests a second").format(number=number)
    if unit is None:
        unit = _("requests")
    if per is None:
        per = _("a second")
    return f"{number} {unit} {per}"


@_localized
def format_ms(value: float | None) -> str:
    """A duration in milliseconds: "12 ms", "0.42 ms", "1,250 ms"; "n/a" when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("n/a")
    value = float(value)
    text = f"{value:,.0f}" if abs(value) >= 10 else format_significant(value, 2)
    return f"{_unsigned_zero(text)} ms"


@_localized
def format_p_value(p: float) -> str:
    """A test's p-value: "p = 0.034", "p < 0.001" (never "p = 1.2e-07")."""
    p = float(p)
    if math.isnan(p):
        return _("p = n/a")
    if p < 0.001:
        return "p < 0.001"
    return f"p = {format_significant(p, 2)}"
