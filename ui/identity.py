"""Who is at the keyboard: a person names themselves (a name and a role, no password) in the sidebar.

The name is kept for the session and carried in the URL (``?as=Ana&role=reviewer``) like the project,
so a refresh or a shared link keeps it; a URL value that is not a usable name or role is ignored (a
crafted link gives a normal page). Every page run makes the signed-in person the current actor
(core.workspace.actor), so every audit entry the run writes names them; before signing in it is a
visitor, whom the registry's approval policy holds like anyone else.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import N_, _
from core.workspace.actor import DATA_SCIENTIST, PERSON_ROLES, REVIEWER, VISITOR, Actor, person, set_actor
from core.workspace.errors import ConfigError
from ui.text import escape_markdown
from ui.widgets import user_errors

NAME_KEY, ROLE_KEY = "actor_name", "actor_role"
# The role as the URL writes it (no space) and back.
URL_ROLES = {DATA_SCIENTIST: "data-scientist", REVIEWER: "reviewer"}
ROLE_OF_URL = {v: k for k, v in URL_ROLES.items()}
ROLE_LABELS = {DATA_SCIENTIST: N_("Data scientist (trains, registers, requests promotions)"),
               REVIEWER: N_("Reviewer (approves or rejects promotions)")}  # fmt: skip
# A role as a person reads it in a sentence (the code stays in the database and the audit log).
ROLE_NAMES = {DATA_SCIENTIST: N_("data scientist"), REVIEWER: N_("reviewer")}
NOBODY = Actor("not signed in", VISITOR)  # i18n: skip (an audit log name: stored in English)


def current_person() -> Actor | None:
    """The signed-in person: the URL's, else this session's (kept in step), else None."""
    for name, role in (
        (st.query_params.get("as"), ROLE_OF_URL.get(str(st.query_params.get("role", "")))),
        (st.session_state.get(NAME_KEY), st.session_state.get(ROLE_KEY)),
    ):
        if name is None or role is None:
            continue
        try:
            who = person(str(name), role)
        except ConfigError:  # a crafted or mistyped URL: not signed in, never an error
            continue
        remember(who)
        return who
    for key in ("as", "role"):
        if key in st.query_params:
            del st.query_params[key]
    return None


def remember(who: Actor) -> None:
    st.session_state[NAME_KEY], st.session_state[ROLE_KEY] = who.name, who.role
    if st.query_params.get_all("as") != [who.name]:
        st.query_params["as"] = who.name
    if st.query_params.get_all("role") != [URL_ROLES[who.role]]:
        st.query_params["role"] = URL_ROLES[who.role]


def sign_out() -> None:
    for key in (NAME_KEY, ROLE_KEY):
        st.session_state.pop(key, None)
    for key in ("as", "role"):
        if key in st.query_params:
            del st.query_params[key]


def identity_sidebar() -> Actor:
    """The sign-in in the sidebar; makes who is signed in (or a visitor) the actor of this page run.
    Returns that actor."""
    who = current_person()
    set_actor(who or NOBODY)
    if who is not None:
        role = _(ROLE_NAMES[who.role]) if who.role in ROLE_NAMES else who.role
        st.caption(
            _("Signed in as **{name}** ({role}). The audit log names you.").format(
                name=escape_markdown(who.name), role=escape_markdown(role)
            )
        )
        if st.button(_("Sign out"), key="sign_out", icon=":material/logout:"):
            sign_out()
            st.rerun()
        return who
    with st.expander(_("Sign in: who are you?"), expanded=True, icon=":material/badge:"):
        st.caption(_("No password: your name goes into the audit log beside everything you do."))
        name = st.text_input(_("Your name"), key="sign_in_name", max_chars=60)
        role = st.radio(
            _("Your role"), PERSON_ROLES, key="sign_in_role", format_func=lambda r: _(ROLE_LABELS[r]), index=0
        )
        if st.button(_("Sign in"), key="sign_in", icon=":material/login:"):
            with user_errors():
                remember(person(name, role))
                st.rerun()
    return NOBODY


def signed_in_url_params() -> dict[str, str]:
    """The query parameters that keep the person signed in across page links."""
    who = current_person()
    return {"as": who.name, "role": URL_ROLES[who.role]} if who else {}
