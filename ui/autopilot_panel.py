"""Monitor's "Autopilot" section: the project's retraining policy, start and stop, and the run's timeline,
refreshed every two seconds while it runs (a fragment: the rest of the page is not re-run)."""

from __future__ import annotations

import streamlit as st

from core.monitoring.autopilot import (
    MAX_ROUNDS,
    RELEASES,
    TRIGGERS,
    AutopilotPolicy,
    get_events,
    get_policy,
    get_timeline_df,
    save_policy,
)
from core.monitoring.simulation import SCENARIOS
from core.stages.autopilot import get_autopilot, start_autopilot, stop_autopilot
from core.workspace import jobs
from ui.text import escape_markdown
from ui.widgets import flash, user_errors

REFRESH_SECONDS = 2.0
VERDICT_LOOK = {"promoted": st.success, "rejected": st.warning, "error": st.error, "interrupted": st.warning}


def autopilot_panel(ws, pid: int) -> None:
    st.subheader("Autopilot")
    st.write(
        "Runs the whole loop unattended, round after round: simulated traffic, the monitoring report, the "
        "decision, retraining on fresh labelled rows, the gate, the challenger released as a canary or a "
        "shadow, and the rollout's own verdict to promote it or not. Each step appears below as it happens."
    )
    run = get_autopilot(ws, pid)
    running = run is not None and run["status"] == "running"
    policy = _policy_form(ws, pid, get_policy(ws, pid), disabled=running)
    c1, c2 = st.columns(2)
    if c1.button("Start autopilot", key="autopilot_start", type="primary", disabled=running):
        with user_errors():
            save_policy(ws, pid, policy)
            start_autopilot(ws, pid, policy)
            st.rerun()
    if c2.button("Stop autopilot", key="autopilot_stop", disabled=not running):
        flash("info", stop_autopilot(ws, pid))
        st.rerun()
    if run is not None:
        _timeline(ws, pid, run["id"], running)


def _policy_form(ws, pid: int, saved: AutopilotPolicy, *, disabled: bool) -> AutopilotPolicy:
    """The policy's widgets (saved when a run starts); returns the policy they describe."""
    with st.expander("Retraining policy", expanded=not disabled):
        c1, c2 = st.columns(2)
        trigger = c1.selectbox(
            "Retrain", list(TRIGGERS), index=list(TRIGGERS).index(saved.trigger), key="autopilot_trigger",
            format_func=lambda t: f"{t}: {TRIGGERS[t]}", disabled=disabled,
        )  # fmt: skip
        every = c2.number_input(
            "Schedule: retrain every N windows", 1, 1000, saved.every_windows, key="autopilot_every",
            disabled=disabled or trigger != "schedule",
        )  # fmt: skip
        release = st.radio(
            "Release the retrained challenger as", list(RELEASES), index=list(RELEASES).index(saved.release),
            key="autopilot_release", format_func=lambda r: f"{r}: {RELEASES[r]}", disabled=disabled,
        )  # fmt: skip
        scenario = st.selectbox(
            "Traffic scenario", list(SCENARIOS), index=list(SCENARIOS).index(saved.scenario), key="autopilot_scenario",
            format_func=lambda s: f"{s}: {SCENARIOS[s]}", disabled=disabled,
        )  # fmt: skip
        d1, d2, d3 = st.columns(3)
        rounds = d1.slider("Rounds at most", 1, MAX_ROUNDS, saved.rounds, key="autopilot_rounds", disabled=disabled)
        windows = d2.slider("Windows per round", 3, 12, saved.windows, key="autopilot_windows", disabled=disabled)
        rows = d3.slider(
            "Rows per window", 100, 2000, max(100, min(2000, saved.rows_per_window)), 100,
            key="autopilot_rows", disabled=disabled,
        )  # fmt: skip
    with user_errors():
        return AutopilotPolicy(
            trigger=trigger,
            every_windows=int(every),
            release=release,
            steps=saved.steps,
            scenario=scenario,
            rounds=rounds,
            windows=windows,
            rows_per_window=rows,
            drift_start=min(saved.drift_start, windows),
            seed=saved.seed,
        ).validate()
    return saved


def _timeline(ws, pid: int, run_id: int, running: bool) -> None:
    @st.fragment(run_every=REFRESH_SECONDS if running else None)
    def _draw() -> None:
        run = get_autopilot(ws, pid)
        if run is None:
            return
        if running and run["status"] != "running":
            st.rerun(scope="app")  # the run ended: redraw the page (buttons, the report it left)
        st.caption(escape_markdown(run["policy"].describe()))
        if run["status"] == "running" and run["job_id"] is not None:
            job = jobs.get_job(ws, run["job_id"])
            st.progress(job["progress"], text=escape_markdown(job["message"] or "Starting…"))
        elif run["sentence"]:
            VERDICT_LOOK.get(run["verdict"] or "", st.info)(escape_markdown(run["sentence"]))
        events = get_events(ws, run["id"])
        st.caption(
            f"Autopilot run {run['id']}: {len(events)} step(s) so far, newest last. Each line is one step of the "
            "loop with what it found or decided; the table below adds the time and the report, experiment, "
            "version or deployment each step made. Every step is in the audit log too."
        )
        with st.container(key="autopilot_steps"):
            for event in events:
                st.markdown(
                    f"**Round {event['round']} · {event['step']}** ({event['status']}): "
                    + escape_markdown(event["sentence"])  # it names columns and models the user named
                )
        with st.expander("The timeline as a table, with its links"):
            st.dataframe(get_timeline_df(events), hide_index=True, width="stretch")

    _draw()
