"""Where the Train page's leaderboard and tuning run: this machine, a local cluster of worker processes,
or a Dask cluster at an address (``core.training.engine``). The choice is made the engine of the page's
run (a context variable), so the training or tuning job the page starts next runs there; the scores
are the same wherever it runs."""

from __future__ import annotations

import os
import sys

import streamlit as st

from core.i18n import _
from core.training.engine import (
    ADDRESS,
    ENV_VAR,
    LOCAL_CLUSTER,
    MAX_LOCAL_WORKERS,
    MODES,
    THIS_MACHINE,
    ClusterChoice,
    parse_cluster,
    set_cluster,
)
from core.workspace.errors import ConfigError
from ui.text import escape_markdown

_SAVED = "cluster_choice"  # kept outside the widgets, so a switch to another section keeps the choice
SECTIONS = ("leaderboard", "tune")  # the Train page's sections that start training


def cluster_settings(section: str) -> ClusterChoice:
    """The "Where training runs" control on the sections that train; on every run, make the chosen
    engine the one the next job uses. Returns the choice."""
    saved: ClusterChoice = st.session_state.get(_SAVED) or _from_environment()
    if section not in SECTIONS:
        set_cluster(saved)
        return saved
    with st.expander(_("Where training runs")):
        choice = _choose(saved)
    st.session_state[_SAVED] = choice
    set_cluster(choice)
    return choice


def _from_environment() -> ClusterChoice:
    try:
        return parse_cluster(os.environ.get(ENV_VAR))
    except ConfigError:
        return ClusterChoice()


def _choose(saved: ClusterChoice) -> ClusterChoice:
    modes = list(MODES)
    mode = st.radio(
        _("Run the folds and the tuning trials on"),
        modes,
        index=modes.index(saved.mode),
        format_func=lambda m: _(MODES[m]),
        key="cluster_mode",
        horizontal=True,
    )
    choice = ClusterChoice()
    if mode == LOCAL_CLUSTER:
        n = st.number_input(
            _("Worker processes"),
            min_value=1,
            max_value=MAX_LOCAL_WORKERS,
            value=saved.n_workers,
            step=1,
            key="cluster_workers",
            help=_("Each worker is a separate Python process with one thread; two suit a two-core machine."),
        )
        choice = ClusterChoice(LOCAL_CLUSTER, n_workers=int(n))
    elif mode == ADDRESS:
        typed = st.text_input(
            _("Scheduler address"),
            value=saved.address,
            placeholder="tcp://host:8786",
            key="cluster_address",
            help=_("The address a Dask scheduler prints when it starts; its workers need MLOps Studio installed."),
        )
        choice = ClusterChoice(ADDRESS, address=typed.strip())
        if not typed.strip():
            st.info(_("Type the scheduler's address; training cannot start on a cluster without it."))
        else:
            try:
                choice = parse_cluster(typed)
            except ConfigError as exc:
                st.error(escape_markdown(str(exc)))
    if mode != THIS_MACHINE:
        fallback = st.checkbox(
            _("If the cluster does not answer, train on this machine instead (the leaderboard says so)"),
            value=saved.fallback,
            key="cluster_fallback",
        )
        choice = ClusterChoice(choice.mode, choice.address, choice.n_workers, fallback)
    st.caption(_describe(choice))
    return choice


def _describe(choice: ClusterChoice) -> str:
    """One sentence: where the work will run and what it changes (the scores do not change)."""
    if not choice.on_cluster:
        return _(
            "Folds train two at a time in this process. The scores are the same on a cluster; only the time changes."
        )
    running = (
        "core.training.cluster" in sys.modules
        and choice.describe() in sys.modules["core.training.cluster"].running_clusters()
    )
    state = _("already running") if running else _("started on the first training, a few seconds")
    return _(
        "Every fold of every model, and every tuning trial's folds, run as tasks on {where} ({state}); "
        "the scores are exactly those of this machine."
    ).format(where=escape_markdown(choice.describe()), state=state)
