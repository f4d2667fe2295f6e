"""How every chart looks, in one place: the plotly template, sizes, the palette, and escaping the
user's text inside figures. A projector theme or a translation touches this module only.

User text (column, feature, category and file names) inside plotly figures: plotly draws titles,
axis and tick labels, legend entries, hover labels and annotations with a subset of HTML, so a
category ``<a href="…">x</a>`` became a live link, ``<b>`` bold text, ``&amp;`` an ampersand. Plot
builders pass every name that came from the user's data through ``plot_text`` (plotly shows the
escaped text as typed); the HTML they write themselves (``<br>`` in hover templates) stays markup.
Plotly does not typeset ``$…$`` here: no MathJax is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go

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
    fig.update_layout(template=TEMPLATE, height=height, **({"title": title} if title is not None else {}), **layout)
    return fig


_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def plot_text(value: Any) -> str:
    """``value`` as text plotly shows literally."""
    return str(value).translate(_HTML)


def plot_texts(values: Iterable[Any]) -> list[Any]:
    """Each text value escaped (numbers and other non-text values stay as they are, so a numeric
    axis stays numeric)."""
    return [plot_text(v) if isinstance(v, str) else v for v in values]
