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
