"""The workspace password's sign-in (core.security.password): when the instructor has set one, a
session sees nothing but this form until it signs in with a name, a role and the password. The name and
role become the session's identity (ui.identity: the actor of every audit entry), pinned for the session:
a crafted ``?as=`` link cannot change it. Signing out, or a new password, asks for the password again.
No password set: nothing changes (one small query per page run)."""

from __future__ import annotations

import streamlit as st

from core.i18n import _
from core.security.password import check_password, password_fingerprint
from core.workspace.actor import PERSON_ROLES, person
from ui import identity
from ui.widgets import user_errors

UNLOCKED_KEY = "workspace_unlocked"  # the password fingerprint this session signed in with


def require_signin(ws) -> None:
    """Stop the page run with the sign-in form unless this session signed in with the current password."""
    fingerprint = password_fingerprint(ws)
    if fingerprint is None:
        return
    name, role = st.session_state.get(identity.NAME_KEY), st.session_state.get(identity.ROLE_KEY)
    if st.session_state.get(UNLOCKED_KEY) == fingerprint and name is not None and role in identity.URL_ROLES:
        # Pinned: the URL says who this session signed in as, whatever a link said.
        for param, value in (("as", name), ("role", identity.URL_ROLES[role])):
            if st.query_params.get_all(param) != [value]:
                st.query_params[param] = value
        return
    st.session_state.pop(UNLOCKED_KEY, None)
    _signin_form(ws, fingerprint)
    st.stop()


def _signin_form(ws, fingerprint: str) -> None:
    st.title(_("Sign in to this studio"))
    st.caption(_("The instructor protected this workspace with a password. Your name goes into the audit log."))
    with st.form(key="workspace_signin"):
        name = st.text_input(_("Your name"), key="signin_name", max_chars=60)
        role = st.radio(
            _("Your role"),
            PERSON_ROLES,
            key="signin_role",
            format_func=lambda r: _(identity.ROLE_LABELS[r]),
        )
        secret = st.text_input(_("Workspace password"), key="signin_password", type="password")
        if st.form_submit_button(_("Sign in"), type="primary", icon=":material/lock_open:"):
            with user_errors():
                who = person(name, role)
                if not check_password(ws, secret):
                    st.error(_("Wrong password; ask the instructor for it."))
                    return
                st.session_state[UNLOCKED_KEY] = fingerprint
                for key in ("as", "role"):
                    if key in st.query_params:
                        del st.query_params[key]
                identity.remember(who)
                st.rerun()
