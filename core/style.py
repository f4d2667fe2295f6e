"""How every chart looks, in one place: the plotly template, sizes, the palette, and escaping the
user's text inside figures. A projector theme or a translation touches this module only.

User text (column, feature, category and file names) inside plotly figures: plotly draws titles,
axis and tick labels, legend entries, hover labels and annotations with a subset of HTML, so a
category ``<a href="…">x</a>`` became a live link, ``<b>`` bold text, ``&amp;`` an ampersand. Plot
builders pass every name that came from the user's data through ``plot_text`` (plotly shows the
escaped text as typed); the HTML they write themselves (``<br>`` in hover templates) stays markup.
Plotly does not typeset ``$…$`` here: no MathJax is loaded.

Numbers on axes and in hover labels follow ``core.formatting``'s rules through ``number_axes``
(applied to every chart the pages draw, in ``ui.widgets.chart``): thousands separators and
significant digits, never "4.24e+05" nor plotly's "424k"/"120µ"; years as "2021".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from core.formatting import D3_NUMBER

TEMPLATE = "plotly_white"
HEIGHT = 420  # a chart on its own
HEIGHT_SMALL = 320  # a chart beside another, or a short strip
HEIGHT_MEDIUM = 360
HEIGHT_WINDOWS = 350  # monitoring's per-window charts

# The palette, by meaning. Green is good or within bounds, red is bad or out of bounds, amber is
# "look again"; the accent is the studio's own blue (the theme's primary colour).
ACCENT = "#2563eb"
GOOD = "#16a34a"
BAD = "#dc2626"
WARN = "#f59e0b"
MUTED = "#9ca3af"
# Monitoring's traffic lights (no drift / moderate / major) and its line colour.
LIGHT_GREEN = "#2e7d32"
LIGHT_AMBER = "#ffb300"
LIGHT_RED = "#c62828"
LIGHT_LIME = "#c0ca33"
LINE = "#546e7a"
# Pushes up / pulls down (SHAP), and a study's best-so-far against the default settings.
RAISES = "#d62728"
LOWERS = "#1f77b4"


def style_figure(fig: go.Figure, *, title: str | None = None, height: int = HEIGHT, **layout: Any) -> go.Figure:
    """The studio's look on ``fig`` (template and size), with ``title`` and any other layout settings."""
    set_template(fig, TEMPLATE)
    fig.update_layout(height=height, **({"title": title} if title is not None else {}), **layout)
    return fig


def set_template(fig: go.Figure, name: str) -> None:
    """Give ``fig`` the registered template ``name`` the way plotly gives a new figure its default one:
    without checking the template property by property again (``update_layout(template=name)`` deep-copies
    and re-validates it, ~60-90 ms a figure, most of a chart's cost on a page rerun). Same JSON; the
    figure gets its own copy, so the registry's template is never changed."""
    layout = fig._layout_obj
    layout._validate = False
    try:
        layout.template = pio.templates[name]
    finally:
        layout._validate = fig._validate


D3_YEAR = "d"  # years as years: 2021, not "2,021"
_KEEP_TYPES = {"date", "category", "multicategory"}


def _numeric(values: Any) -> np.ndarray | None:
    """``values`` as a float array when every one is a number (not text, a date or a bool), else None."""
    if values is None or isinstance(values, (str, bytes, dict)):
        return None
    array = np.asarray(values)
    if array.size == 0:
        return None
    if array.dtype.kind in "iuf":
        return array.astype(float).ravel()
    if array.dtype.kind != "O":
        return None
    items = array.ravel().tolist()
    if not all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in items):
        return None
    return np.asarray(items, dtype=float)


def _axis_key(ref: str | None, letter: str) -> str:
    ref = ref or letter
    return f"{letter}axis{ref[1:]}"


def number_axes(fig: go.Figure) -> go.Figure:
    """Give each numeric axis the studio's number format for its ticks and hover labels (",~r":
    424,000 and 0.000123, never e-notation nor SI suffixes; years as "2021"). Axes that already
    have a format, or hold dates or categories, are left alone."""
    found: dict[str, list[np.ndarray | None]] = {}
    for trace in fig.data:
        for letter in ("x", "y"):
            if f"{letter}axis" not in trace:
                continue
            key = _axis_key(getattr(trace, f"{letter}axis", None), letter)
            values = trace[letter] if letter in trace else None
            if values is None and trace.type == "histogram":
                values = [0.0]  # the counts axis of a histogram
            if values is None:
                continue
            found.setdefault(key, []).append(_numeric(values))
    for key, arrays in found.items():
        if not arrays or any(a is None for a in arrays):
            continue
        axis = fig.layout[key]
        if axis.tickformat or axis.type in _KEEP_TYPES:
            continue
        values = np.concatenate([a for a in arrays if a is not None])
        values = values[np.isfinite(values)]
        years = (
            values.size > 0
            and bool(np.all(values == np.round(values)))
            and 1800 <= values.min() <= values.max() <= 2200
        )
        fmt = D3_YEAR if years else D3_NUMBER
        fig.layout[key].update(tickformat=fmt, hoverformat=axis.hoverformat or fmt)
    return fig


