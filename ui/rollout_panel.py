"""Deploy's strategy panels: run a rollout strategy (canary, A/B, shadow, blue-green) on simulated
traffic as a job, then its verdict sentence, its evidence (tables and charts, a sentence each) and a
champion-vs-challenger chart. The page calls `rollout_panel`; the work is core.stages.rollout."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core import pipeline
from core.deployment import charts_rollouts as charts
from core.deployment import serving
from core.deployment.rollouts.traffic import LabelPlan, get_labelled_df
from core.formatting import format_count, format_number
from core.i18n import N_, _
from core.stages.rollout import BAD_CHALLENGER, DEFAULT_REQUESTS, ROLLOUT_SCENARIOS
from core.workspace import jobs
from core.workspace.errors import ConfigError
from ui.text import escape_markdown
from ui.widgets import chart, flash, job_panel, user_errors

STRATEGY_LABELS = {
    "canary": N_("Canary: ramp with guardrails"),
    "ab": N_("A/B test: statistical readout"),
    "shadow": N_("Shadow: compare silently"),
    "blue_green": N_("Blue-green: switch and back"),
}
RUN_LABELS = {
    "canary": N_("Run the canary"),
    "ab": N_("Run the A/B test"),
    "shadow": N_("Run the shadow"),
    "blue_green": N_("Run blue-green"),
}
LIVE_SENTENCES = {
    "canary": N_(
        "The live canary deployment can also decide on its own traffic: the requests clients sent it and the "
        "true outcomes they sent back."
    ),
    "ab": N_(
        "The live A/B deployment can also decide on its own traffic: the requests clients sent it and the true "
        "outcomes they sent back."
    ),
    "shadow": N_(
        "The live shadow deployment can also decide on its own traffic: the requests clients sent it and the "
        "true outcomes they sent back."
    ),
}
VERDICT_STYLE = {  # i18n: skip (stored verdict codes)
    "promote": "success",
    "ship B": "success",  # i18n: skip
    "promote the shadow": "success",  # i18n: skip
    "no gap": "success",  # i18n: skip
    "rolled back": "error",  # i18n: skip
    "keep A": "warning",  # i18n: skip
    "keep the champion": "warning",  # i18n: skip
    "gap": "error",
}
JOB_KIND = "rollout"
LIVE_STRATEGIES = ("canary", "ab", "shadow")


def rollout_panel(ws, project_id: int, model_name: str, has_challenger: bool) -> None:
    """The strategy picker, the Run button (a job), and the latest run's verdict and evidence."""
    st.subheader(_("Try a strategy on simulated traffic"))
    st.caption(
        _(
            "Sends simulated requests through the live endpoint with the chosen strategy; the true outcome of "
            "a share of them arrives a few batches later, as it would from real clients. Each strategy ends in "
            "a decision with its evidence."
        )
    )
    strategy = st.radio(
        _("Strategy to try"),
        list(STRATEGY_LABELS),
        format_func=lambda s: _(STRATEGY_LABELS[s]),
        horizontal=True,
        key="rollout_strategy",
    )
    scenarios = list(ROLLOUT_SCENARIOS) if has_challenger else [BAD_CHALLENGER]
    scenario = st.selectbox(
        _("Traffic scenario"),
        scenarios,
        key="rollout_scenario",
        format_func=lambda s: f"{s} — {_(ROLLOUT_SCENARIOS[s])}",
    )
    if not has_challenger:
        st.caption(_("No challenger is registered: only the 'bad challenger' demo can run (it registers one)."))
    c1, c2, c3 = st.columns(3)
    requests = c1.number_input(
        _("Simulated requests"), 10, 20_000, DEFAULT_REQUESTS[strategy], 10, key=f"rollout_requests_{strategy}"
    )
    delay = c2.slider(_("Labels arrive after (batches)"), 0, 10, 2, key="rollout_label_delay")
    share = c3.slider(_("Share of answers that get a label"), 0.1, 1.0, 0.6, 0.05, key="rollout_label_share")
    steps_text, ab_share = "5,25,50,100", 0.5
    if strategy == "canary":
        steps_text = st.text_input(_("Ramp: challenger's share per step (%)"), "5,25,50,100", key="rollout_steps")
    if strategy == "ab":
        ab_share = st.slider(_("Share of users for B (the challenger)"), 0.1, 0.9, 0.5, 0.05, key="rollout_ab_share")
    job = jobs.latest_job(ws, project_id, JOB_KIND)
    running = job is not None and job["status"] == "running"
    if st.button(_(RUN_LABELS[strategy]), key="run_rollout", type="primary", disabled=running):
        with user_errors():
            steps = _parse_steps(steps_text)
            settings: dict[str, Any] = {
                "model_name": model_name,
                "steps": steps,
                "share": ab_share,
                "requests": int(requests),
                "scenario": scenario,
                "labels": LabelPlan(delay=int(delay), share=float(share)).validate(),
            }
            jobs.start_job(
                ws,
                project_id,
                JOB_KIND,
                lambda progress: pipeline.stage_rollout(ws, project_id, strategy, progress=progress, **settings),
            )
            st.rerun()
    live = serving.get_active_deployment(ws, project_id)
    if live is not None and live["routing"].strategy in LIVE_STRATEGIES:
        st.caption(_(LIVE_SENTENCES[live["routing"].strategy]))
        if st.button(_("Decide on the live traffic"), key="check_live", disabled=running):
            jobs.start_job(
                ws, project_id, JOB_KIND, lambda _progress: pipeline.stage_check_live(ws, project_id, model_name)
            )
            st.rerun()
    if job is not None:
        job_panel(ws, job["id"], on_done=lambda done: show_rollout(ws, project_id, done["result"]))


