"""Explain: SHAP values drawn with plotly — which features drive the model, how, and why one row got
its prediction. Computed once per model and saved."""

import streamlit as st

from core.explain.probability import describe_space
from core.formatting import format_as
from core.i18n import _
from core.training import tracking
from ui import cache
from ui.counterfactual_panel import counterfactual_panel
from ui.explain_effects import effects_panel
from ui.explain_panel import importance_charts, in_space, one_row_panel, problem_change_note, space_toggle
from ui.frame import page_setup, require_project
from ui.letter_panel import letter_panel
from ui.text import escape_markdown
from ui.widgets import experiment_picker, user_errors

ws, project = page_setup(
    _("Explain"), ":material/lightbulb:", _("Why the model predicts what it predicts, in SHAP values.")
)
project = require_project(project)
pid = project["id"]
experiment = experiment_picker(ws, pid, key="explain_experiment")
if experiment is None:
    st.info(_("Train models first; then their predictions can be explained here."))
    st.page_link(
        "pages/4_Train.py",
        label=_("Go to Train & compare"),
        icon=":material/model_training:",
        query_params={"project": pid},
    )
    st.stop()

problem_change_note(ws, pid, experiment)
runs = tracking.get_runs_df(ws, pid, experiment["id"])
runs = runs[runs["error"].isna()] if "error" in runs else runs
labels = dict(zip(runs["run"], runs["model"]))
ids = list(labels)
run_id = st.selectbox(
    _("Model to explain"),
    ids,
    format_func=labels.get,
    key=f"explain_run_{experiment['id']}",
    index=ids.index(experiment["best_run_id"]) if experiment["best_run_id"] in ids else 0,
)

with user_errors():
    with st.spinner(_("Computing SHAP values…")):
        expl = cache.explanation(ws, pid, run_id)  # SHAP once for the whole class (ui/cache.py)
    space = space_toggle(expl, key=f"explain_space_{run_id}")
    shown = in_space(expl, space)
    st.caption(
        escape_markdown(
            _("Explainer: {explainer}. {note} {space} Computed in {seconds} s.").format(
                explainer=expl.explainer,
                note=expl.note,
                space=describe_space(shown),
                seconds=format_as(expl.seconds, ".1f"),
            )
        )
    )
    importance = importance_charts(ws, run_id, shown)  # importance and beeswarm, drawn once per explanation

    effects_panel(ws, run_id, shown, importance)
    one_row_panel(ws, pid, run_id, list(importance["feature"]), space)
    counterfactual_panel(ws, pid, run_id)
letter_panel(ws, pid)