_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def plot_text(value: Any) -> str:
    """``value`` as text plotly shows literally."""
    return str(value).translate(_HTML)


def plot_texts(values: Iterable[Any]) -> list[Any]:
    """Each text value escaped (numbers and other non-text values stay as they are, so a numeric
    axis stays numeric)."""
    return [plot_text(v) if isinstance(v, str) else v for v in values]


# --------------------------------------------------------------------------- text size and colour
# Chart text is dark (plotly's default is a light slate) and large enough to read at 1024×768; the
# presenter look (a projector, the back of a room) is larger still, with thicker lines and the
# legend below the plot. ``screen_style`` applies one of them to a finished figure
# (``ui.widgets.chart`` does it for every chart the pages draw).
CHART_TEXT = "#111827"
# Grey text we darken in the presenter look (annotations and captions drawn inside a figure).
_LIGHT_TEXT = {"#9ca3af", "#6b7280", "grey", "gray", "darkgrey", "darkgray", "lightgrey", "lightgray", "#888", "#999"}


class ChartLook:
    """Sizes of one look, in CSS pixels."""

    def __init__(self, *, text: int, title: int, line: float | None, legend_below: bool) -> None:
        self.text = text  # every text in the chart at least this size: ticks, legend, annotations
        self.title = title
        self.line = line  # lines at least this thick (None: leave the builder's widths)
        self.legend_below = legend_below


NORMAL = ChartLook(text=13, title=17, line=None, legend_below=False)
PRESENTER = ChartLook(text=15, title=20, line=3.5, legend_below=True)

# How wide a chart is at the smallest screen we support (1024×768, sidebar open), by the share of
# the main area its container takes (a chart alone, beside one other, one of three).
WIDTH_PX = {"full": 680, "half": 330, "third": 215}
# In presenter mode columns wrap instead of shrinking below 30rem (540 px at its 18 px root size,
# ui.presenter's CSS): no chart there is narrower than this.
PRESENTER_COLUMN_PX = 520
# An average character of the chart font is about this share of the font size (Open Sans, mixed
# case; kept on the wide side so a line never runs out of the chart).
_CHAR_EM = 0.58
_TITLE_INSET = 0.94  # the title starts near the left edge and must end before the right one


def width_class(share: float) -> str:
    """The width class of a chart taking ``share`` (0–1] of the main area's width."""
    if share > 0.6:
        return "full"
    if share > 0.4:
        return "half"
    return "third"


def title_chars(width: str, presenter: bool = False) -> int:
    """How many characters of a title fit on one line of a chart of width class ``width``."""
    look = PRESENTER if presenter else NORMAL
    px = WIDTH_PX.get(width, WIDTH_PX["full"])
    if presenter:
        px = max(px, PRESENTER_COLUMN_PX)
    return max(12, int(px * _TITLE_INSET / (look.title * _CHAR_EM)))


_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")
_WORD = re.compile(r"(?:<[^>]*>|[^\s<])+")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _visible_length(text: str) -> int:
    return len(_ENTITY.sub("x", _TAG.sub("", text)))


def wrap_title(text: str, max_chars: int) -> str:
    """``text`` broken into lines of at most ``max_chars`` visible characters with ``<br>``, at word
    boundaries only (plotly never wraps a title: a long one is cut at the chart's edge). A word
    longer than a line gets a line of its own, whole. Markup plotly reads (``<b>``, ``&amp;``, an
    existing ``<br>``) is kept and not counted."""
    lines: list[str] = []
    for paragraph in _BREAK.split(text):
        line = ""
        for word in _WORD.findall(paragraph):
            if line and _visible_length(line) + 1 + _visible_length(word) > max_chars:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "<br>".join(lines)


def unwrap_title(text: str | None) -> str:
    """A title as one line again (``wrap_title`` undone: it breaks only at single spaces), for
    tests and anything else that compares a figure's title with its sentence."""
    return _BREAK.sub(" ", text or "")


def _hex_light(color: Any) -> bool:
    return isinstance(color, str) and color.strip().lower() in _LIGHT_TEXT


def _floor_font(font: Any, size: int, presenter: bool) -> None:
    """``font`` at least ``size`` and dark. Sizes and colours are set even where the figure left them
    to its template: Streamlit's chart theme would otherwise draw ticks and legends in small grey."""
    if font is None:
        return
    current = font.size
    if current is None or (isinstance(current, (int, float)) and current < size):
        font.size = size
    if font.color is None or (presenter and _hex_light(font.color)):
        font.color = CHART_TEXT


def _axes(fig: go.Figure) -> list[Any]:
    return [fig.layout[key] for key in fig.layout if re.fullmatch(r"[xy]axis\d*", key)]


