"""Problem: what to predict, what kind of task it is, and what "good enough" means for the gate."""
import plotly.express as px
import streamlit as st

from core import datasets, pipeline, projects
from core.problem import METRICS, TASKS, ProblemConfig, default_threshold, detect_task, suggest_problem
from ui import cache
from ui.frame import page_setup, require_project
from ui.widgets import chart, user_errors

ws, project = page_setup("Problem", ":material/flag:", "Say what the model must predict and how good it must be to ship.")
project = require_project(project)
pid = project["id"]

cleaned = datasets.latest_dataset(ws, pid, "cleaned")
if cleaned is None:
    st.info("Load and clean a table on the Data page first: the target is one of its columns.")
    st.page_link("pages/1_Data.py", label="Go to Data", icon=":material/table_view:", query_params={"project": pid})
    st.stop()
df = cache.dataset(ws, cleaned["id"])
saved = projects.get_problem(ws, pid)
columns = list(df.columns)
raw = datasets.get_dataset(ws, cleaned["parent_id"]) if cleaned["parent_id"] else None
default_target = (saved.target if saved and saved.target in columns
                  else pipeline.SAMPLES.get(raw["name"]) if raw else None)
target = st.selectbox("Target — the column to predict", columns,
                      index=columns.index(default_target) if default_target in columns else None,
                      key="target", placeholder="Choose the target column")
if target is None:
    st.stop()

with user_errors():
    suggestion = saved if saved and saved.target == target else suggest_problem(df, target)
    detected = detect_task(df[target])
    c1, c2 = st.columns(2)
    task = c1.radio("Task", TASKS, index=TASKS.index(suggestion.task), horizontal=True, key=f"task_{target}",
                    help=f"Detected: {detected}. Change it if the detection is wrong (e.g. ratings 1–5).")
    positive = None
    if task == "binary":
        values = sorted(df[target].dropna().astype(str).unique())
        default_pos = str(suggestion.positive_class) if str(suggestion.positive_class) in values else values[-1]
        positive = c2.selectbox("Positive class — the outcome we want to catch", values,
                                index=values.index(default_pos), key=f"positive_{target}")
    metrics = list(METRICS[task])
    metric = c1.selectbox("Success metric", metrics,
                          index=metrics.index(suggestion.metric) if suggestion.metric in metrics else 0,
                          key=f"metric_{target}_{task}")
    threshold = c2.number_input("Gate threshold — the least (or, for errors, the most) we accept",
                                value=float(suggestion.threshold if suggestion.metric == metric else
                                            default_threshold(metric, df[target])),
                                key=f"threshold_{target}_{metric}", format="%.3f")
    dates = [c for c in columns if str(df[c].dtype).startswith("datetime")]
    time_column = st.selectbox("Time column (optional) — evaluate on the latest rows instead of a random split",
                               [None, *dates], key="time_column",
                               index=([None, *dates].index(suggestion.time_column)
                                      if suggestion.time_column in dates else 0))

    if task == "regression":
        fig = px.histogram(df, x=target, nbins=40, template="plotly_white", title=f"Distribution of {target}")
        sentence = (f"{target} ranges from {df[target].min():,.4g} to {df[target].max():,.4g}, with a median of "
                    f"{df[target].median():,.4g}: the model predicts a number in this range.")
    else:
        counts = df[target].astype(str).value_counts()
        fig = px.bar(x=counts.index, y=counts.values, labels={"x": target, "y": "rows"},
                     template="plotly_white", title=f"How often each value of {target} occurs")
        top_share = counts.iloc[0] / counts.sum()
        sentence = (f"The most common value, '{counts.index[0]}', makes up {top_share:.0%} of rows, so a model "
                    f"that always guesses it would be right {top_share:.0%} of the time — the baseline to beat.")
    fig.update_layout(height=320)
    chart(fig, sentence, key="target_chart")

    if st.button("Save problem definition", key="save_problem", type="primary"):
        config = ProblemConfig(target=target, task=task, positive_class=positive, metric=metric,
                               threshold=float(threshold), time_column=time_column)
        pipeline.stage_problem(ws, pid, cleaned["id"], config)
        st.success(f"Saved: predict '{target}' ({task}); the gate asks for {metric} "
                   f"{'≤' if metric in ('rmse', 'mae') else '≥'} {threshold:g} on unseen data.")

if projects.get_problem(ws, pid):
    st.page_link("pages/3_Features.py", label="Next: build features", icon=":material/view_column:", query_params={"project": pid})
