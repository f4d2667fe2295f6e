"""Numbers, money and dates written in sentences, in Portuguese (issue 13, the tester's gaps of
session 24): hand-built numerals now go through core.formatting, so a Brazilian class reads 0,84,
6.992 linhas, R$ and dd/mm/aaaa."""

import pandas as pd

from core.explain.probability import SPACE_PROBABILITY, format_effect, format_output_pair
from core.formatting import (
    currency_symbol,
    english_numerals,
    format_as,
    format_datetime,
    format_money,
    format_share,
)
from core.i18n import use_language
from core.problem.definition import format_metric_value


def test_format_as_keeps_the_english_spec_and_localizes_it():
    assert format_as(0.8412, ".2f") == "0.84"
    assert format_as(6992, ",") == "6,992"
    assert format_as(0.125, ".0%") == "12%"
    with use_language("pt"):
        assert format_as(0.8412, ".2f") == "0,84"
        assert format_as(6992, ",") == "6.992"
        assert format_as(1234.5, ",.1f") == "1.234,5"


def test_metric_values_and_effects_in_portuguese():
    assert format_metric_value("roc_auc", 0.8412) == "0.84"
    assert format_metric_value("rmse", 1234.5) == "1,234"  # 1,234 rounds half to even, as before
    assert format_effect(0.127, SPACE_PROBABILITY) == "+12.7 pts"
    with use_language("pt"):
        assert format_metric_value("roc_auc", 0.8412) == "0,84"
        assert format_metric_value("rmse", 12.345) == "12,35"
        assert format_metric_value("roc_auc", float("nan")) == "n/d"
        assert format_effect(0.127, SPACE_PROBABILITY) == "+12,7 pts"
        assert format_effect(-0.0, SPACE_PROBABILITY) == "0,0 pts"
        assert format_output_pair(0.573, 0.572, SPACE_PROBABILITY) == ("57,3%", "57,2%")


def test_english_numerals_inside_a_portuguese_session():
    """A record keeps English numerals (the gate's check values), localized again where shown."""
    with use_language("pt"), english_numerals():
        assert format_metric_value("roc_auc", 0.8412) == "0.84"
        assert format_share(0.125) == "12%" and format_as(0.5, ".2f") == "0.50"
    with use_language("pt"):
        assert format_as(0.5, ".2f") == "0,50"  # the block left nothing behind


def test_money_follows_the_language():
    assert currency_symbol() == "€" and format_money(12400) == "€12,400" and format_money(4.5) == "€4.50"
    with use_language("pt"):
        assert currency_symbol() == "R$"
        assert format_money(12400) == "R$\u00a012.400"
        assert format_money(-3100) == "−R$\u00a03.100"
        assert format_money(4.5) == "R$\u00a04,50"
        assert format_money(4.5, "€") == "€4,50"  # an explicit sign is kept


def test_moments_in_sentences():
    moment = pd.Timestamp("2026-12-05 07:07:31")
    assert format_datetime(moment) == "2026-12-05 07:07"
    assert format_datetime(moment.normalize()) == "2026-12-05"
    with use_language("pt"):
        assert format_datetime(moment) == "05/12/2026 07:07"
        assert format_datetime("2021-01-05") == "05/01/2021"
        assert format_datetime("not a date") == "not a date"


def test_the_model_card_counts_and_dates_in_portuguese():
    from core.reports.context import format_count, format_when

    ts = pd.Timestamp("2026-12-05 07:07:31").timestamp()
    assert format_count(6992) == "6,992" and format_when(ts) == "2026-12-05 07:07 UTC"
    with use_language("pt"):
        assert format_count(6992) == "6.992"
        assert format_when(ts) == "05/12/2026 07:07 UTC"
