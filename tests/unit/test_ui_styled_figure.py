"""ui.widgets.chart keeps each styled figure for every session: the same figure drawn again is not
styled again, and what the browser gets is what styling it would have given."""

from __future__ import annotations

import json

import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from ui import widgets


@pytest.fixture(autouse=True)
def _empty_cache():
    widgets._styled.clear()
    yield
    widgets._styled.clear()


def _app(lang: str | None = None):
    import numpy as np
    import plotly.graph_objects as go

    from core.style import style_figure
    from ui.language import choose_language
    from ui.widgets import chart

    choose_language()

    def make():
        fig = go.Figure(go.Bar(x=["a", "b", "c"], y=np.array([1.0, 2000.5, 3.0])))
        return style_figure(fig, title="How much each of the three letters weighs in the whole of the table")

    chart(make(), "first", key="first")
    chart(make(), "second", key="second")


def _specs(lang: str | None = None) -> list[str]:
    at = AppTest.from_function(_app, default_timeout=30)
    if lang:
        at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    return [element.proto.spec for element in at.get("plotly_chart")]


def _styled_the_old_way():
    import numpy as np
    import plotly.graph_objects as go

    from core.style import number_axes, screen_style, style_figure

    fig = go.Figure(go.Bar(x=["a", "b", "c"], y=np.array([1.0, 2000.5, 3.0])))
    style_figure(fig, title="How much each of the three letters weighs in the whole of the table")
    return pio.to_json(number_axes(screen_style(fig)).to_dict(), validate=False)


def test_the_same_figure_is_styled_once_and_drawn_as_styling_it_would():
    first, second = _specs()
    assert first == second
    assert json.loads(first) == json.loads(_styled_the_old_way())  # the same figure (keys may come in another order)
    assert len(widgets._styled) == 1
    again = _specs()  # another session: nothing styled again
    assert again == [first, second]
    assert len(widgets._styled) == 1
    layout = json.loads(first)["layout"]
    assert "<br>" in layout["title"]["text"]  # wrapped to the chart's width
    assert layout["yaxis"]["tickformat"]  # the studio's number format


def test_each_language_gets_its_own_styled_figure():
    english = _specs()[0]
    portuguese = _specs("pt")[0]
    assert len(widgets._styled) == 2
    assert json.loads(portuguese)["layout"]["separators"] == ",."
    assert "separators" not in json.loads(english)["layout"]


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(widgets, "MAX_STYLED", 1)
    _specs()
    _specs("pt")
    assert len(widgets._styled) == 1
