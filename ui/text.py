"""User text shown as plain text inside Streamlit's Markdown.

File names, column names, category values, project names, and sentences that quote them (a
StudioError's message, a chart's caption) reach headings, captions, alerts, toasts, metric labels and
widget labels, and Streamlit renders all of those as Markdown: ``[x](https://…)`` became a live link,
``$x^2$`` KaTeX, ``:red[boom]`` red text, ``<b>`` vanished. ``escape_markdown`` makes such text show
exactly as typed. Pages put it around every piece of user text (or the whole sentence) they place in
a Markdown string; text shown with ``st.text``, ``st.code`` or a dataframe needs nothing.
"""

from __future__ import annotations

import re
from typing import Any

from core.i18n import _

# Zero-width, no line break: breaks patterns that Streamlit rewrites after parsing, where a backslash
# escape no longer counts (it is resolved by then): emoji and icon shortcodes (":smile:",
# ":material/home:", ":streamlit:"), colour directives (":red[…]"), the autolinks of bare addresses
# ("https://…", "www.…", "a@b.co"), and the typographic arrows (" -> " becomes "→").
WORD_JOINER = "\u2060"

# Characters that are Markdown wherever they appear: escapes, code, emphasis, links and images,
# HTML and autolinks, entities, strikethrough, KaTeX, tables.
_ALWAYS = re.compile(r"([\\`*\[\]<>&~$|])")
# Underscores emphasise only at the edge of a word ("snake_case" stays as it is).
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# A colon that starts a shortcode, a directive or a URL's "//"; the "@" of an e-mail address; "www.".
# A colon before digits is left alone unless a shortcode closes after them (":100:"): a time of day
# ("07:07 UTC") then carries no joiner, which would travel with it when the text is copied.
_AUTOLINK_OR_SHORTCODE = re.compile(r"(?<=:)(?=(?!\d)[\w+\-/]|\d[\w+\-]*:)|(?<=@)(?=[\w\-])|(?<=\b[wW][wW][wW])(?=\.)")
# " -> ", " <- ", " -- ", " >= ", " <= ", " ~= " (and " <-> ") are turned into arrows and signs.
_TYPOGRAPHIC_PAIR = re.compile(r"(?<=[-<>~])(?=[->=])")
# What starts a block at the beginning of a line: heading, quote, list items, setext underline.
_BLOCK_START = re.compile(r"^([#+\-=]|\d{1,9}(?=[.)]))")


def escape_markdown(text: Any) -> str:
    """``text`` (anything; shown as ``str(text)``) as Markdown that renders as that text, on one line.
    Leading spaces go (Markdown would drop them or start a code block); line breaks become spaces."""
    text = " ".join(str(text).splitlines()).lstrip()
    text = _AUTOLINK_OR_SHORTCODE.sub(WORD_JOINER, text)
    text = _TYPOGRAPHIC_PAIR.sub(WORD_JOINER, text)
    text = _ALWAYS.sub(r"\\\1", text)
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    match = _BLOCK_START.match(text)
    if match:
        marker = match.group(1)
        text = (marker + "\\" + text[len(marker) :]) if marker[0].isdigit() else "\\" + text
    return text


def optional_choice(value: Any) -> str:
    """An optional picker's option as shown (``format_func``): "— none —" in the reader's language for
    None, else the value as text (a column name, shown as typed)."""
    return _("— none —") if value is None else str(value)
