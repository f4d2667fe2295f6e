"""Features: how each column becomes model input. Saved as a versioned feature set; the same
transformation is fitted inside every model, so serving applies exactly what training did."""

import streamlit as st

from core import pipeline
from core.data import datasets
from core.features import featurestore
from core.features.preprocessing import (
    SCALINGS,
    FeatureConfig,
    describe_feature_set,
    get_feature_kinds,
    suggest_features,
)
from core.problem.store import get_problem
from ui import cache
from ui.frame import page_setup, require_project
from ui.widgets import readable_table, user_errors

ws, project = page_setup(
    "Features", ":material/view_column:", "Turn cleaned columns into numbers a model can learn from."
)
project = require_project(project)
pid = project["id"]
problem = get_problem(ws, pid)
cleaned = datasets.latest_dataset(ws, pid, "cleaned")
if problem is None or cleaned is None:
    st.info("Clean a table (Data) and choose the target (Problem) first.")
    st.page_link("pages/2_Problem.py", label="Go to Problem", icon=":material/flag:", query_params={"project": pid})
    st.stop()
df = cache.dataset(ws, cleaned["id"])

with user_errors():
    latest = featurestore.latest_feature_set(ws, pid)
    base = (
        featurestore.load_feature_config(ws, latest["id"])
        if latest and latest["dataset_id"] == cleaned["id"]
        else suggest_features(df, problem)
    )
    inputs = [c for c in df.columns if c != problem.target]
    numeric = get_feature_kinds(df, problem, FeatureConfig())["numeric"]
    c1, c2 = st.columns(2)
    scaling = c1.selectbox(
        "Scale numbers",
        SCALINGS,
        index=SCALINGS.index(base.numeric_scaling),
        key="scaling",
        help="standard: mean 0, spread 1; minmax: between 0 and 1. Matters for linear models.",
    )
    one_hot = c1.toggle(
        "One-hot encode categories",
        value=base.one_hot,
        key="one_hot",
        help="One column per category (off: one number per category).",
    )
    max_categories = c1.slider(
        "Keep at most this many categories per column (rarer ones are grouped)",
        2,
        50,
        base.max_categories,
        key="max_categories",
    )
    date_parts = c2.toggle("Split dates into year, month and weekday", value=base.date_parts, key="date_parts")
    log_columns = c2.multiselect(
        "Log-transform (for long-tailed amounts)",
        numeric,
        default=[c for c in base.log_columns if c in numeric],
        key="log_columns",
    )
    drop_columns = c2.multiselect(
        "Leave out of the model",
        inputs,
        default=[c for c in base.drop_columns if c in inputs],
        key="drop_columns",
        help="IDs and free text are suggested: they identify rows rather than explain them.",
    )
    config = FeatureConfig(
        numeric_scaling=scaling,
        one_hot=one_hot,
        max_categories=max_categories,
        date_parts=date_parts,
        log_columns=tuple(log_columns),
        drop_columns=tuple(drop_columns),
    )
    description = describe_feature_set(df, problem, config)
    st.dataframe(description, hide_index=True, width="stretch")
    kinds = get_feature_kinds(df, problem, config)
    st.caption(
        f"The model will see {len(kinds['numeric'])} numeric, {len(kinds['categorical'])} categorical and "
        f"{len(kinds['datetime'])} date column(s); {len(kinds['dropped'])} column(s) are left out."
    )
    if st.button("Save feature set", key="save_features", type="primary"):
        fs = pipeline.stage_features(ws, pid, cleaned["id"], config)
        st.success(f"Saved feature set version {fs['version']} on cleaned data version {cleaned['version']}.")

sets = featurestore.list_feature_sets(ws, pid)
if len(sets):
    st.subheader("Feature store")
    readable_table(sets.drop(columns=["created_at", "config_json"], errors="ignore"), width="stretch")
    st.caption(
        "Every saved feature set, newest first, with the cleaned-data version it was built on: "
        "a trained model records which one it used."
    )
    st.page_link(
        "pages/4_Train.py",
        label="Next: train and compare models",
        icon=":material/model_training:",
        query_params={"project": pid},
    )
