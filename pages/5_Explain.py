"""Explain: SHAP values drawn with plotly — which features drive the model, how, and why one row got
its prediction. Computed once per model and saved."""

import streamlit as st

from core import pipeline
from core.explain.charts import (
    caption_beeswarm,
    caption_importance,
    caption_waterfall,
    plot_beeswarm,
    plot_importance,
    plot_waterfall,
)
from core.explain.importance import get_importance_df, get_waterfall_df
from core.training import tracking
from ui.counterfactual_panel import counterfactual_panel
from ui.frame import page_setup, require_project
from ui.letter_panel import letter_panel
from ui.text import escape_markdown
from ui.widgets import chart, experiment_picker, user_errors

ws, project = page_setup("Explain", ":material/lightbulb:", "Why the model predicts what it predicts, in SHAP values.")
project = require_project(project)
pid = project["id"]
experiment = experiment_picker(ws, pid, key="explain_experiment")
if experiment is None:
    st.info("Train models first; then their predictions can be explained here.")
    st.page_link(
        "pages/4_Train.py",
        label="Go to Train & compare",
        icon=":material/model_training:",
        query_params={"project": pid},
    )
    st.stop()

runs = tracking.get_runs_df(ws, pid, experiment["id"])
runs = runs[runs["error"].isna()] if "error" in runs else runs
labels = dict(zip(runs["run"], runs["model"]))
ids = list(labels)
run_id = st.selectbox(
    "Model to explain",
    ids,
    format_func=labels.get,
    key=f"explain_run_{experiment['id']}",
    index=ids.index(experiment["best_run_id"]) if experiment["best_run_id"] in ids else 0,
)

with user_errors():
    with st.spinner("Computing SHAP values…"):
        expl = pipeline.stage_explain(ws, pid, run_id)
    st.caption(
        escape_markdown(
            f"Explainer: {expl.explainer}. {expl.note} Values are in {expl.output}; computed in {expl.seconds:.1f} s."
        )
    )
    importance = get_importance_df(expl)
    c1, c2 = st.columns(2)
    with c1:
        chart(plot_importance(importance), caption_importance(importance, expl), key="importance")
    with c2:
        chart(plot_beeswarm(expl), caption_beeswarm(expl, importance), key="beeswarm")

    st.subheader("One prediction, explained")
    row = st.number_input(
        f"Row of the explained sample (0–{expl.rows_explained - 1})",
        0,
        max(expl.rows_explained - 1, 0),
        0,
        key="explain_row",
    )
    waterfall = get_waterfall_df(expl, int(row))
    chart(plot_waterfall(waterfall, expl.base_value), caption_waterfall(waterfall, expl.base_value), key="waterfall")
    with st.expander("The row's values"):
        st.dataframe(expl.values_df.iloc[[int(row)]], hide_index=True, width="stretch")
    counterfactual_panel(ws, pid, run_id, expl.values_df.index[int(row)])
letter_panel(ws, pid)
