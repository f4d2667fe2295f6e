"""Chart text size, colour and title wrapping (core.style's normal and presenter looks)."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from core.style import (
    CHART_TEXT,
    NORMAL,
    PRESENTER,
    screen_style,
    title_chars,
    unwrap_title,
    width_class,
    wrap_title,
)


def _lines(wrapped: str) -> list[str]:
    return wrapped.split("<br>")


def test_wrap_title_breaks_at_word_boundaries_only():
    title = "Prediction drift: are the model's answers changing over the monitored windows?"
    wrapped = wrap_title(title, 20)
    lines = _lines(wrapped)
    assert len(lines) > 1
    assert all(len(line) <= 20 for line in lines), lines
    # Every word survives whole and in order: joining the lines with spaces gives the title back.
    assert " ".join(lines) == title


def test_wrap_title_keeps_a_short_title_on_one_line():
    assert wrap_title("Latency per version", 40) == "Latency per version"


def test_wrap_title_gives_a_long_word_its_own_line_unbroken():
    wrapped = wrap_title("Drift of Comprimento_do_contrato_em_meses over time", 12)
    assert "Comprimento_do_contrato_em_meses" in _lines(wrapped)


def test_wrap_title_keeps_markup_and_existing_breaks():
    wrapped = wrap_title("Drift of <b>R&amp;D spend</b> per window<br>second line", 14)
    # Markup is not counted as text and never cut: "&amp;" counts as one character.
    assert "<b>R&amp;D" in wrapped and "spend</b>" in wrapped
    assert wrapped.endswith("<br>second line")
    visible = [re.sub(r"<[^>]*>", "", line).replace("&amp;", "&") for line in _lines(wrapped)]
    assert all(len(line) <= 17 for line in visible), visible


def test_title_chars_shrinks_with_width_and_presenter_mode():
    assert title_chars("half") < title_chars("full")
    assert title_chars("third") < title_chars("half")
    assert title_chars("full", presenter=True) < title_chars("full")


@pytest.mark.parametrize(("share", "expected"), [(1.0, "full"), (0.5, "half"), (1 / 3, "third"), (0.25, "third")])
def test_width_class(share, expected):
    assert width_class(share) == expected


def test_look_sizes_meet_the_issue():
    assert NORMAL.text >= 12 and PRESENTER.text >= 14 and PRESENTER.title >= 18
    assert PRESENTER.line and PRESENTER.line > 2


def _figure(title: str = "A fairly long chart title that would be cut in a narrow column") -> go.Figure:
    fig = go.Figure(
        [
            go.Scatter(x=[1, 2, 3], y=[1, 3, 2], mode="lines", name="a", line={"width": 1}),
            go.Scatter(x=[1, 2, 3], y=[2, 1, 3], mode="lines+markers", name="b"),
        ]
    )
    fig.update_layout(title=title, height=320, xaxis_title="Window", template="plotly_white")
    fig.add_annotation(text="threshold", x=2, y=2, font={"size": 10, "color": "#9ca3af"})
    fig.update_xaxes(tickfont={"size": 9})
    return fig


def test_normal_look_text_is_dark_and_at_least_12_px():
    fig = screen_style(_figure(), width="half")
    assert fig.layout.font.color == CHART_TEXT
    assert fig.layout.font.size >= 12
    assert fig.layout.title.font.size >= NORMAL.title
    assert fig.layout.xaxis.tickfont.size >= 12  # an explicit 9 px is raised
    assert fig.layout.annotations[0].font.size >= 12
    assert "<br>" in fig.layout.title.text  # a half-width chart wraps this title
    assert fig.layout.title.automargin is True
    assert fig.layout.legend.orientation is None  # the normal look leaves the legend where it was
    assert fig.data[0].line.width == 1  # and the lines


def test_presenter_look_is_larger_thicker_and_legend_below():
    fig = screen_style(_figure(), presenter=True, width="half")
    assert fig.layout.font.size >= 14
    assert fig.layout.title.font.size >= 18
    assert fig.layout.xaxis.tickfont.size >= 14
    assert fig.layout.annotations[0].font.size >= 14
    assert fig.layout.annotations[0].font.color == CHART_TEXT  # grey text darkened
    assert all(trace.line.width >= PRESENTER.line for trace in fig.data)
    # Below the plot at the chart's bottom edge, under the x axis title (not on it), with a margin for both.
    legend = fig.layout.legend
    assert legend.orientation == "h" and legend.yref == "container" and legend.y == 0 and legend.yanchor == "bottom"
    assert fig.layout.margin.b >= 15 * (1.8 + 1.6)
    assert fig.layout.height > 320  # room for the larger text
    lines = fig.layout.title.text.split("<br>")
    assert all(len(line) <= title_chars("half", presenter=True) for line in lines)


def test_screen_style_leaves_a_title_free_figure_without_title():
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], textfont={"size": 8}))
    screen_style(fig, presenter=True)
    assert not fig.layout.title.text
    assert fig.data[0].textfont.size >= 14


def test_unwrap_title_gives_the_sentence_back():
    title = "Drift against what the model uses (last window)"
    assert unwrap_title(wrap_title(title, 15)) == title
    assert unwrap_title(None) == ""


def test_a_legend_a_chart_puts_under_its_plot_goes_under_the_axis_title():
    """Explain's partial dependence put its legend at y=-0.25 of the plot: on the x axis title."""
    fig = _figure()
    fig.update_layout(legend={"orientation": "h", "y": -0.25}, xaxis_title="contract")
    fig = screen_style(fig, presenter=False, width="half")
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0
    assert fig.layout.margin.b >= 13 * (1.8 + 1.7 + 1.6)  # ticks, the axis title and a row of legend
