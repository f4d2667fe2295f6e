"""core.formatting: each formatter keeps the exact output of the helper it replaced (cleaning `_fmt` and
`_percent`, profiling `_fmt_number` / `_fmt_value`, validation `_fmt_number` / `_fmt_example` /
`_fmt_date` / `_pct`)."""

import numpy as np
import pandas as pd
import pytest

from core.formatting import (
    D3_NUMBER,
    format_cell,
    format_count,
    format_date,
    format_exact,
    format_example,
    format_feature_value,
    format_ms,
    format_number,
    format_p_value,
    format_param,
    format_part_of,
    format_percent,
    format_probability,
    format_rate,
    format_share,
    format_significant,
    format_statistic,
    format_threshold,
    format_value,
    format_year,
    is_year_name,
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
    [
        (0.6412, "0.64"),
        (12.34, "12.3"),
        (-15.0, "-15.0"),
        (1204.4, "1,204"),
        (float("nan"), "n/a"),
        (None, "n/a"),
        (-0.001, "-0.001"),  # was "-0.00"
        (-0.0, "0.00"),
        (0.000123, "0.00012"),  # was "0.00"
        (424000.0, "424,000"),
    ],
)
def test_format_number(value, text):
    """Monitoring's readings (PSI, scores, thresholds), as its own helper wrote them."""
    assert format_number(value) == text


@pytest.mark.parametrize(
    "value, text",
    [
        (float("nan"), "missing"),
        (None, "missing"),
        (pd.NaT, "missing"),
        (np.float64(1234.5678), "1,235"),  # was "1235": the issue asks for thousands separators
        (424000.0, "424,000"),  # was "4.24e+05" (the waterfall labels)
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


# The house rules of issue 12 ("Numbers and names people read"), one row per rule.
@pytest.mark.parametrize(
    "formatter, value, text",
    [
        (format_value, 424000.0, "424,000"),  # no scientific notation for ordinary magnitudes
        (format_value, 844123.0, "844,123"),
        (format_value, 0.000123, "0.000123"),  # small values stay readable
        (format_value, 1.5e-9, "0.0000000015"),
        (format_value, -0.0, "0"),  # never "-0.00"
        (format_value, -0.0000001, "-0.0000001"),
        (format_value, 1204, "1,204"),  # thousands separators
        (format_value, 152.345, "152.3"),
        (format_value, 152.04, "152"),
        (format_value, 12.345, "12.35"),
        (format_value, 0.12345, "0.123"),
        (format_value, float("nan"), "n/a"),
        (format_value, None, "n/a"),
        (format_value, float("inf"), "∞"),
        (format_significant, 424242.0, "424,000"),
        (format_significant, 0.00012345, "0.000123"),
        (format_significant, 1e-300, "0"),
        (format_significant, -0.0004, "-0.0004"),
        (format_count, 1204.0, "1,204"),
        (format_year, 2021.0, "2021"),  # years as years, not "2,021"
        (format_year, 1999, "1999"),
        (format_percent, 0.125, "12.5%"),  # rates as percentages
        (format_percent, 0.03, "3%"),
        (format_percent, 0.0004, "0.04%"),
        (format_percent, 0.0000123, "0.0012%"),
        (format_percent, -0.0, "0%"),
        (format_percent, None, "n/a"),
        (format_rate, 903.0, "903 requests a second"),  # a whole rate without ".0"
        (format_rate, 903.4, "903 requests a second"),
        (format_rate, 2.5, "2.5 requests a second"),
        (format_rate, 12000.0, "12,000 requests a second"),
        (format_ms, 12.4, "12 ms"),  # units where known
        (format_ms, 0.42, "0.42 ms"),
        (format_ms, 1250.3, "1,250 ms"),
        (format_ms, None, "n/a"),
        (format_p_value, 1.2e-7, "p < 0.001"),
        (format_p_value, 0.0345, "p = 0.035"),
        (format_p_value, 0.5, "p = 0.5"),
        (format_statistic, 1.23e-05, "0.0000123"),  # was "1.23e-05"
        (format_exact, 1e-07, "0.0000001"),  # was "1e-07"
        (format_param, 0.00001, "0.00001"),  # was "1e-05"
    ],
)
def test_house_rules(formatter, value, text):
    assert formatter(value) == text


@pytest.mark.parametrize(
    "name, is_year",
    [
        ("year_built", True),
        ("Year", True),
        ("model yr", True),
        ("years", True),
        ("yearly_fee", False),
        ("layer", False),
    ],
)
def test_is_year_name(name, is_year):
    assert is_year_name(name) is is_year


def test_no_formatter_writes_e_notation():
    import re

    values = [10.0**k * m for k in range(-9, 13) for m in (1, -1, 4.24, -8.44)]
    for formatter in (format_value, format_significant, format_statistic, format_exact, format_param, format_number):
        for value in values:
            assert not re.search(r"\d[eE][+-]?\d", formatter(value)), (formatter.__name__, value)


def test_d3_number_format_has_separators_and_no_exponent():
    assert D3_NUMBER == ",~r"  # d3: thousands separators, significant digits, trailing zeros trimmed


@pytest.mark.parametrize(
    "probability, threshold, text",
    [
        (0.146, 0.15, "14.6%"),  # format_share alone says "15%", which reads as reaching the threshold
        (0.152, 0.15, "15.2%"),
        (0.0899, 0.09, "8.99%"),  # "9.0%" would sit on the threshold the model says 'Yes' from
        (0.0912, 0.09, "9.1%"),
        (0.15, 0.15, "15.0%"),
        (0.38, 0.5, "38%"),  # far from it: as format_share
        (0.0004, 0.5, "under 0.1%"),
        (0.089999999, 0.09, "just under 9.0%"),
        (0.123, None, "12%"),
    ],
)
def test_format_probability_never_contradicts_the_threshold(probability, threshold, text):
    assert format_probability(probability, threshold) == text


def test_format_threshold_has_one_decimal_at_least():
    assert (
        format_threshold(0.09) == "9.0%" and format_threshold(0.5) == "50.0%" and format_threshold(0.1235) == "12.35%"
    )
