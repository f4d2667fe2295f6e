"""Train & compare: the model catalog under cross-validation, a leaderboard, holdout evaluation and
the go/no-go gate. Training runs as a background job, so a page switch does not stop it."""
import json

import numpy as np
import streamlit as st

from core import featurestore, jobs, pipeline, projects, tracking
from core.evaluation import caption_confusion, caption_leaderboard, caption_residuals, caption_roc, \
    get_confusion_df, get_residuals_df, get_roc_df, plot_confusion, plot_leaderboard, plot_residuals, plot_roc
from core.models import get_catalog
from core.problem import ProblemConfig, encode_target, get_metric_label
from core.training import TrainConfig
from ui.frame import page_setup, require_project
from ui.widgets import chart, experiment_picker, job_panel, user_errors

ws, project = page_setup("Train & compare", ":material/model_training:",
                         "Several model families, each cross-validated on the same folds, then checked on "
                         "rows they never saw.")
project = require_project(project)
pid = project["id"]
problem = projects.get_problem(ws, pid)
fs = featurestore.latest_feature_set(ws, pid)
if problem is None or fs is None:
    st.info("Save a problem definition and a feature set first.")
    st.page_link("pages/3_Features.py", label="Go to Features", icon=":material/view_column:", query_params={"project": pid})
    st.stop()

catalog = get_catalog(problem.task)
with st.expander("Training settings", expanded=tracking.latest_experiment(ws, pid) is None):
    names = {m.key: m.name for m in catalog}
    defaults = [m.key for m in get_catalog(problem.task, default_only=True)]
    chosen = st.multiselect("Model families", list(names), default=defaults, format_func=names.get,
                            key="models", help="The baseline is always trained: the score any model must beat. "
                                               "Slow families (k-nearest neighbours on big tables) are opt-in.")
    for spec in catalog:
        st.caption(f"**{spec.name}** — {spec.description}")
    c1, c2 = st.columns(2)
    folds = c1.slider("Cross-validation folds", 3, 10, 5, key="folds")
    test_size = c2.slider("Share of rows held out for the final check", 0.1, 0.4, 0.2, 0.05, key="test_size")

job = jobs.latest_job(ws, pid, "train")
running = job is not None and job["status"] == "running"
if st.button("Train and compare", key="train", type="primary", disabled=running):
    models = tuple(dict.fromkeys(["baseline", *chosen]))
    config = TrainConfig(models=models, cv_folds=folds, test_size=test_size)
    fs_id = fs["id"]

    def work(progress):
        out = pipeline.stage_train(ws, pid, fs_id, config, progress=progress)
        return {"experiment_id": out["experiment"]["id"]}

    jobs.start_job(ws, pid, "train", work)
    st.rerun()
if job is not None:
    job_panel(ws, job["id"])

experiment = experiment_picker(ws, pid, key="train_experiment")
if experiment is None:
    st.stop()

# -- Leaderboard --------------------------------------------------------------------------------------
problem = ProblemConfig.from_dict(json.loads(experiment["problem_json"]))
runs = tracking.get_runs_df(ws, pid, experiment["id"])
metric_label = get_metric_label(problem.metric)
st.subheader(f"Leaderboard — experiment {experiment['id']} ({experiment['validation']})")
board = runs.drop(columns=["experiment", "key", "cv_folds"]).rename(columns={"cv_score": f"CV {metric_label}"})
if board["error"].isna().all():
    board = board.drop(columns=["error"])
st.dataframe(board, hide_index=True, width="stretch")
st.caption(f"CV {metric_label} is the average over the cross-validation folds; the other columns are measured on "
           "the held-out rows. The best model is chosen by the CV score, never by the holdout.")
chart(plot_leaderboard(runs, problem.metric), caption_leaderboard(runs, problem.metric), key="leaderboard_chart")

# -- Gate -------------------------------------------------------------------------------------------
gate = json.loads(experiment["gate_json"] or "{}")
st.subheader("Gate: good enough to ship?")
verdict = "GO ✅" if gate.get("passed") else "NO-GO ❌"
g1, g2, g3 = st.columns(3)
g1.metric("Verdict", verdict)
g2.metric(f"Holdout {metric_label}", f"{gate.get('value', float('nan')):.3f}")
g3.metric("Threshold", f"{gate.get('threshold', float('nan')):g}")
for check in gate.get("checks", []):
    (st.success if check["passed"] else st.error)(check["sentence"])
if gate.get("passed"):
    st.page_link("pages/6_Registry.py", label="Next: register the winner", icon=":material/inventory_2:", query_params={"project": pid})
else:
    st.info("Not good enough yet: try other features or settings and train again (or override on the "
            "Registry page with a written reason).")

# -- Evaluation of one run ----------------------------------------------------------------------------
st.subheader("Look closer at one model")
ok_runs = runs[runs["error"].isna()] if "error" in runs else runs
labels = dict(zip(ok_runs["run"], ok_runs["model"]))
run_id = st.selectbox("Model", list(labels), format_func=labels.get, key=f"eval_run_{experiment['id']}",
                      index=list(labels).index(experiment["best_run_id"]) if experiment["best_run_id"] in labels else 0)
with user_errors():
    preds = tracking.load_run_predictions(ws, run_id)
    holdout = tracking.load_holdout(ws, experiment)
    y_raw = holdout[problem.target]
    if problem.task == "regression":
        res = get_residuals_df(y_raw.astype(float).to_numpy(), preds["score"].to_numpy())
        chart(plot_residuals(res), caption_residuals(res), key="residuals")
    else:
        c1, c2 = st.columns(2)
        if problem.task == "binary":
            y = encode_target(y_raw, problem)
            roc = get_roc_df(y, preds["score"].to_numpy())
            from sklearn.metrics import roc_auc_score
            with c1:
                auc = float(roc_auc_score(y, preds["score"])) if len(np.unique(y)) > 1 else float("nan")
                chart(plot_roc(roc, auc), caption_roc(auc), key="roc")
            classes = pipeline.get_class_labels(holdout, problem)
            y_pred = np.where(preds["score"].to_numpy() >= 0.5, classes[1], classes[0])
            truth = np.where(y == 1, classes[1], classes[0])
            positive = classes[1]
        else:
            truth, y_pred = y_raw.astype(str).to_numpy(), preds["pred"].astype(str).to_numpy()
            classes, positive = sorted(set(truth) | set(y_pred)), None
        with c2:
            cm = get_confusion_df(truth, y_pred, classes)
            chart(plot_confusion(cm), caption_confusion(cm, positive), key="confusion")
