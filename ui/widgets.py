"""Small Streamlit helpers shared by pages: charts with their sentence, errors, job progress."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

import streamlit as st

from core.errors import StudioError
from core.jobs import get_job


def chart(fig, sentence: str, key: str | None = None) -> None:
    """Every chart carries one plain sentence of what it means."""
    st.plotly_chart(fig, width="stretch", key=key)
    st.caption(sentence)


@contextmanager
def user_errors():
    """Show domain errors as a plain message instead of a traceback; the page keeps running."""
    try:
        yield
    except StudioError as exc:
        st.error(str(exc))


def job_panel(ws, job_id: int | None, on_done: Callable[[dict], None] | None = None,
              while_running: Callable[[dict], None] | None = None) -> dict | None:
    """Show a job's progress, polling once a second while it runs (a fragment, so the rest of the
    page is not re-run); ``while_running(job)`` draws more inside it (a live chart). Calls
    on_done(job) once, in a full rerun, when it finishes."""
    if job_id is None:
        return None

    @st.fragment(run_every=1.0)
    def _poll():
        job = get_job(ws, job_id)
        if job["status"] == "running":
            st.progress(job["progress"], text=job["message"] or "Working…")
            if while_running is not None:
                while_running(job)
        elif st.session_state.get(f"job_seen_{job_id}") != job["status"]:
            st.session_state[f"job_seen_{job_id}"] = job["status"]
            st.rerun(scope="app")

    job = get_job(ws, job_id)
    if job["status"] == "running":
        _poll()
    elif job["status"] == "failed" or job["status"] == "interrupted":
        st.error(job["error"])
    elif job["status"] == "succeeded" and on_done is not None:
        on_done(job)
    return job


def experiment_picker(ws, project_id: int, key: str) -> dict | None:
    """Choose an experiment (newest first), opening on the champion's unless the user trained since;
    None when the project has none."""
    from core.lab import get_default_experiment_id
    from core.tracking import list_experiments

    experiments = list_experiments(ws, project_id)
    if not experiments:
        return None
    by_id = {e["id"]: e for e in experiments}
    ids = list(by_id)
    default = get_default_experiment_id(ws, project_id)
    # Keyed by the newest id, so a freshly finished experiment is shown instead of a stale choice.
    chosen = st.selectbox("Experiment", ids, format_func=lambda i: by_id[i]["label"],
                          index=ids.index(default) if default in by_id else 0, key=f"{key}_{experiments[0]['id']}")
    return by_id[chosen]
