"""Deploy's API keys panel: make a key for the HTTP endpoint (shown once, with a copy button), list the
project's keys with their use, revoke one. The keys themselves live nowhere but in the moment they are
shown (core.security.keys keeps their hash)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.formatting import format_count, format_datetime
from core.i18n import _
from core.security import keys
from ui.text import escape_markdown
from ui.widgets import flash, option_labels, user_errors

NEW_KEY = "api_key_just_made"  # (project id, key id, key): shown on the next run only


def keys_panel(ws, project_id: int) -> None:
    st.subheader(_("API keys"))
    st.caption(
        _(
            "The HTTP endpoint answers only requests that carry a key of this project, sent as the header "
            "Authorization: Bearer <key>. Give each client or student a key of their own: you can see what each "
            "one asked, limit how fast it asks, and revoke it without touching the others."
        )
    )
    _show_new_key(project_id)
    with st.form(key="create_api_key", clear_on_submit=True, border=False):
        c1, c2 = st.columns(2)
        name = c1.text_input(_("Name (who or what uses it)"), key="api_key_name", max_chars=keys.MAX_NAME)
        limit = c2.text_input(
            _("Rate limit (empty: 600/minute)"),
            key="api_key_limit",
            placeholder="600/minute",
            help=_("Requests allowed in any moving window: 10/second, 600/minute, 5000/day."),
        )
        if st.form_submit_button(_("Create key"), type="primary", icon=":material/key:"):
            with user_errors():
                key, row = keys.create_key(ws, project_id, name or None, limit or None)
                st.session_state[NEW_KEY] = (project_id, row["id"], key)
                st.rerun()
    _list_and_revoke(ws, project_id)


def _show_new_key(project_id: int) -> None:
    made = st.session_state.pop(NEW_KEY, None)
    if made is None or made[0] != project_id:
        return
    st.success(
        _("Key {id} is made. Copy it now (the button at the right of the box): it is never shown again.").format(
            id=made[1]
        ),
        icon=":material/key:",
    )
    st.code(made[2], language=None)


def _list_and_revoke(ws, project_id: int) -> None:
    listed = keys.list_keys(ws, project_id)
    if listed.empty:
        st.info(_("This project has no API keys yet: the endpoint refuses every request until you create one."))
        return
    active = listed[listed["revoked_at"].isna()]
    table = pd.DataFrame(
        {
            _("Key"): listed["id"],
            _("Name"): listed["name"],
            _("Starts with"): listed["prefix"] + "…",
            _("Status"): [_("revoked") if r is not None else _("active") for r in listed["revoked_at"]],
            _("Requests"): listed["requests"].astype(int),
            _("Rows"): listed["rows"].astype(int),
            _("Last used"): [
                format_datetime(pd.Timestamp(t, unit="s")) if t is not None else "" for t in listed["last_used_at"]
            ],
            _("Rate limit"): [r or "600/minute" for r in listed["rate_limit"]],
            _("Created by"): listed["created_by"],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", key="api_keys_table")
    st.caption(
        _("{active} of {total} keys are active; together the keys made {n} requests.").format(
            active=format_count(len(active)),
            total=format_count(len(listed)),
            n=format_count(int(listed["requests"].sum())),
        )
    )
    if active.empty:
        return
    labels = {int(r["id"]): f"{int(r['id'])} · {r['name']} ({r['prefix']}…)" for _i, r in active.iterrows()}
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    chosen = c1.selectbox(
        _("Key to revoke"), list(labels), format_func=option_labels(labels), key="api_key_revoke_choice"
    )
    if c2.button(_("Revoke key"), key="api_key_revoke", icon=":material/block:") and chosen is not None:
        with user_errors():
            row = keys.revoke_key(ws, project_id, int(chosen))
            flash(
                "info",
                _("Key {id} ({name}) is revoked: the endpoint refuses it from its next request.").format(
                    id=row["id"], name=escape_markdown(row["name"])
                ),
            )
            st.rerun()
