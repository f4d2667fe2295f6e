"""Streamlit's own file-uploader words in the session's language, by CSS.

Streamlit 1.67 writes the dropzone's words itself ("Upload", "400MB per file • CSV, TSV…", "Drag and
drop a file here" while a file is dragged over it) and offers no way to set them from Python
(streamlit/streamlit#13500). In any language but English the original words are made invisible
(``font-size: 0``: they keep no room) and an ``::after`` box writes the translated words from the
catalog in their place. The size-and-types line names each uploader's own file types: they come from
``UPLOADER_TYPES`` by widget key (a test checks that every ``st.file_uploader`` in pages/ and ui/ is
listed here with the same types); an uploader not listed says the size alone.

The words are translated strings, not user text: they are still escaped for a CSS string
(``css_string``), as a translator's quote or backslash must not end the rule.
"""

from __future__ import annotations

import streamlit as st

from core.formatting import format_count
from core.i18n import DEFAULT_LANGUAGE, _, current_language

#: Every file uploader of the app by widget key (a key ending in "_" is a prefix: the template cards'
#: ``template_data_<code>``) -> the file types it accepts, as passed to ``st.file_uploader(type=...)``.
UPLOADER_TYPES: dict[str, tuple[str, ...]] = {
    "upload": ("csv", "tsv", "txt", "xlsx", "parquet", "gz", "zip"),  # Data
    "recipe_upload": ("json",),  # Data: replay a recipe
    "spec_upload": ("yaml", "yml", "json"),  # Home: start from a spec
    "spec_data_upload": ("csv", "tsv", "txt", "xlsx", "parquet", "gz", "zip"),  # Home: the spec's table
    "template_data_": ("csv", "tsv", "txt", "xlsx", "parquet", "gz", "zip"),  # Home: a template card's table
}

DROPZONE = '[data-testid="stFileUploaderDropzone"]'  # i18n: skip (CSS selector)
# The size-and-types line: one <span> holding "400MB per file" and " • CSV, …" as two text nodes.
LIMIT_LINE = '[data-testid="stFileUploaderDropzoneInstructions"] > div > span'  # i18n: skip (CSS selector)
# The button's words (beside its icon) and the overlay shown while a file is dragged over the zone.
BUTTON_WORDS = DROPZONE + ' button [data-testid="stMarkdownContainer"]'  # i18n: skip (CSS selector)
DRAG_WORDS = DROPZONE + " > div:not([data-testid]) > span"  # i18n: skip (CSS selector)


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes included): backslashes, quotes and line ends escaped,
    and "<" too, so nothing in it can close the ``<style>`` element around it."""
    out = []
    for char in text:
        if char in '\\"<>' or ord(char) < 0x20 or char == "\x7f":
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _selector(key: str) -> str:
    return f'[class*="st-key-{key}"]' if key.endswith("_") else f".st-key-{key}"  # i18n: skip (CSS selector)


def type_names(types: tuple[str, ...]) -> str:
    """The types as Streamlit lists them after the size: "CSV, TSV, TXT"."""
    return ", ".join(t.lstrip(".").upper() for t in types)


def max_upload_mb() -> int:
    try:
        return int(st.get_option("server.maxUploadSize"))  # i18n: skip (config option)
    except Exception:  # outside a server (a unit test): Streamlit's own default
        return 200


def limit_line(types: tuple[str, ...] | None) -> str:
    """The size-and-types line in the current language: "400 MB por arquivo • CSV, TSV"."""
    size = _("{size} MB per file").format(size=format_count(max_upload_mb()))
    return size + (" • " + type_names(types) if types else "")


def _replace(selector: str, text: str) -> str:
    return (
        f"{selector} {{ font-size: 0 !important; }}\n"
        f"{selector}::after {{ content: {css_string(text)}; font-size: 0.875rem; }}\n"
    )


def uploader_css(language: str | None = None) -> str:
    """The ``<style>`` that writes the uploaders' own words in ``language`` (default: the session's);
    empty in English, where Streamlit's words are kept."""
    if (language or current_language()) == DEFAULT_LANGUAGE:
        return ""
    button, dragged = css_string(_("Upload")), css_string(_("Drop the file here"))
    rules = [
        _replace(LIMIT_LINE, limit_line(None)),
        *(_replace(f"{_selector(key)} {LIMIT_LINE}", limit_line(types)) for key, types in UPLOADER_TYPES.items()),
        f"{BUTTON_WORDS} p {{ font-size: 0 !important; }}\n"
        f"{BUTTON_WORDS} p::after {{ content: {button}; font-size: 1rem; }}\n",
        f"{DRAG_WORDS} {{ font-size: 0 !important; }}\n"
        f"{DRAG_WORDS}::after {{ content: {dragged}; font-size: 1rem; }}\n",
    ]
    return "<style>\n" + "".join(rules) + "</style>\n"
