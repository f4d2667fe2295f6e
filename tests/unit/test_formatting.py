"""core.formatting: each formatter keeps the exact output of the helper it replaced (cleaning `_fmt` and
`_percent`, profiling `_fmt_number` / `_fmt_value`, validation `_fmt_number` / `_fmt_example` /
`_fmt_date` / `_pct`)."""

import numpy as np
import pandas as pd
import pytest

from core.formatting import (
    format_cell,
    format_date,
    format_exact,
    format_example,
    format_feature_value,
    format_number,
    format_param,
    format_part_of,
    format_rate,
    format_share,
    format_statistic,
)


@pytest.mark.parametrize(
    "value, text",
    [
        (1204, "1,204"),
        (7.5, "7.5"),
        (0.0123, "0.0123"),
        (1234567.891, "1,234,567.89"),
        (-0.00012, "-0.00012"),
        (np.int64(3), "3"),
        (np.float32(2.5), "2.5"),
        ("abc", "'abc'"),
        (True, "True"),
        (None, "None"),
    ],
)
def test_format_param(value, text):
    assert format_param(value) == text


@pytest.mark.parametrize(
    "part, whole, text", [(2177, 2201, "98.9%"), (9999, 10000, "100%"), (0, 0, "0.0%"), (1, 3, "33.3%")]
)
def test_format_part_of(part, whole, text):
    assert format_part_of(part, whole) == text


@pytest.mark.parametrize(
    "value, text",
    [
        (1204, "1,204"),
        (152.345, "152.3"),
        (12.345, "12.35"),
        (0.12345, "0.123"),
        (float("inf"), "inf"),
        (1234.0, "1,234"),
    ],
)
def test_format_statistic(value, text):
    assert format_statistic(value) == text


@pytest.mark.parametrize(
    "value, text",
    [
        (0.5, "0.5"),
        (pd.Timestamp("2024-01-31 10:30"), "2024-01-31"),
        ("Yes", "Yes"),
        (3, "3"),
        (np.float64(1204.0), "1,204"),
    ],
)
def test_format_cell(value, text):
    assert format_cell(value) == text


@pytest.mark.parametrize(
    "value, text",
    [(1204, "1,204"), (99.95, "99.95"), (1234567.891, "1,234,568"), (float("nan"), "nan"), (0.1234567, "0.123457")],
)
def test_format_exact(value, text):
    assert format_exact(value) == text


def test_format_example_has_no_thousands_separator():
    assert format_exact(1204.5, grouping=False) == "1204.5"
    assert format_example(1204) == "1204"
    assert format_example(0.1234567) == "0.123457"


@pytest.mark.parametrize(
    "value, text",
    [
        (pd.Timestamp("2024-01-31"), "2024-01-31"),
        (pd.Timestamp("2024-01-31 10:30"), "2024-01-31 10:30:00"),
        (pd.NaT, "NaT"),
    ],
)
def test_format_date(value, text):
    assert format_date(value) == text


@pytest.mark.parametrize(
    "share, text", [(0, "0%"), (0.0004, "under 0.1%"), (0.004, "0.4%"), (0.123, "12%"), (0.996, "99.6%"), (1.0, "100%")]
)
def test_format_share(share, text):
    assert format_share(share) == text


@pytest.mark.parametrize(
    "value, text",
    [(0.6412, "0.64"), (12.34, "12.3"), (-15.0, "-15.0"), (1204.4, "1,204"), (float("nan"), "n/a"), (None, "n/a")],
)
def test_format_number(value, text):
    """Monitoring's readings (PSI, scores, thresholds), as its own helper wrote them."""
    assert format_number(value) == text


@pytest.mark.parametrize(
    "value, text",
    [
        (903.0, "903"),
        (50, "50"),
        (12.5, "12.5"),
        (0.25, "0.25"),
        (1234.0, "1,234"),
        (float("nan"), "n/a"),
        (None, "n/a"),
    ],
)
def test_format_rate_reads_a_whole_rate_whole(value, text):
    """'903 requests a second', not '903.0'."""
    assert format_rate(value) == text


@pytest.mark.parametrize(
    "value, text",
    [
        (float("nan"), "missing"),
        (None, "missing"),
        (pd.NaT, "missing"),
        (np.float64(1234.5678), "1235"),
        (0.000123456, "0.0001235"),
        (pd.Timestamp("2024-03-01"), "2024-03-01"),
        (pd.Timestamp("2024-03-01 08:30"), "2024-03-01T08:30:00"),
        ("Month-to-month", "Month-to-month"),
        (7, "7"),
    ],
)
def test_format_feature_value(value, text):
    """A feature's value beside its SHAP contribution (the Explain page's waterfall), as before."""
    assert format_feature_value(value) == text
