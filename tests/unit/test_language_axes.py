"""Charts per language (issue 13): in Portuguese plotly writes a decimal comma and dates as dd/mm/aaaa;
English charts are left exactly as they were."""

import pandas as pd
import plotly.graph_objects as go

from core.i18n import use_language
from core.style import number_axes
from ui.widgets import PT_DATE_FORMAT, language_axes


def _figure() -> go.Figure:
    fig = go.Figure(go.Scatter(x=pd.date_range("2024-01-01", periods=3), y=[0.5, 1234.5, 2.25]))
    fig.add_trace(go.Bar(x=["a", "b"], y=[1, 2], xaxis="x2", yaxis="y2"))
    fig.update_layout(xaxis2={"anchor": "y2"}, yaxis2={"anchor": "x2"})
    return number_axes(fig)


def test_portuguese_charts_use_a_decimal_comma_and_day_first_dates():
    with use_language("pt"):
        fig = language_axes(_figure())
    assert fig.layout.separators == ",."
    assert fig.layout.xaxis.tickformat == PT_DATE_FORMAT == "%d/%m/%Y"
    assert fig.layout.xaxis.hoverformat == PT_DATE_FORMAT
    assert fig.layout.yaxis.tickformat == ",~r"  # the d3 number format stays; separators localise it
    assert not fig.layout.xaxis2.tickformat  # categories are not dates


def test_english_charts_are_unchanged():
    before = _figure().to_json()
    with use_language("en"):
        after = language_axes(_figure()).to_json()
    assert after == before
    assert _figure().layout.separators is None


def test_a_date_axis_with_its_own_format_keeps_it():
    fig = _figure()
    fig.layout.xaxis.tickformat = "%b %Y"
    with use_language("pt"):
        assert language_axes(fig).layout.xaxis.tickformat == "%b %Y"
