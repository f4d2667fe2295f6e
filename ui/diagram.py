"""The Home page's diagram: the lesson's pipeline (core.guide) drawn as SVG, each node linking to its
page with the project and language in the link."""

from __future__ import annotations

import streamlit as st

from core.guide.diagram import build_diagram
from core.guide.svg import MIN_WIDTH_NORMAL_PX, MIN_WIDTH_PX, render_html
from core.i18n import current_language
from core.workspace import projects
from ui.presenter import presenter_mode
from ui.state import link_params


def pipeline_diagram(ws, project: dict | None) -> None:
    status = projects.get_stage_status(ws, project["id"]) if project else {}
    # Always name the language: the links live in markup that is not re-rendered on a language switch.
    params = link_params(project["id"] if project else None) | {"lang": current_language()}
    # Our own markup, every text escaped by the renderer. It fits the main area at 1024 px with the sidebar
    # open and scrolls sideways only below that (labels ≥ 14 px in presenter mode, ≥ 12 px otherwise).
    least = MIN_WIDTH_PX if presenter_mode() else MIN_WIDTH_NORMAL_PX
    st.html(render_html(build_diagram(status, params), min_width_px=least))
