"""Every page's icon is a local file, so no favicon is fetched from the font host."""

from __future__ import annotations

import re
from pathlib import Path

from ui.frame import PAGES
from ui.offline import ICON_DIR, page_icon

REPO = Path(__file__).resolve().parents[2]


def _page_setup_icons() -> set[str]:
    icons = set()
    for script in [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]:
        icons |= set(re.findall(r'":material/[a-z0-9_]+:"', script.read_text()))
    return {icon.strip('"') for icon in icons} | {icon for _s, _l, icon, _k in PAGES}


def test_every_page_icon_is_a_local_svg():
    icons = _page_setup_icons()
    assert ":material/monitoring:" in icons
    for icon in icons:
        path = Path(page_icon(icon))
        assert path.parent == ICON_DIR and path.read_text().startswith("<svg"), icon
    for _script, _label, icon, _key in PAGES:  # the navigation's icons are the pages' own
        assert Path(page_icon(icon)).name == icon.split("/")[1].rstrip(":") + ".svg"


def test_emoji_and_unknown_icons():
    assert page_icon("🚀") == "🚀"
    assert Path(page_icon(":material/no_such_icon:")).name == "home.svg"  # never the font host
