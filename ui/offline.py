"""Nothing the app shows is fetched from another host: the page icons are local files.

Streamlit turns a page icon written as ``:material/name:`` into a favicon URL on fonts.gstatic.com,
one request per rerun of every page (the browser asks again each time the script sets it): offline
in a classroom that was hundreds of failed requests. The same glyphs, taken once from the Material
Symbols Rounded font Streamlit itself bundles (Apache License 2.0), live in ``ui/static/icons`` as
SVG; Streamlit inlines a local SVG as a data URL, so the favicon costs no request at all.
"""

from __future__ import annotations

import re
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parent / "static" / "icons"
_MATERIAL = re.compile(r"^:material/([a-z0-9_]+):$")


def page_icon(icon: str) -> str:
    """The favicon to give ``st.set_page_config``: a material icon's local SVG file when we ship it,
    otherwise the icon itself (an emoji is drawn by the browser, no request either)."""
    match = _MATERIAL.match(icon)
    if match is None:
        return icon
    path = ICON_DIR / f"{match.group(1)}.svg"
    # An icon we do not ship falls back to the app's home icon rather than to the font host.
    return str(path if path.is_file() else ICON_DIR / "home.svg")
