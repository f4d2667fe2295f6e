"""The session's language: from the URL (``?lang=pt``), else the session's earlier choice, else the
browser's language, else English. Core translates through the resolver registered here."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.i18n import DEFAULT_LANGUAGE, normalize_language, set_language_resolver

LANGUAGE_KEY = "language"


def _session_language() -> str | None:
    if get_script_run_ctx(suppress_warning=True) is None:  # a job thread: it carries its own language
        return None
    return st.session_state.get(LANGUAGE_KEY)


set_language_resolver(_session_language)


def choose_language() -> str:
    """Call first on every run: settles the session's language and returns it."""
    from_url = normalize_language(st.query_params.get("lang"))
    if from_url is not None:
        st.session_state[LANGUAGE_KEY] = from_url
    elif LANGUAGE_KEY not in st.session_state:
        st.session_state[LANGUAGE_KEY] = normalize_language(st.context.locale) or DEFAULT_LANGUAGE
    return st.session_state[LANGUAGE_KEY]