def _parse_steps(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(
            _("The ramp must be percentages separated by commas, such as 5,25,50,100; got {text}.").format(
                text=repr(text)
            )
        ) from None


def show_rollout(ws, project_id: int, summary: dict[str, Any] | None) -> None:
    """A finished rollout: the verdict first, then its evidence and champion against challenger."""
    if not summary:
        return
    strategy = summary["strategy"]
    show = getattr(st, VERDICT_STYLE.get(summary["verdict"], "info"))
    verdict = escape_markdown(charts.verdict_name(summary["verdict"]))
    sentence = escape_markdown(summary["sentence"])
    if summary.get("source") == "live traffic":
        show(_("**{verdict}** (on the live traffic) — {sentence}").format(verdict=verdict, sentence=sentence))
    else:
        show(_("**{verdict}** — {sentence}").format(verdict=verdict, sentence=sentence))
    st.caption(escape_markdown(summary["live"]))
    evidence = summary["evidence"]
    if strategy == "canary" and evidence["steps"]:
        chart(
            charts.plot_canary_ramp(evidence["steps"], evidence["planned"]),
            charts.caption_canary_ramp(summary),
            key="canary_ramp",
        )
        guardrails = charts.get_guardrail_table(evidence["steps"])
        st.dataframe(guardrails.rename(columns=charts.table_headers()), hide_index=True, width="stretch")
        st.caption(_("Each guardrail at each step: whether it held, and the numbers behind it."))
    elif strategy == "ab":
        chart(charts.plot_ab_arms(evidence), charts.caption_ab_arms(evidence), key="ab_arms")
        st.dataframe(
            charts.get_ab_table(evidence).rename(columns=charts.table_headers()), hide_index=True, width="stretch"
        )
        st.caption(
            _(
                "{needed} labelled answers per arm are needed to detect a difference of {mde}; {users} users were "
                "each kept in one arm ({both} saw both)."
            ).format(
                needed=format_count(evidence["needed_per_arm"]),
                mde=format_number(evidence["design"]["mde"]),
                users=format_count(evidence["sticky"]["users"]),
                both=format_count(evidence["sticky"]["users_in_both_arms"]),
            )
        )
        if summary["verdict"] == "ship B" and st.button(_("Ship B: promote the challenger"), key="ship_b"):
            with user_errors():
                said = summary.get("sentence_en", summary["sentence"])  # the audit log stores English
                reason = "A/B test shipped B: " + said  # i18n: skip (the audit log stores English)
                done = pipeline.stage_promote(ws, project_id, summary["model"], reason=reason)
                flash("success", escape_markdown(done["message"]))
                st.rerun()
    elif strategy == "shadow":
        c1, c2 = st.columns(2)
        with c1:
            chart(charts.plot_score_differences(evidence["score_differences"]),
                  charts.caption_score_differences(evidence), key="shadow_differences")  # fmt: skip
        with c2:
            chart(charts.plot_segments(evidence["segments"]), charts.caption_segments(evidence), key="shadow_segments")
        if st.button(_("Promote the shadow"), key="promote_shadow", disabled=summary["verdict"] == "keep watching"):
            with user_errors():
                done = pipeline.stage_promote_shadow(ws, project_id, summary["deployment_id"], summary["model"])
                message = escape_markdown(done["message"]) + " " + _("The comparison is attached to the audit entry.")
                flash("success", message)
                st.rerun()
    elif strategy == "blue_green":
        chart(
            charts.plot_blue_green_stream(evidence), charts.caption_blue_green_stream(evidence), key="blue_green_stream"
        )
    if strategy in ("canary", "ab", "shadow"):
        kind, metric = summary["metric_kind"], summary["metric"]
        over_time = charts.get_arm_metric_over_time(
            get_labelled_df(ws, [summary["deployment_id"]]), kind, shadow=strategy == "shadow"
        )
        chart(
            charts.plot_champion_vs_challenger(over_time, metric),
            charts.caption_champion_vs_challenger(over_time, metric),
            key="champion_vs_challenger",
        )