def _legend_rows(fig: go.Figure, width: str) -> int:
    """About how many rows a horizontal legend of ``fig``'s trace names takes at ``width`` (a legend
    entry is its name plus ~5 characters of symbol and gap)."""
    names = [str(t.name or "") for t in fig.data if t.showlegend is not False and t.name]
    if not names:
        return 1
    room = title_chars(width, True) * 1.1
    rows, used = 1, 0.0
    for name in names:
        entry = len(name) + 5
        if used and used + entry > room:
            rows, used = rows + 1, 0.0
        used += entry
    return rows


def _legend_at_bottom(fig: go.Figure, look: ChartLook, width: str) -> int:
    """A horizontal legend at the chart's bottom edge (the container, not the plot: a legend just under
    the plot sat on the x axis title), the bottom margin holding tick labels, the axis title and the
    legend's rows. Returns the height the chart needs on top."""
    rows = _legend_rows(fig, width)
    titled = any(axis.title.text for axis in _axes(fig) if axis.plotly_name.startswith("x"))
    bottom = int(look.text * (1.8 + (1.7 if titled else 0) + 1.6 * rows)) + 12
    fig.update_layout(
        legend={"orientation": "h", "x": 0, "xanchor": "left", "yref": "container", "y": 0, "yanchor": "bottom"},
        margin_b=max(bottom, fig.layout.margin.b or 0),
    )
    return int(look.text * 1.6 * rows) + 2 * look.text


def screen_style(fig: go.Figure, *, presenter: bool = False, width: str = "full") -> go.Figure:
    """The studio's text and line look on a finished figure: dark text of at least the look's size
    (ticks, axis titles, legend, annotations, labels on bars), the title wrapped to the chart's
    width class and sized, axes that make room for their labels; in the presenter look also thicker
    lines, the legend below the plot and a taller chart for the larger text."""
    look = PRESENTER if presenter else NORMAL
    layout = fig.layout
    base = layout.font.size if isinstance(layout.font.size, (int, float)) else 0
    fig.update_layout(font={"size": max(base, look.text), "color": CHART_TEXT})
    extra_height = 0
    # Room between the plot and the title: subplot titles and a legend on top sit there.
    above = 8
    if any(a.yref == "paper" and (a.y or 0) >= 1 for a in layout.annotations):
        above += int(look.text * 1.8)
    if layout.legend.y is not None and layout.legend.y >= 1 and not presenter:
        above += int(look.text * 2)
    title = layout.title.text
    if title:
        wrapped = wrap_title(str(title), title_chars(width, presenter))
        lines = wrapped.count("<br>") + 1
        size = max(look.title, layout.title.font.size or 0)
        # Anchored on the plot's top edge and pushing the top margin (automargin): however many
        # lines it has, the title sits inside the chart, above the plot.
        fig.update_layout(
            title={
                "text": wrapped,
                "font": {"size": size, "color": CHART_TEXT},
                "x": 0.02,
                "xanchor": "left",
                "xref": "container",
                "y": 1,
                "yanchor": "bottom",
                "yref": "paper",
                "pad": {"b": above},
                "automargin": True,
            }
        )
        extra_height += int((lines - 1) * size * 1.3)
    elif above > 8 and (layout.margin.t is None or layout.margin.t < above + 12):
        fig.update_layout(margin_t=above + 12)
    if title and (layout.margin.t is None or layout.margin.t > 30):
        fig.update_layout(margin_t=30)  # the title's automargin adds what it needs
    for axis in _axes(fig):
        axis.automargin = True
        _floor_font(axis.tickfont, look.text, presenter)
        _floor_font(axis.title.font, look.text, presenter)
    _floor_font(layout.legend.font, look.text, presenter)
    _floor_font(layout.legend.title.font, look.text, presenter)
    for annotation in layout.annotations:
        _floor_font(annotation.font, look.text, presenter)
    for trace in fig.data:
        for attribute in ("textfont", "insidetextfont", "outsidetextfont"):
            if attribute in trace:
                _floor_font(trace[attribute], look.text, presenter)
        if "colorbar" in trace:
            _floor_font(trace.colorbar.tickfont, look.text, presenter)
    if presenter:
        for trace in fig.data:
            if look.line and trace.type in ("scatter", "scattergl") and "lines" in (trace.mode or "lines"):
                trace.line.width = max(trace.line.width or 2, look.line)
        if layout.showlegend is not False and len(fig.data) > 1:
            extra_height += _legend_at_bottom(fig, look, width)
        extra_height += 40
    elif layout.showlegend is not False and layout.legend.y is not None and layout.legend.y < 0:
        # A chart that puts its legend under the plot itself (Explain's partial dependence): at the
        # bottom edge too, or it sits on the x axis title.
        extra_height += _legend_at_bottom(fig, look, width)
    if extra_height and isinstance(layout.height, (int, float)):
        fig.update_layout(height=int(layout.height) + extra_height)
    return fig
