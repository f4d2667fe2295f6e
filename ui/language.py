"""The session's language: from the URL (``?lang=pt``), else the session's earlier choice, else the
browser's language, else English. Core translates through the resolver registered here.

The language switch in the sidebar (``language_switch``) sets the session's language and writes it
into the URL; ``choose_language`` keeps ``lang`` in the URL from then on (a page link that does not
carry it gets it back on the next page), so a shared link opens in the same language. A URL value
that names no language (``?lang=../../x``) is ignored: the session's choice (or English) stays, and
the URL is set back to it.
"""

from __future__ import annotations

import sys

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalize_language, set_language_resolver

LANGUAGE_KEY = "language"
SWITCH_KEY = "language_switch"
URL_PARAM = "lang"


#: The language of the last script run, read only under Streamlit's AppTest (see _session_language).
_apptest_language: str | None = None
#: Where a run keeps its language once settled, on the run's context: every ``_()`` asks for it (500 to
#: 1,900 times a rerun) and reading session state costs 20-75 µs under load.
_RUN_LANGUAGE = "_studio_language"


def _session_language() -> str | None:
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        # A job thread carries its own language (use_language); so English here. Under AppTest, though,
        # the test's own thread calls the widgets' format_func (translated labels) between runs to
        # find the chosen option among the labels the last run drew: it must speak that run's
        # language. tests/conftest.py forgets it after every test.
        if _apptest_language is not None and "streamlit.testing.v1.app_test" in sys.modules:
            return _apptest_language
        return None
    settled = getattr(ctx, _RUN_LANGUAGE, None)
    if settled is not None:
        return settled
    return st.session_state.get(LANGUAGE_KEY)


def _settle(language: str | None) -> None:
    """Keep ``language`` as this session's for the rest of the run (and its fragment reruns, until the
    next full run settles it again: only a full run changes the language)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None:
        setattr(ctx, _RUN_LANGUAGE, language)


def forget_apptest_language() -> None:
    global _apptest_language
    _apptest_language = None


set_language_resolver(_session_language)


def _browser_language() -> str | None:
    try:
        return normalize_language(st.context.locale)
    except Exception:  # no browser behind this run (a bare script run): the default
        return None


def choose_language() -> str:
    """Call first on every run: settles the session's language and returns it."""
    _settle(None)  # a callback (the language switch) may have changed it since the last run
    from_url = normalize_language(st.query_params.get(URL_PARAM))
    if from_url is not None:
        st.session_state[LANGUAGE_KEY] = from_url
    elif LANGUAGE_KEY not in st.session_state:
        st.session_state[LANGUAGE_KEY] = _browser_language() or DEFAULT_LANGUAGE
    language = st.session_state[LANGUAGE_KEY]
    _settle(language)
    if "streamlit.testing.v1.app_test" in sys.modules:
        global _apptest_language
        _apptest_language = language
    # Keep the URL in step: a hostile or missing value gives way to the session's language (English
    # needs no parameter unless the URL already had one, so English links stay as they were).
    if URL_PARAM in st.query_params or language != DEFAULT_LANGUAGE:
        if st.query_params.get_all(URL_PARAM) != [language]:
            st.query_params[URL_PARAM] = language
    return language


def language_url_params() -> dict[str, str]:
    """The query parameter that keeps the session's language across page links ({} for English
    chosen by default, so English links look as they always did)."""
    language = st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
    if language == DEFAULT_LANGUAGE and URL_PARAM not in st.query_params:
        return {}
    return {URL_PARAM: language}


def _switched() -> None:
    chosen = normalize_language(st.session_state.get(SWITCH_KEY))
    if chosen is None:  # the chosen button clicked again unselects it: keep the language
        st.session_state[SWITCH_KEY] = st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
        return
    if chosen != st.session_state.get(LANGUAGE_KEY):
        _carry_choices_across_languages()
    st.session_state[LANGUAGE_KEY] = chosen
    _settle(chosen)
    st.query_params[URL_PARAM] = chosen


def _carry_choices_across_languages() -> None:
    """A choice widget (selectbox, radio, multiselect, segmented control) sends back the *label* of
    what is chosen, and after a switch those labels are the old language's: the new run cannot find
    them, so the choice is lost (or a multiselect fails). Setting every keyed choice again by its
    value (a stable code) makes the next run draw it with the new language's labels. Only values a
    choice or an input can hold are set again: buttons, uploads, tables and charts keep theirs
    (Streamlit refuses writes to those)."""
    for key in list(st.session_state.keys()):
        if key in (SWITCH_KEY, LANGUAGE_KEY):
            continue
        value = st.session_state[key]
        if _settable_choice(value):
            st.session_state[key] = value


def _settable_choice(value: object) -> bool:
    def scalar(v: object) -> bool:
        return isinstance(v, (str, int, float)) and not isinstance(v, bool)

    if isinstance(value, (list, tuple)):
        return all(scalar(v) for v in value)
    return scalar(value)


def language_switch() -> str:
    """The compact English / Português control (sidebar). Choosing sets the session's language and
    the URL's ``lang``; the rerun that follows draws the whole page in it (other widgets keep their
    keyed state). Returns the language."""
    language = st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
    if st.session_state.get(SWITCH_KEY) != language:  # the URL or a link changed it: follow
        st.session_state[SWITCH_KEY] = language
    st.segmented_control(
        "Language · Idioma",  # i18n: skip (both languages, so anyone finds it)
        list(LANGUAGES),
        format_func=lambda code: "English" if code == "en" else "Português",  # i18n: skip (names in themselves)
        key=SWITCH_KEY,
        on_change=_switched,
        label_visibility="collapsed",
        selection_mode="single",
    )
    return st.session_state[LANGUAGE_KEY]
