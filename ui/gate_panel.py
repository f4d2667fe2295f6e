"""The go/no-go verdict of an experiment and the form that registers a model (a failed gate needs a
written reason, which goes into the audit log). Used by Train & compare and by the Registry page."""

from __future__ import annotations

import json

import streamlit as st

from core import pipeline, registry
from core.deployment import serving
from core.evaluation.gate import CHECK_TITLES, describe_check
from core.i18n import N_, _
from core.problem.definition import format_metric_value, get_metric_label
from core.training import tracking
from ui.text import escape_markdown
from ui.widgets import term_help, user_errors

#: The aliases a new version can get (stored codes) and their words.
ALIAS_WORDS = {"champion": N_("champion"), "challenger": N_("challenger"), "none": N_("none")}


def show_gate(ws, project_id: int, experiment: dict) -> None:
    gate = json.loads(experiment["gate_json"] or "{}")
    metric = gate.get("metric", "")
    label = get_metric_label(metric)
    best = tracking.get_run(ws, experiment["best_run_id"]) if experiment.get("best_run_id") else None
    passed = bool(gate.get("passed"))
    with st.container(border=True):
        c1, c2, c3 = st.columns(3)
        c1.metric(_("Verdict"), "GO" if passed else "NO-GO", help=term_help("gate"))  # i18n: skip (go/no-go)
        c2.metric(
            _("Holdout {metric}").format(metric=label),
            format_metric_value(metric, gate.get("value")),
            help=term_help(metric),
        )
        c3.metric(_("Threshold"), format_metric_value(metric, gate.get("threshold")))
        who = best["model_name"] if best else _("the best model")
        st.caption(
            _(
                "The gate judges {model}, the model with the best cross-validated score of experiment "
                "{experiment}; every check below must pass for GO."
            ).format(model=who, experiment=experiment["id"])
        )
        for check in gate.get("checks", []):
            title = _(CHECK_TITLES[check["name"]]) if check["name"] in CHECK_TITLES else check["name"]
            # it may name the sensitive column and its groups
            sentence = escape_markdown(describe_check(check))
            if check.get("informational"):
                st.info(_("**{title}?** {sentence}").format(title=title, sentence=sentence), icon=":material/help:")
            elif check["passed"]:
                st.success(
                    _("**{title}.** {sentence}").format(title=title, sentence=sentence), icon=":material/check_circle:"
                )
            else:
                st.error(_("**{title}.** {sentence}").format(title=title, sentence=sentence), icon=":material/cancel:")


def register_form(ws, project_id: int, experiment: dict, key: str) -> dict | None:
    """Pick a run of ``experiment`` and register it; returns the new version when one was registered."""
    gate = json.loads(experiment["gate_json"] or "{}")
    runs = tracking.get_runs_df(ws, project_id, experiment["id"])
    runs = runs[runs["error"].isna()] if "error" in runs else runs
    labels = dict(zip(runs["run"], runs["model"]))
    ids = list(labels)
    if not ids:
        st.info(_("This experiment has no trained model to register."))
        return None
    best_id = experiment["best_run_id"]
    run_id = st.selectbox(
        _("Model to register"),
        ids,
        format_func=lambda r: _("{model} (run {run})").format(model=labels[r], run=r),
        key=f"{key}_run",
        index=ids.index(best_id) if best_id in ids else 0,
    )
    is_gated = bool(gate.get("passed")) and run_id == best_id
    reason = ""
    existing = registry.get_version_of_run(ws, project_id, int(run_id))
    if existing is not None:
        st.info(
            _(
                "{model} is already registered as {name} v{version}: "
                "give it an alias (promote, roll back) on the Registry page."
            ).format(model=labels[run_id], name=escape_markdown(existing["model_name"]), version=existing["version"]),
            icon=":material/inventory_2:",
        )
        return None
    if is_gated:
        st.success(
            _("{model} passed the gate: it can be registered.").format(model=labels[run_id]),
            icon=":material/verified:",
        )
    else:
        why = (
            _(
                "{model} did not pass the gate. Registering it anyway needs a written reason, which goes into the "
                "audit log with your decision."
            )
            if run_id == best_id
            else _(
                "{model} is not the model the gate checked. Registering it anyway needs a written reason, which "
                "goes into the audit log with your decision."
            )
        )
        st.warning(why.format(model=labels[run_id]), icon=":material/gavel:")
        reason = st.text_area(
            _("Reason for the override"),
            key=f"{key}_reason",
            placeholder=_(
                "e.g. The latency limit is for the mobile app; this model serves the "
                "nightly batch, where 300 ms is fine."
            ),
        )
    model_name = pipeline.model_name_for_experiment(ws, project_id, experiment)  # the model of its problem
    has_champion = registry.get_alias_version(ws, project_id, model_name, "champion") is not None
    alias = st.radio(
        _("Give it the alias"),
        list(ALIAS_WORDS),
        format_func=lambda a: _(ALIAS_WORDS[a]),
        horizontal=True,
        index=1 if has_champion else 0,
        key=f"{key}_alias",
        help=_("The champion serves production; a challenger is a candidate that may replace it."),
    )
    threshold = _decision_threshold_input(ws, experiment, int(run_id), key)
    if st.button(_("Register"), key=f"{key}_register", type="primary", disabled=not is_gated and not reason.strip()):
        with user_errors():
            version = pipeline.stage_register(
                ws,
                project_id,
                int(run_id),
                alias=None if alias == "none" else alias,
                override_reason=reason,
                decision_threshold=threshold,
            )
            name = escape_markdown(version["model_name"])
            registered = (
                _("Registered {name} version {version} as {alias}.").format(
                    name=name, version=version["version"], alias=_(ALIAS_WORDS[alias])
                )
                if alias != "none"
                else _("Registered {name} version {version}.").format(name=name, version=version["version"])
            )
            live = f" {escape_markdown(serving.describe_live(ws, project_id))}" if alias == "champion" else ""
            st.success(registered + live)
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
        _("Answer '{positive}' from a score of").format(positive=escape_markdown(problem.get("positive_class"))),
        0.0,
        1.0,
        step=0.01,
        format="%.2f",
        key=widget,
    )
    where = (
        _("the threshold you left on Evaluate")
        if chosen_on_evaluate is not None
        else _("the cheapest threshold for the costs on the Problem page")
        if problem.get("cost_false_negative") is not None and problem.get("cost_false_positive") is not None
        else _("the usual 0.5 (set the costs of mistakes on the Problem page to start at the cheapest)")
    )
    st.caption(
        _(
            "Once deployed, the model flags a row when its score is at least this. It starts at {where}; "
            "it is kept with the version."
        ).format(where=where)
    )
    return float(threshold)


def chosen_threshold_key(experiment_id: int, run_id: int) -> str:
    """Where Evaluate keeps the threshold last chosen for a run. Not the slider's own key: Streamlit
    drops a widget's state when another section of the page is shown."""
    return f"chosen_threshold_{experiment_id}_{run_id}"
