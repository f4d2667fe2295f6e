"""The model card of a registered version: a preview (the verdict, the two-minute summary, the detail
in an expander) and its two downloads, HTML and PDF. Used by the Registry page, and wherever a
reviewer must see the card before approving a promotion."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import registry
from core.documents import Document, Section
from core.i18n import N_, _, current_language, use_language
from core.reports.card import build_model_card, card_file_name, render_card, resolve_card_version
from core.reports.card_state import card_state
from core.workspace.database import Workspace
from core.workspace.errors import StudioError
from ui import cache
from ui.text import escape_markdown
from ui.widgets import option_labels

HTML_LABEL = N_("Download model card (HTML)")
PDF_LABEL = N_("Download model card (PDF)")


def model_card_section(ws: Workspace, project_id: int, model_name: str, key: str) -> None:
    """The Registry's card: pick a version of ``model_name`` (the champion first, else the newest) and
    show its card."""
    st.subheader(_("Model card"))
    versions = registry.get_versions_df(ws, project_id, model_name)
    if versions.empty:
        return
    default = resolve_card_version(ws, project_id, model_name=model_name)["id"]
    labels = {
        int(r["id"]): f"v{r['version']}" + (f" ({r['aliases']})" if r["aliases"] else "")
        for _i, r in versions.iterrows()
    }
    ids: list[int] = list(labels)
    version_id = st.selectbox(
        _("Version"), ids, index=ids.index(default), format_func=option_labels(labels), key=f"{key}_card_version"
    )
    if version_id is None:
        return
    st.caption(
        _(
            "Everything known about this version on one page for the people who approve it: the verdict and a "
            "two-minute summary first, then the evidence."
        )
    )
    show_model_card(ws, project_id, int(version_id), key)


def cached_model_card(ws: Workspace, project_id: int, version_id: int) -> Document:
    """The card of ``version_id``, built once per (workspace, version, content, language) for every
    session (``ui.cache.shared``: the document is only read)."""
    key = ("model_card", str(ws.root), version_id, card_state(ws, project_id, version_id))
    return cache.shared(key, lambda: build_model_card(ws, version_id))


def show_model_card(ws: Workspace, project_id: int, version_id: int, key: str) -> None:
    """Preview the card of ``version_id`` and offer it as HTML and PDF. The files are made when a
    button is clicked (the PDF takes about a second), from the workspace as it is then."""
    try:
        doc = cached_model_card(ws, project_id, version_id)
    except StudioError as exc:
        st.error(escape_markdown(exc))
        return
    version = ws.get_row("model_versions", version_id, _("Model version id {id} does not exist.").format(id=version_id))
    if int(version["project_id"]) != int(project_id):
        st.error(_("This model version belongs to another project; pick one of this project's versions."))
        return
    root, language = ws.root, current_language()

    def make(fmt: str):
        # Runs on click, outside this script run: its own Workspace object on the same folder, and the
        # session's language carried along (outside the run there is no session to ask).
        def build() -> bytes:
            with use_language(language):
                return render_card(build_model_card(Workspace(root), version_id), fmt)

        return build

    with st.container(border=True):
        _preview(doc)
        c1, c2 = st.columns(2)
        c1.download_button(
            _(HTML_LABEL),
            data=make("html"),
            file_name=card_file_name(version, "html"),
            mime="text/html",
            key=f"{key}_card_html",
            icon=":material/description:",
            on_click="ignore",
        )
        c2.download_button(
            _(PDF_LABEL),
            data=make("pdf"),
            file_name=card_file_name(version, "pdf"),
            mime="application/pdf",
            key=f"{key}_card_pdf",
            icon=":material/picture_as_pdf:",
            on_click="ignore",
        )
        st.caption(
            _("The same card as a file: HTML opens in any browser, PDF prints and can be attached to an approval.")
        )


def _preview(doc: Document) -> None:
    st.markdown(f"**{escape_markdown(doc.title)}**")
    st.caption(escape_markdown(doc.subtitle))
    show = st.success if doc.verdict.startswith("GO") else st.warning  # i18n: skip (GO stays GO)
    show(escape_markdown(doc.verdict))
    for paragraph in doc.summary:
        st.markdown(escape_markdown(paragraph))
    with st.expander(_("The whole card: intended use, gate, metrics, data, lineage…")):
        for section in doc.sections:
            _section(section)


def _section(section: Section) -> None:
    st.markdown(f"#### {escape_markdown(section.heading)}")
    for paragraph in section.paragraphs:
        st.markdown(escape_markdown(paragraph))
    for bullet in section.bullets:
        st.markdown(f"- {escape_markdown(bullet)}")
    for table in section.tables:
        st.dataframe(pd.DataFrame(list(table.rows), columns=list(table.columns)), hide_index=True, width="stretch")
        if table.caption:
            st.caption(escape_markdown(table.caption))
