"""Attacks, shown and defended (issue 16): on Deploy, how easily the deployed model's decision flips
within a budget, before and after adversarial training, and the model-extraction demo; on Monitor, the
security alerts per key. Pages add one call line each; everything is computed in ``core.security``."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.formatting import format_percent
from core.i18n import _, current_language
from core.security import attacks
from core.security.attacks_charts import (
    caption_evasion,
    caption_evasion_comparison,
    caption_extraction,
    caption_extraction_coverage,
    describe_changes,
    plot_evasion_comparison,
    plot_extraction_coverage,
)
from core.security.attacks_extraction import (
    EXTRACTION_JOB,
    get_saved_extraction,
    start_extraction_job,
)
from core.security.evasion import DEFAULT_MAX_ROWS, EvasionBudget
from core.security.security_alerts import get_security_alerts, get_security_alerts_df, security_log_state
from core.workspace.jobs import latest_job
from ui.text import escape_markdown
from ui.widgets import chart, job_panel, readable_table, user_errors


@st.cache_resource(show_spinner=False, max_entries=8)
def _deployed(root: str, project_id: int, version_id: int) -> attacks.Deployed:
    """The deployed model, loaded once per version (read only: never changed by a caller)."""
    from core.workspace.database import Workspace

    return attacks.load_deployed(Workspace(root), project_id)


def _current(ws, project_id: int) -> attacks.Deployed | None:
    from core.deployment import serving

    deployment = serving.get_active_deployment(ws, project_id)
    if deployment is None:
        return None
    version = serving.get_serving_version(ws, deployment)
    return _deployed(str(ws.root), project_id, int(version["id"]))


def security_panel(ws, project_id: int) -> None:
    """Deploy: the evasion measurement, adversarial training and the extraction demo."""
    st.subheader(_("Attacks, shown and defended"))
    with user_errors():
        deployed = _current(ws, project_id)
        if deployed is None:
            st.caption(_("Deploy a model first: the attacks are tried on the deployed model."))
            return
        if deployed.loaded.problem.task == "regression":
            st.caption(_("The attacks are shown on a model that decides between classes; this one predicts a number."))
            return
        _evasion_section(ws, project_id, deployed)
        _extraction_section(ws, project_id, deployed)


def _evasion_section(ws, project_id: int, deployed: attacks.Deployed) -> None:
    st.markdown("**" + _("Evasion: how easily can an applicant flip the decision?") + "**")
    st.caption(
        _(
            "For the holdout rows the model does not give the outcome below, we look for a small change to what the person controls that makes it say so. Age, gender, dates and the sensitive column never change."
        )
    )
    loaded = deployed.loaded
    suggested = attacks.suggested_budget(deployed)
    classes = list(loaded.model.class_names)
    c1, c2, c3 = st.columns(3)
    desired = c1.selectbox(_("The outcome the attacker wants"), classes, index=len(classes) - 1, key="sec_desired")
    fraction = c2.slider(
        _("Budget: how far each number may move (share of its spread)"), 0.05, 1.0, 0.1, 0.05, key="sec_fraction"
    )
    max_rows = c3.slider(_("Rows to try"), 10, 100, DEFAULT_MAX_ROWS // 2, 10, key="sec_rows")
    mutable = [f for f in loaded.features if f not in loaded.fixed_by_default and f in suggested.features]
    chosen = st.multiselect(
        _("What the attacker can change"), mutable, default=mutable, key="sec_features", format_func=str
    )
    budget = EvasionBudget(
        numeric={f: float(fraction) for f in chosen if f in suggested.numeric},
        categorical={f: suggested.categorical[f] for f in chosen if f in suggested.categorical},
        max_changes=2,
    )
    b1, b2 = st.columns(2)
    if b1.button(_("Measure evasion"), key="sec_measure", type="primary", disabled=not chosen):
        attacks.start_evasion_job(ws, project_id, budget, desired_class=desired, max_rows=max_rows)
    if b2.button(_("Harden with adversarial training"), key="sec_harden", disabled=not chosen):
        attacks.start_adversarial_job(ws, project_id, budget, desired_class=desired, max_rows=max_rows)
    for kind in (attacks.EVASION_JOB, attacks.ADVERSARIAL_JOB):
        job = latest_job(ws, project_id, kind)
        if job is not None and job["status"] != "succeeded":
            job_panel(ws, job["id"])

    measured = attacks.get_saved(ws, deployed.run_id, attacks.EVASION)
    if measured is not None:
        result = measured["result"]
        rate = result["flipped"] / result["tried"] if result["tried"] else 0.0
        st.metric(_("Rejected rows that flip"), format_percent(rate, 0))
        st.caption(escape_markdown(caption_evasion(result)))
        if result["flips"]:
            flips = pd.DataFrame(
                [
                    {_("row"): f["row"], _("changes"): describe_changes(f["changes"]), _("cost"): round(f["cost"], 3)}
                    for f in result["flips"][:10]
                ]
            )
            readable_table(flips, keep=list(flips.columns), hide_index=True)
            st.caption(
                _(
                    "The cheapest flips first; the cost adds each number's move in units of its spread and 1 per changed category."
                )
            )
    hardened = attacks.get_saved(ws, deployed.run_id, attacks.ADVERSARIAL)
    if hardened is not None:
        chart(plot_evasion_comparison(hardened), caption_evasion_comparison(hardened), key="sec_comparison")


def _extraction_section(ws, project_id: int, deployed: attacks.Deployed) -> None:
    st.markdown("**" + _("Model extraction: can someone copy the model through the endpoint?") + "**")
    st.caption(
        _(
            "The demo asks the endpoint many questions with its own key, drawn evenly over every input's range, trains a copy on the answers and checks whether the monitor notices."
        )
    )
    queries = st.slider(_("Questions to ask"), 200, 5000, 1000, 100, key="sec_queries")
    if st.button(_("Run the extraction demo"), key="sec_extract"):
        start_extraction_job(ws, project_id, int(queries))
    job = latest_job(ws, project_id, EXTRACTION_JOB)
    if job is not None and job["status"] != "succeeded":
        job_panel(ws, job["id"])
    saved = get_saved_extraction(ws, deployed.run_id)
    if saved is None:
        return
    c1, c2 = st.columns(2)
    c1.metric(_("The copy agrees with the model"), format_percent(saved["fidelity"], 0))
    c2.metric(_("Alert for the demo's key"), _("fired") if saved["flagged"] else _("not fired"))
    st.caption(escape_markdown(caption_extraction(saved)))
    report = pd.DataFrame(saved["report"])
    if len(report):
        chart(plot_extraction_coverage(report), caption_extraction_coverage(report), key="sec_coverage")


@st.cache_data(show_spinner=False, ttl=60, max_entries=64)
def _alerts(root: str, project_id: int, state: tuple[Any, ...], language: str) -> pd.DataFrame:
    from core.workspace.database import Workspace

    return get_security_alerts_df(get_security_alerts(Workspace(root), project_id))


def security_alerts_panel(ws, project_id: int) -> None:
    """Monitor: the security alerts per key (probing, out-of-range spikes, extraction)."""
    st.subheader(_("Security alerts"))
    with user_errors():
        state = security_log_state(ws, project_id)
        alerts = _alerts(str(ws.root), project_id, state, current_language())
        if alerts.empty:
            st.caption(
                _(
                    "No security alert: no key is probing the endpoint, sending values outside the training range or sweeping the input space."
                )
            )
            return
        for alert in alerts.itertuples(index=False):
            show = st.error if alert.severity == "critical" else st.warning
            show(escape_markdown(alert.sentence))
        st.caption(
            _(
                "Each alert names the key that asked: a client copying the model sweeps the input space, a client probing sends requests the endpoint refuses or values it never saw in training."
            )
        )
