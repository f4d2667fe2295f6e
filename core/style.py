"""User text (column, feature, category and file names) inside plotly figures.

Plotly draws titles, axis and tick labels, legend entries, hover labels and annotations with a
subset of HTML: a category ``<a href="…">x</a>`` became a live link, ``<b>`` bold text, ``&amp;`` an
ampersand. Plot builders pass every name that came from the user's data through ``plot_text``
(plotly shows the escaped text as typed); the HTML they write themselves (``<br>`` in hover
templates) stays markup. Plotly does not typeset ``$…$`` here: no MathJax is loaded.
"""
from __future__ import annotations

from typing import Any, Iterable

_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def plot_text(value: Any) -> str:
    """``value`` as text plotly shows literally."""
    return str(value).translate(_HTML)


def plot_texts(values: Iterable[Any]) -> list[Any]:
    """Each text value escaped (numbers and other non-text values stay as they are, so a numeric
    axis stays numeric)."""
    return [plot_text(v) if isinstance(v, str) else v for v in values]
