"""Numbers and dates in Portuguese (issue 13): decimal comma, thousands point, dd/mm/aaaa, words
translated; English stays exactly as tests/unit/test_formatting.py pins it."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from core import formatting as f
from core.i18n import current_language, use_language


@pytest.mark.parametrize(
    "formatter, value, text",
    [
        (f.format_statistic, 1234.5, "1.234,5"),
        (f.format_statistic, 12.345, "12,35"),
        (f.format_statistic, 1204.0, "1.204"),
        (f.format_percent, 0.125, "12,5%"),
        (f.format_percent, 0.0004, "0,04%"),
        (f.format_significant, 0.000123, "0,000123"),
        (f.format_significant, 424_000.0, "424.000"),
        (f.format_value, 1_234_567.0, "1.234.567"),
        (f.format_value, 152.34, "152,3"),
        (f.format_value, float("nan"), "n/d"),
        (f.format_value, True, "sim"),
        (f.format_value, False, "não"),
        (f.format_number, 0.64, "0,64"),
        (f.format_number, 12345.0, "12.345"),
        (f.format_number, None, "n/d"),
        (f.format_share, 0.004, "0,4%"),
        (f.format_share, 0.0004, "menos de 0,1%"),
        (f.format_threshold, 0.1235, "12,35%"),
        (f.format_part_of, 989, "98,9%"),
        (f.format_money, 12400, "R$\u00a012.400"),
        (f.format_money, 4.5, "R$\u00a04,50"),
        (f.format_count, 1204.4, "1.204"),
        (f.format_ms, 1250.0, "1.250 ms"),
        (f.format_ms, 0.42, "0,42 ms"),
        (f.format_exact, 99.95, "99,95"),
        (f.format_example, 1234.5, "1234,5"),
        (f.format_p_value, 0.034, "p = 0,034"),
        (f.format_p_value, 1e-7, "p < 0,001"),
        (f.format_param, 1204, "1.204"),
        (f.format_param, 7.5, "7,5"),
        (f.format_feature_value, None, "ausente"),
        (f.format_feature_value, 3.14159, "3,142"),
    ],
)
def test_portuguese_numbers(formatter, value, text):
    args = (value, 1000) if formatter is f.format_part_of else (value,)
    with use_language("pt"):
        assert formatter(*args) == text
    assert current_language() == "en"  # the block ends, English again


def test_the_same_call_in_english_is_unchanged():
    with use_language("en"):
        assert f.format_statistic(1234.5) == "1,234.5"
        assert f.format_percent(0.125) == "12.5%"
        assert f.format_rate(903) == "903 requests a second"
        assert f.format_date(pd.Timestamp("2024-03-07")) == "2024-03-07"


def test_dates_read_day_month_year():
    with use_language("pt"):
        assert f.format_date(pd.Timestamp("2024-03-07")) == "07/03/2024"
        assert f.format_date(pd.Timestamp("2024-03-07 14:30")) == "07/03/2024 14:30:00"
        assert f.format_date(pd.Timestamp("0001-01-01")) == "01/01/0001"
        assert f.format_date(pd.NaT) == "NaT"
        assert f.format_cell(pd.Timestamp("2024-12-25")) == "25/12/2024"
        assert f.format_feature_value(pd.Timestamp("2024-12-25")) == "25/12/2024"


def test_rates_and_words_are_translated():
    with use_language("pt"):
        assert f.format_rate(903) == "903 requisições por segundo"
        assert f.format_rate(2.5) == "2,5 requisições por segundo"
        assert f.format_rate(1204.0, unit="linhas", per="por minuto") == "1.204 linhas por minuto"
        assert f.format_p_value(float("nan")) == "p = n/d"


def test_text_a_person_typed_is_not_touched():
    # A quoted category or a column name keeps its own points and commas.
    with use_language("pt"):
        assert f.format_param("v1.2,3") == "'v1.2,3'"
        assert f.format_cell("1,5") == "1,5"
        assert f.format_feature_value("3.0.1") == "3.0.1"


def test_formatters_calling_formatters_convert_once():
    # format_value calls format_significant, format_probability calls format_share and
    # format_threshold: a number converted twice would come back with English separators.
    with use_language("pt"):
        assert f.format_value(0.000123) == "0,000123"
        assert f.format_probability(0.146, threshold=0.15) == "14,6%"
        assert f.format_probability(0.1499, threshold=0.15) == "14,99%"
        assert f.format_probability(0.15, threshold=0.15) == "15,0%"


def test_probability_near_the_threshold_never_contradicts_it_in_portuguese():
    rng = np.random.default_rng(0)
    for threshold in (0.15, 0.5, 0.0912):
        for p in rng.uniform(threshold - 0.01, threshold + 0.01, 200):
            with use_language("pt"):
                text, limit = f.format_probability(p, threshold), f.format_threshold(threshold)
            if text.startswith(("pouco", "menos")):
                continue
            shown = float(text.rstrip("%").replace(".", "").replace(",", "."))
            assert (shown < float(limit.rstrip("%").replace(",", "."))) == (p < threshold) or math.isclose(p, threshold)


def test_no_portuguese_number_has_a_decimal_point():
    """In Portuguese a point only groups thousands: it is always followed by exactly three digits."""
    values = [0.5, 1.25, 1234.5, 0.000123, 98765.4321, -1234567.891]
    with use_language("pt"):
        for formatter in (f.format_statistic, f.format_value, f.format_significant, f.format_number, f.format_exact):
            for value in values:
                text = formatter(value)
                assert re.search(r"\.(?!\d{3}(?!\d))", text) is None, (formatter.__name__, value, text)
