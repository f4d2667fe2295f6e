"""Presenter mode: the studio on a projector (``?present=1`` or the sidebar toggle).

Larger text (body 18 px and up, chart text 14 px and up), high contrast, wide charts and columns
that wrap to fewer per row, so every page reads at 1024×768 from the back of a room with nothing cut
or broken mid-word. The mode comes from the URL (``?present=1`` turns it on, ``?present=0`` off),
else from the session's earlier choice; links the frame builds carry ``presenter_url_params()``.

``presenter_setup()`` is called once per run by the frame (it injects the page styling and draws the
toggle); ``present_figure(fig)`` is applied to every chart by ``ui.widgets.chart``. The styling is a
constant: no user text goes into it.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from core.i18n import _
from core.style import screen_style, width_class
from ui.layout import column_share
from ui.uploader_text import uploader_css

PRESENT_KEY = "presenter_mode"
TOGGLE_KEY = "presenter_toggle"
URL_PARAM = "present"
_ON = {"1", "true", "yes", "on"}
_OFF = {"0", "false", "no", "off"}

# Always: words are never broken in the middle (the "Dat a", "Pro ble m" of narrow boxes), in
# buttons and metric labels too; a long word moves to the next line whole, and columns too narrow
# for a word wrap to the next row.
BASE_CSS = """
<style>
[data-testid="stMain"] :is(p, li, span, label, button, h1, h2, h3, h4, h5, h6, div) {
  overflow-wrap: normal; word-break: normal; hyphens: none;
}
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div { white-space: normal; overflow-wrap: normal; }
/* Widget and button labels wrap at spaces instead of ending in "…" or being cut (a checkbox in a
   narrow column, a long download button). */
[data-testid="stMain"] :is(label, button, [data-testid="stWidgetLabel"]) [data-testid="stMarkdownContainer"],
[data-testid="stMain"] :is(label, button, [data-testid="stWidgetLabel"]) [data-testid="stMarkdownContainer"] p {
  white-space: normal; overflow: visible; text-overflow: clip;
}
/* A file uploader's size and types line ("400MB per file • CSV, TSV, …") wraps in a narrow column
   (a template card) instead of ending in "…". */
[data-testid="stFileUploaderDropzoneInstructions"], [data-testid="stFileUploaderDropzoneInstructions"] * {
  white-space: normal; overflow: visible; text-overflow: clip;
}
/* A row of many columns (Home's eight stage boxes at 1024 px) wraps before a column gets narrower
   than a word, instead of cutting the word off. */
[data-testid="stMain"] [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
[data-testid="stMain"] [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] { min-width: min(100%, 7.5rem); }
</style>
"""

# Presenter mode: everything larger, darker and wider, and columns wrap to fewer per row.
PRESENTER_CSS = """
<style>
html { font-size: 18px; }
[data-testid="stMain"] { font-size: 18px; color: #111827; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] :is(p, li) { font-size: 1.1rem; line-height: 1.55; }
[data-testid="stMain"] h1 { font-size: 2.2rem; }
[data-testid="stMain"] h2 { font-size: 1.75rem; }
[data-testid="stMain"] h3 { font-size: 1.45rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { color: #111827; font-size: 1rem; opacity: 1; }
[data-testid="stMain"] [data-testid="stMetricLabel"] p { font-size: 1.05rem; color: #111827; }
[data-testid="stMain"] [data-testid="stMetricValue"] { font-size: 2rem; }
[data-testid="stMain"] :is(button, label, input, textarea, [data-baseweb="select"]) { font-size: 1rem; }
[data-testid="stMainBlockContainer"] {
  max-width: 100%; padding-left: 1.5rem; padding-right: 1.5rem; padding-top: 2.5rem;
}
[data-testid="stHorizontalBlock"] { flex-wrap: wrap; row-gap: 1rem; }
[data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
  flex: 1 1 30rem !important; min-width: min(100%, 30rem) !important; width: auto !important;
}
[data-testid="stMain"] :is(p, li, span, label, button, h1, h2, h3, h4, h5, h6, div) {
  overflow-wrap: normal; word-break: normal; hyphens: none;
}
</style>
"""


def _parse(value: object) -> bool | None:
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in _ON:
        return True
    if text in _OFF:
        return False
    return None


def presenter_mode() -> bool:
    """Whether this run is in presenter mode: the URL's ``present`` when it says on or off, else
    the session's earlier choice, else off. Kept in session state, so links without it keep it."""
    from_url = _parse(st.query_params.get(URL_PARAM))
    if from_url is not None:
        st.session_state[PRESENT_KEY] = from_url
    elif URL_PARAM in st.query_params:  # ?present=abc is ignored: gone from the URL, so no copied link carries it
        del st.query_params[URL_PARAM]
    return bool(st.session_state.get(PRESENT_KEY, False))


def presenter_url_params() -> dict[str, str]:
    """The URL parameters a link must carry to keep presenter mode (empty when it is off). Safe to
    call before ``presenter_setup`` in the same run: it reads the URL itself."""
    return {URL_PARAM: "1"} if presenter_mode() else {}


def _toggled() -> None:
    on = bool(st.session_state.get(TOGGLE_KEY))
    st.session_state[PRESENT_KEY] = on
    if on:
        st.query_params[URL_PARAM] = "1"
    elif URL_PARAM in st.query_params:
        del st.query_params[URL_PARAM]


def presenter_setup() -> bool:
    """Call once per run, after the page config: settles the mode, injects the page styling and
    draws the sidebar toggle. Returns whether presenter mode is on."""
    on = presenter_mode()
    # Streamlit's own uploader words in the session's language (ui.uploader_text; nothing in English).
    st.html(BASE_CSS + uploader_css() + (PRESENTER_CSS if on else ""))
    st.sidebar.toggle(
        _("Presenter mode"),
        value=on,
        key=TOGGLE_KEY,
        on_change=_toggled,
        help=_(
            "Larger text, stronger contrast and wider charts, for a projector. Add ?present=1 to a link to open it so."
        ),
    )
    return on


def present_figure(fig: go.Figure) -> go.Figure:
    """The studio's chart look for this run (presenter or normal), titles wrapped to the width of
    the container the chart is drawn in."""
    return screen_style(
        fig, presenter=bool(st.session_state.get(PRESENT_KEY, False)), width=width_class(column_share())
    )
