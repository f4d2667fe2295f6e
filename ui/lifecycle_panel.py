"""A version's lifecycle on the Registry page: its stage (development, staging, production, archived),
moving it (to staging, back to development, archived), and who moved it when. Core:
core.registry.lifecycle (the stage comes from the aliases and archiving: one source of truth)."""

from __future__ import annotations

import streamlit as st

from core import registry
from core.i18n import _
from core.registry import lifecycle
from ui.text import escape_markdown
from ui.widgets import flash, option_labels, user_errors

MOVES = {
    lifecycle.DEVELOPMENT: (lifecycle.STAGING, lifecycle.ARCHIVED),
    lifecycle.STAGING: (lifecycle.DEVELOPMENT, lifecycle.ARCHIVED),
}


def lifecycle_panel(ws, project_id: int, model_name: str) -> None:
    st.subheader(_("Lifecycle"))
    st.caption(
        _(
            "Development → staging (the challenger) → production (the champion) → archived (retired: kept for the "
            "audit trail, never deployed again). Production is reached by an approved promotion; a rollback "
            "returns only to a version that served in production before."
        )
    )
    versions = registry.get_versions_df(ws, project_id, model_name)
    labels = {int(r["id"]): f"v{r['version']}" for _i, r in versions.iterrows()}  # its stage is said below
    version_id = st.selectbox(_("Version"), list(labels), format_func=option_labels(labels), key="lifecycle_version")
    if version_id is None:
        return
    stage = lifecycle.get_stage(ws, int(version_id))
    st.markdown(_("Stage now: **{stage}**").format(stage=lifecycle.describe_stage(ws, int(version_id))))
    history = lifecycle.get_stage_history_df(ws, project_id, int(version_id))
    history = history.rename(columns={"when": _("when"), "stage": _("stage"), "who": _("who"), "why": _("why")})
    st.dataframe(history, hide_index=True, width="stretch")
    st.caption(_("Each change of stage of this version, oldest first: when, to what, who moved it and why."))
    targets = MOVES.get(stage)
    if not targets:
        st.caption(
            _("An archived version stays archived.")
            if stage == lifecycle.ARCHIVED
            else _("The champion leaves production when another version is promoted or on a rollback.")
        )
        return
    with st.form("lifecycle_move", clear_on_submit=True):
        to = st.radio(_("Move it to"), targets, format_func=lifecycle.stage_title, horizontal=True, key="lifecycle_to")
        reason = st.text_input(_("Why (for the audit log)"), key="lifecycle_reason", max_chars=500)
        if st.form_submit_button(_("Move"), key="lifecycle_submit"):
            with user_errors():
                moved = lifecycle.move_to_stage(ws, project_id, int(version_id), to, reason)
                message = _("{label} is now in {stage}.").format(
                    label=registry.version_label(moved), stage=lifecycle.stage_label(to)
                )
                flash("success", escape_markdown(message))
                st.rerun()
