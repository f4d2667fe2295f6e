"""Explain page: the right-to-explanation letter for one served prediction, found by its request id,
previewed and downloadable as HTML and PDF. Computation in core.stages.letter."""

from __future__ import annotations

import streamlit as st

from core.documents import render_html, render_pdf
from core.explain.letter import DEFAULT_CONTACT
from core.i18n import _, current_language, use_language
from core.stages.letter import get_letter_features, get_letter_fixed_by_default, stage_letter
from core.workspace.database import Workspace
from ui.text import escape_markdown
from ui.widgets import user_errors


@st.cache_data(show_spinner=False, max_entries=16)
def _letter(
    _ws: Workspace,
    ws_path: str,
    project_id: int,
    request_id: str,
    contact: str,
    immutable: tuple[str, ...],
    language: str,
) -> tuple[str, str, bytes]:
    """(verdict, HTML, PDF) of the letter in ``language``: written once per request, settings and
    language, not on every rerun."""
    with use_language(language):
        doc = stage_letter(_ws, project_id, request_id, contact=contact, immutable=immutable)
        return doc.verdict, render_html(doc), render_pdf(doc)


@st.cache_data(show_spinner=False, max_entries=16)
def _features(_ws: Workspace, ws_path: str, project_id: int, request_id: str) -> tuple[list[str], list[str]]:
    """(the inputs the answering version uses, those kept unchanged by default)."""
    return get_letter_features(_ws, project_id, request_id), get_letter_fixed_by_default(_ws, project_id, request_id)


def letter_panel(ws: Workspace, project_id: int) -> None:
    """Request id in, the letter out: preview and two downloads."""
    st.subheader(_("Right to explanation: a letter for one served prediction"))
    st.caption(
        _(
            "Paste the request id the endpoint returned with a prediction: the letter says what was decided, "
            "the main reasons, what would have changed the decision and how to contest it."
        )
    )
    c1, c2 = st.columns(2)
    request_id = c1.text_input(_("Request id"), key="letter_request_id", max_chars=200).strip()
    contact = c2.text_input(
        _("Who to contact to contest"), value=_(DEFAULT_CONTACT), key="letter_contact", max_chars=300
    )
    if not request_id:
        return
    with user_errors():
        features, fixed_by_default = _features(ws, str(ws.root), project_id, request_id)
        fixed = st.multiselect(
            _("Information the person cannot change"),
            features,
            default=fixed_by_default,
            key="letter_immutable",
            placeholder=_("Choose one or more"),
            help=_(
                "The letter's 'what would change it' keeps these as they are. Preselected: the problem's "
                "sensitive column, personal characteristics such as age or gender, and dates; remove any to let "
                "it change."
            ),
        )
        with st.spinner(_("Writing the letter…")):
            verdict, html, pdf = _letter(
                ws, str(ws.root), project_id, request_id, contact, tuple(fixed), current_language()
            )
        st.markdown("**" + escape_markdown(verdict) + "**")
        with st.expander(_("Preview the letter"), expanded=True):
            st.html(html)
        safe_id = "".join(ch for ch in request_id if ch.isalnum() or ch in "-_")[:60] or "request"
        d1, d2 = st.columns(2)
        d1.download_button(
            _("Download letter (HTML)"),
            html.encode("utf-8"),
            file_name=f"explanation-{safe_id}.html",
            mime="text/html",
            key="letter_html",
        )
        d2.download_button(
            _("Download letter (PDF)"),
            pdf,
            file_name=f"explanation-{safe_id}.pdf",
            mime="application/pdf",
            key="letter_pdf",
        )
