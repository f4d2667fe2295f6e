"""Train & compare: the leaderboard, tuning studies, every recorded run, a close look at one model,
and the go/no-go gate. Training and tuning run as background jobs: a page switch or a refresh does
not stop or lose them."""

import streamlit as st

from core.features import featurestore
from core.i18n import N_, _
from core.problem.store import get_problem
from core.training import tracking
from ui.cluster_panel import cluster_settings
from ui.evaluation_panel import show_evaluation
from ui.frame import page_setup, require_project
from ui.gate_panel import register_form, show_gate
from ui.leaderboard_panel import show_leaderboard, train_settings
from ui.runs_panel import show_runs
from ui.spec_train_panel import preselect_from_spec
from ui.tuning_panel import show_live_study, show_study, tuning_settings
from ui.widgets import experiment_picker, job_panel

SECTIONS = {
    "leaderboard": N_("Leaderboard"),
    "tune": N_("Tune"),
    "runs": N_("Runs"),
    "evaluate": N_("Evaluate"),
    "gate": N_("Gate"),
}

ws, project = page_setup(
    _("Train & compare"),
    ":material/model_training:",
    _("Several model families, each cross-validated on the same folds, then checked on rows they never saw."),
)
project = require_project(project)
pid = project["id"]
problem = get_problem(ws, pid)
fs = featurestore.latest_feature_set(ws, pid)
if problem is None or fs is None:
    st.info(_("Save a problem definition and a feature set first."))
    st.page_link(
        "pages/3_Features.py", label=_("Go to Features"), icon=":material/view_column:", query_params={"project": pid}
    )
    st.stop()

# The section lives in the URL too, so a refresh in front of the class comes back to the same place.
asked = st.query_params.get("section")
section = st.radio(
    _("Show"),
    list(SECTIONS),
    format_func=lambda s: _(SECTIONS[s]),
    horizontal=True,
    key="train_section",
    label_visibility="collapsed",
    index=list(SECTIONS).index(asked) if asked in SECTIONS else 0,
)
st.query_params["section"] = section
has_experiment = tracking.latest_experiment(ws, pid) is not None
cluster_settings(section)  # where the next training or tuning job runs
preselect_from_spec(ws, pid, problem, section)  # a project made from a spec: its training choices

if section == "leaderboard":
    job = train_settings(ws, pid, problem, fs["id"], expanded=not has_experiment)
    if job is not None:
        job_panel(ws, job["id"])
elif section == "tune":
    if not has_experiment:
        st.info(_("Train the leaderboard first: tuning starts from its best family and uses its validation."))
        st.stop()
    job = tuning_settings(ws, pid, problem, fs["id"])
    show_live_study(ws, pid, problem, job)
    if job is not None and job["status"] == "running":
        st.stop()  # the finished studies below would look like the running one
elif section == "runs":
    show_runs(ws, pid, problem)
    st.stop()

experiment = experiment_picker(ws, pid, key="train_experiment")
if experiment is None:
    st.stop()

if section == "leaderboard":
    show_leaderboard(ws, pid, experiment)
    show_gate(ws, pid, experiment)
elif section == "tune":
    show_study(ws, pid, experiment)
    show_leaderboard(ws, pid, experiment)
elif section == "evaluate":
    show_evaluation(ws, pid, experiment)
else:
    st.subheader(_("Gate: good enough to ship?"))
    show_gate(ws, pid, experiment)
    st.subheader(_("Register"))
    if register_form(ws, pid, experiment, key="train_register") is not None:
        st.page_link(
            "pages/6_Registry.py",
            label=_("See it in the registry"),
            icon=":material/inventory_2:",
            query_params={"project": pid},
        )
