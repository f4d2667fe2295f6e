"""Features: how each column becomes model input. Saved as a versioned feature set; the same
transformation is fitted inside every model, so serving applies exactly what training did."""

import streamlit as st

from core import pipeline
from core.data import datasets
from core.features import featurestore
from core.features.preprocessing import (
    SCALING_LABELS,
    SCALINGS,
    FeatureConfig,
    describe_feature_set,
    get_feature_kinds,
    get_readable_feature_set,
    suggest_features,
)
from core.i18n import _, ngettext
from core.problem.store import get_problem
from ui import cache
from ui.featurestore_panel import feature_store_section
from ui.frame import page_setup, require_project
from ui.widgets import readable_table, user_errors

ws, project = page_setup(
    _("Features"), ":material/view_column:", _("Turn cleaned columns into numbers a model can learn from.")
)
project = require_project(project)
pid = project["id"]
problem = get_problem(ws, pid)
cleaned = datasets.latest_dataset(ws, pid, "cleaned")
if problem is None or cleaned is None:
    st.info(_("Clean a table (Data) and choose the target (Problem) first."))
    st.page_link("pages/2_Problem.py", label=_("Go to Problem"), icon=":material/flag:", query_params={"project": pid})
    feature_store_section(ws, project)
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
        _("Scale numbers"),
        SCALINGS,
        format_func=lambda code: _(SCALING_LABELS[code]),
        index=SCALINGS.index(base.numeric_scaling),
        key="scaling",
        help=_("Standard scaling: mean 0, spread 1; min-max scaling: between 0 and 1. Matters for linear models."),
    )
    one_hot = c1.toggle(
        _("One-hot encode categories"),
        value=base.one_hot,
        key="one_hot",
        help=_("One column per category (off: one number per category)."),
    )
    max_categories = c1.slider(
        _("Keep at most this many categories per column (rarer ones are grouped)"),
        2,
        50,
        base.max_categories,
        key="max_categories",
    )
    date_parts = c2.toggle(_("Split dates into year, month and weekday"), value=base.date_parts, key="date_parts")
    log_columns = c2.multiselect(
        _("Log-transform (for long-tailed amounts)"),
        numeric,
        default=[c for c in base.log_columns if c in numeric],
        key="log_columns",
        placeholder=_("Choose one or more"),
    )
    drop_columns = c2.multiselect(
        _("Leave out of the model"),
        inputs,
        default=[c for c in base.drop_columns if c in inputs],
        key="drop_columns",
        placeholder=_("Choose one or more"),
        help=_("IDs and free text are suggested: they identify rows rather than explain them."),
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
    st.dataframe(get_readable_feature_set(description), hide_index=True, width="stretch")
    kinds = get_feature_kinds(df, problem, config)
    dropped = len(kinds["dropped"])
    st.caption(
        _("The model will see {numeric} numeric, {categorical} categorical and {dates} date column(s).").format(
            numeric=len(kinds["numeric"]), categorical=len(kinds["categorical"]), dates=len(kinds["datetime"])
        )
        + " "
        + ngettext("{n} column is left out.", "{n} columns are left out.", dropped).format(n=dropped)
    )
    if st.button(_("Save feature set"), key="save_features", type="primary"):
        fs = pipeline.stage_features(ws, pid, cleaned["id"], config)
        st.success(
            _("Saved feature set version {version} on cleaned data version {data_version}.").format(
                version=fs["version"], data_version=cleaned["version"]
            )
        )

sets = featurestore.list_feature_sets(ws, pid)
if len(sets):
    st.subheader(_("Saved feature sets"))
    readable_table(sets.drop(columns=["created_at", "config_json"], errors="ignore"), width="stretch")
    st.caption(
        _(
            "Every saved feature set, newest first, with the cleaned-data version it was built on: "
            "a trained model records which one it used."
        )
    )
    st.page_link(
        "pages/4_Train.py",
        label=_("Next: train and compare models"),
        icon=":material/model_training:",
        query_params={"project": pid},
    )
feature_store_section(ws, project)
