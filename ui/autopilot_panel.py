"""Monitor's "Autopilot" section: the project's retraining policy, start and stop, and the run's timeline,
refreshed every two seconds while it runs (a fragment: the rest of the page is not re-run)."""

from __future__ import annotations

import streamlit as st

from core.i18n import N_, _, ngettext
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
# How a step and a status code read (the codes stay English in the database).
STEP_LABELS = {
    "start": N_("start"),
    "traffic": N_("traffic"),
    "report": N_("report"),
    "decision": N_("decision"),
    "retrain": N_("retrain"),
    "gate": N_("gate"),
    "release": N_("release"),
    "evidence": N_("evidence"),
    "verdict": N_("verdict"),
    "end": N_("end"),
}
STATUS_LABELS = {
    "started": N_("started"),
    "sent": N_("sent"),
    "alert": N_("alert"),
    "ok": N_("ok"),
    "retrain": N_("retrain"),
    "keep": N_("keep"),
    "trained": N_("trained"),
    "passed": N_("passed"),
    "failed": N_("failed"),
    "collected": N_("collected"),
    "promoted": N_("promoted"),
    "rejected": N_("rejected"),
    "running": N_("running"),
    "done": N_("done"),
    "stopped": N_("stopped"),
    "interrupted": N_("interrupted"),
}
TIMELINE_COLUMNS = {
    "time": N_("time"),
    "round": N_("round"),
    "step": N_("step"),
    "status": N_("status"),
    "what happened": N_("what happened"),  # i18n: skip (the key is the core column)
    "links": N_("links"),
}
VERDICT_LOOK = {"promoted": st.success, "rejected": st.warning, "error": st.error, "interrupted": st.warning}


def autopilot_panel(ws, pid: int) -> None:
    st.subheader(_("Autopilot"))
    st.write(
        _(
            "Runs the whole loop unattended, round after round: simulated traffic, the monitoring report, the "
            "decision, retraining on fresh labelled rows, the gate, the challenger released as a canary or a "
            "shadow, and the rollout's own verdict to promote it or not. Each step appears below as it happens."
        )
    )
    run = get_autopilot(ws, pid)
    running = run is not None and run["status"] == "running"
    policy = _policy_form(ws, pid, get_policy(ws, pid), disabled=running)
    c1, c2 = st.columns(2)
    if c1.button(_("Start autopilot"), key="autopilot_start", type="primary", disabled=running):
        with user_errors():
            save_policy(ws, pid, policy)
            start_autopilot(ws, pid, policy)
            st.rerun()
    if c2.button(_("Stop autopilot"), key="autopilot_stop", disabled=not running):
        flash("info", stop_autopilot(ws, pid))
        st.rerun()
    if run is not None:
        _timeline(ws, pid, run["id"], running)


def _policy_form(ws, pid: int, saved: AutopilotPolicy, *, disabled: bool) -> AutopilotPolicy:
    """The policy's widgets (saved when a run starts); returns the policy they describe."""
    with st.expander(_("Retraining policy"), expanded=not disabled):
        c1, c2 = st.columns(2)
        trigger = c1.selectbox(
            _("Retrain"), list(TRIGGERS), index=list(TRIGGERS).index(saved.trigger), key="autopilot_trigger",
            format_func=lambda t: _describe_choice(t, TRIGGERS), disabled=disabled,
        )  # fmt: skip
        every = c2.number_input(
            _("Schedule: retrain every N windows"), 1, 1000, saved.every_windows, key="autopilot_every",
            disabled=disabled or trigger != "schedule",
        )  # fmt: skip
        release = st.radio(
            _("Release the retrained challenger as"), list(RELEASES), index=list(RELEASES).index(saved.release),
            key="autopilot_release", format_func=lambda r: _describe_choice(r, RELEASES), disabled=disabled,
        )  # fmt: skip
        scenario = st.selectbox(
            _("Traffic scenario"), list(SCENARIOS), index=list(SCENARIOS).index(saved.scenario),
            key="autopilot_scenario", format_func=lambda s: _describe_choice(s, SCENARIOS), disabled=disabled,
        )  # fmt: skip
        d1, d2, d3 = st.columns(3)
        rounds = d1.slider(_("Rounds at most"), 1, MAX_ROUNDS, saved.rounds, key="autopilot_rounds", disabled=disabled)
        windows = d2.slider(_("Windows per round"), 3, 12, saved.windows, key="autopilot_windows", disabled=disabled)
        rows = d3.slider(
            _("Rows per window"), 100, 2000, max(100, min(2000, saved.rows_per_window)), 100,
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


def _describe_choice(code: str, meanings: dict[str, str]) -> str:
    """'shadow: it scores every request…' (the code, then what it means in the reader's language)."""
    return f"{code}: {_(meanings[code])}"  # i18n: skip


def _label(labels: dict[str, str], code: str) -> str:
    """A stored code in the reader's language (a code it does not know as it is)."""
    return _(labels[code]) if code in labels else code


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
            st.progress(job["progress"], text=escape_markdown(job["message"] or _("Starting…")))
        elif run["sentence"]:
            VERDICT_LOOK.get(run["verdict"] or "", st.info)(escape_markdown(run["sentence"]))
        events = get_events(ws, run["id"])
        st.caption(
            ngettext(
                "Autopilot run {run}: {n} step so far, newest last.",
                "Autopilot run {run}: {n} steps so far, newest last.",
                len(events),
            ).format(run=run["id"], n=len(events))
            + " "
            + _(
                "Each line is one step of the loop with what it found or decided; the table below adds the time "
                "and the report, experiment, version or deployment each step made. Every step is in the audit "
                "log too."
            )
        )
        with st.container(key="autopilot_steps"):
            for event in events:
                st.markdown(
                    _("**Round {round} · {step}** ({status}): {sentence}").format(
                        round=event["round"],
                        step=_label(STEP_LABELS, event["step"]),
                        status=_label(STATUS_LABELS, event["status"]),
                        sentence=escape_markdown(event["sentence"]),  # it names columns and models the user named
                    )
                )
        with st.expander(_("The timeline as a table, with its links")):
            table = get_timeline_df(events)
            table["step"] = [_label(STEP_LABELS, s) for s in table["step"]]
            table["status"] = [_label(STATUS_LABELS, s) for s in table["status"]]
            st.dataframe(
                table.rename(columns={k: _(v) for k, v in TIMELINE_COLUMNS.items()}), hide_index=True, width="stretch"
            )

    _draw()
