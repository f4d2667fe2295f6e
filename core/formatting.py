"""Numbers, shares and dates written into sentences: captions, step summaries, violation messages.

One home for the formatters the data stage uses, so a caption and a message that show the same kind
of value show it the same way, and a later translation or house style touches one place. Each keeps
the exact output of the helper it replaces (pinned in tests/unit/test_formatting.py); they differ on
purpose (a step parameter is quoted, a statistic is rounded, a bound is written in full). Imports
nothing of ours, so any layer may use it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def format_param(value: Any) -> str:
    """A value a cleaning step was given or learned: 1,204 / 7.5 / 0.0123 / 'text' (quoted)."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        value = float(value)
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) >= 1 else f"{value:.4g}"
    return repr(value) if isinstance(value, str) else str(value)


def format_part_of(part: int, whole: int) -> str:
    """`part` as a share of `whole` with one decimal ("98.9%"); "100%" only when (nearly) all."""
    share = 100 * part / max(whole, 1)
    return f"{share:.1f}%" if share < 99.95 else "100%"


def format_statistic(value: float | np.floating) -> str:
    """A summary statistic, rounded for reading: 1,204 / 152.3 / 12.35 / 0.123."""
    value = float(value)
    if not np.isfinite(value):
        return str(value)
    if value.is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"


def format_cell(value: Any) -> str:
    """A table cell in a caption: floats as statistics, timestamps as dates, anything else as text."""
    if isinstance(value, (float, np.floating)):
        return format_statistic(value)
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    return str(value)


def format_exact(value: float, grouping: bool = True) -> str:
    """A bound or a value checked against one: six significant digits, so 99.95 is not shown as 100."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    sep = "," if grouping else ""
    if value.is_integer():
        return f"{int(value):{sep}}"
    return f"{value:{sep}.6g}" if abs(value) < 1e6 else f"{value:{sep}.0f}"


def format_example(value: float) -> str:
    """Numbers in a list of examples: no thousands separator, which would read as a list separator."""
    return format_exact(value, grouping=False)


def format_date(value: pd.Timestamp) -> str:
    """A date alone when it has no time of day, else date and time; "NaT" for a missing one."""
    if pd.isna(value):
        return "NaT"
    # isoformat, not strftime: strftime writes the year 1 as "1", not "0001"
    return value.date().isoformat() if value == value.normalize() else value.isoformat(sep=" ")


def format_share(share: float) -> str:
    """A share (0..1) as a rounded percentage: "0%", "12%", "0.4%", "99.7%", "under 0.1%"."""
    pct = 100.0 * share
    if pct == 0 or pct >= 1 and not 99.5 <= pct < 100:
        return f"{pct:.0f}%"
    if pct >= 0.1:
        return f"{pct:.1f}%"
    return "under 0.1%"


def format_number(value: float) -> str:
    """A measured value the way a person reads it (monitoring's PSI, scores, thresholds): 0.64, 12.3,
    1,204; "n/a" when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_rate(value: float) -> str:
    """A rate (requests a second...) as format_number reads it, except that a whole one reads whole:
    903, not 903.0."""
    if value is not None and not (isinstance(value, float) and math.isnan(value)) and float(value).is_integer():
        return f"{value:,.0f}"
    return format_number(value)


def format_money(value: float, currency: str = "€") -> str:
    """€12,400 / −€3,100 / €4.50."""
    sign = "−" if value < 0 else ""
    magnitude = abs(value)
    number = f"{magnitude:,.0f}" if magnitude >= 100 or float(magnitude).is_integer() else f"{magnitude:,.2f}"
    return f"{sign}{currency}{number}"


def format_feature_value(value: Any) -> str:
    """A feature's value beside its SHAP contribution: "missing", 4 significant digits, a date."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return "missing"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)
