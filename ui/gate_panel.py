"""The go/no-go verdict of an experiment and the form that registers a model (a failed gate needs a
written reason, which goes into the audit log). Used by Train & compare and by the Registry page."""

from __future__ import annotations

import json

import streamlit as st

from core import pipeline, registry
from core.deployment import serving
from core.evaluation.gate import CHECK_TITLES
from core.problem.definition import format_metric_value, get_metric_label
from core.training import tracking
from ui.text import escape_markdown
from ui.widgets import term_help, user_errors


def show_gate(ws, project_id: int, experiment: dict) -> None:
    gate = json.loads(experiment["gate_json"] or "{}")
    metric = gate.get("metric", "")
    label = get_metric_label(metric)
    best = tracking.get_run(ws, experiment["best_run_id"]) if experiment.get("best_run_id") else None
    passed = bool(gate.get("passed"))
    with st.container(border=True):
        c1, c2, c3 = st.columns(3)
        c1.metric("Verdict", "GO" if passed else "NO-GO", help=term_help("gate"))
        c2.metric(f"Holdout {label}", format_metric_value(metric, gate.get("value")), help=term_help(metric))
        c3.metric("Threshold", format_metric_value(metric, gate.get("threshold")))
        who = best["model_name"] if best else "the best model"
        st.caption(
            f"The gate judges {who}, the model with the best cross-validated score of experiment "
            f"{experiment['id']}; every check below must pass for GO."
        )
        for check in gate.get("checks", []):
            title = CHECK_TITLES.get(check["name"], check["name"])
            sentence = escape_markdown(check["sentence"])  # it may name the sensitive column and its groups
            if check.get("informational"):
                st.info(f"**{title}?** {sentence}", icon=":material/help:")
            elif check["passed"]:
                st.success(f"**{title}.** {sentence}", icon=":material/check_circle:")
            else:
                st.error(f"**{title}.** {sentence}", icon=":material/cancel:")


def register_form(ws, project_id: int, experiment: dict, key: str) -> dict | None:
    """Pick a run of ``experiment`` and register it; returns the new version when one was registered."""
    gate = json.loads(experiment["gate_json"] or "{}")
    runs = tracking.get_runs_df(ws, project_id, experiment["id"])
    runs = runs[runs["error"].isna()] if "error" in runs else runs
    labels = dict(zip(runs["run"], runs["model"]))
    ids = list(labels)
    if not ids:
        st.info("This experiment has no trained model to register.")
        return None
    best_id = experiment["best_run_id"]
    run_id = st.selectbox(
        "Model to register",
        ids,
        format_func=lambda r: f"{labels[r]} (run {r})",
        key=f"{key}_run",
        index=ids.index(best_id) if best_id in ids else 0,
    )
    is_gated = bool(gate.get("passed")) and run_id == best_id
    reason = ""
    existing = registry.get_version_of_run(ws, project_id, int(run_id))
    if existing is not None:
        st.info(
            f"{labels[run_id]} is already registered as {escape_markdown(existing['model_name'])} "
            f"v{existing['version']}: "
            "give it an alias (promote, roll back) on the Registry page.",
            icon=":material/inventory_2:",
        )
        return None
    if is_gated:
        st.success(f"{labels[run_id]} passed the gate: it can be registered.", icon=":material/verified:")
    else:
        why = "did not pass the gate" if run_id == best_id else "is not the model the gate checked"
        st.warning(
            f"{labels[run_id]} {why}. Registering it anyway needs a written reason, which goes into the "
            "audit log with your decision.",
            icon=":material/gavel:",
        )
        reason = st.text_area(
            "Reason for the override",
            key=f"{key}_reason",
            placeholder="e.g. The latency limit is for the mobile app; this model serves the "
            "nightly batch, where 300 ms is fine.",
        )
    model_name = pipeline.model_name_for_experiment(ws, project_id, experiment)  # the model of its problem
    has_champion = registry.get_alias_version(ws, project_id, model_name, "champion") is not None
    alias = st.radio(
        "Give it the alias",
        ["champion", "challenger", "none"],
        horizontal=True,
        index=1 if has_champion else 0,
        key=f"{key}_alias",
        help="The champion serves production; a challenger is a candidate that may replace it.",
    )
    threshold = _decision_threshold_input(ws, experiment, int(run_id), key)
    if st.button("Register", key=f"{key}_register", type="primary", disabled=not is_gated and not reason.strip()):
        with user_errors():
            version = pipeline.stage_register(
                ws,
                project_id,
                int(run_id),
                alias=None if alias == "none" else alias,
                override_reason=reason,
                decision_threshold=threshold,
            )
            st.success(
                f"Registered {escape_markdown(version['model_name'])} version {version['version']}"
                + (f" as {alias}." if alias != "none" else ".")
                + (f" {escape_markdown(serving.describe_live(ws, project_id))}" if alias == "champion" else "")
            )
            return version
    return None


def _decision_threshold_input(ws, experiment: dict, run_id: int, key: str) -> float | None:
    """A yes/no model's operating point, kept with the version and used by the endpoint. It starts
    where the Evaluate slider was left for this run, else at the cheapest threshold (0.5 without
    costs)."""
    problem = json.loads(experiment["problem_json"])
    if problem.get("task") != "binary":
        return None
    chosen_on_evaluate = st.session_state.get(chosen_threshold_key(experiment["id"], run_id))
    start = round(
        float(chosen_on_evaluate)
        if chosen_on_evaluate is not None
        else pipeline.suggest_decision_threshold(ws, experiment, run_id),
        2,
    )
    widget, started_at = f"{key}_threshold_{run_id}", f"{key}_threshold_{run_id}_start"
    # Follow a new start (the slider moved), but keep what was typed here while it stays the same.
    if widget not in st.session_state or st.session_state.get(started_at) != start:
        st.session_state[widget] = start
        st.session_state[started_at] = start
    threshold = st.number_input(
        f"Answer '{escape_markdown(problem.get('positive_class'))}' from a score of",
        0.0,
        1.0,
        step=0.01,
        format="%.2f",
        key=widget,
    )
    where = (
        "the threshold you left on Evaluate"
        if chosen_on_evaluate is not None
        else "the cheapest threshold for the costs on the Problem page"
        if problem.get("cost_false_negative") is not None and problem.get("cost_false_positive") is not None
        else "the usual 0.5 (set the costs of mistakes on the Problem page to start at the cheapest)"
    )
    st.caption(
        f"Once deployed, the model flags a row when its score is at least this. It starts at {where}; "
        "it is kept with the version."
    )
    return float(threshold)


def chosen_threshold_key(experiment_id: int, run_id: int) -> str:
    """Where Evaluate keeps the threshold last chosen for a run. Not the slider's own key: Streamlit
    drops a widget's state when another section of the page is shown."""
    return f"chosen_threshold_{experiment_id}_{run_id}"
