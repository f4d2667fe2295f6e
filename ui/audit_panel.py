"""The Registry's audit log as people read it: when, what happened in a sentence, the action in words;
the exact recorded entries (JSON) behind an expander for the engineer."""

from __future__ import annotations

import json

import streamlit as st

from core import registry
from core.i18n import _


def audit_panel(ws, project_id: int) -> None:
    audit = registry.get_audit_df(ws, project_id)
    shown = audit.drop(columns=["detail"]).assign(action=audit["action"].astype(str).str.replace("_", " "))
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "when": st.column_config.TextColumn(_("when")),
            "who": st.column_config.TextColumn(_("who did it")),
            "what": st.column_config.TextColumn(_("what happened"), width="large"),
            "action": st.column_config.TextColumn(_("action")),
        },
    )
    st.caption(
        _(
            "Every change to this project, newest first, in a sentence: who did it (a person and their role, or an "
            "automatic actor such as the autopilot), what was registered, requested, approved, promoted or rolled "
            "back, and why. The exact recorded entries are below, for an engineer."
        )
    )
    with st.expander(_("Recorded entries (JSON, for engineers)")):
        st.json(
            [
                {"when": str(w), "action": a, **json.loads(d or "{}")}
                for w, a, d in audit[["when", "action", "detail"]].itertuples(index=False)
            ]
        )
