"""Train & compare, first section: the training settings (families, validation, class weights) and
the leaderboard of an experiment, with the validation warnings that say when a score flatters."""

from __future__ import annotations

import streamlit as st

from core import pipeline
from core.evaluation.charts import caption_leaderboard, plot_leaderboard
from core.i18n import N_, _
from core.problem.definition import ProblemConfig, get_metric_label
from core.problem.store import get_experiment_problem
from core.training import tracking
from core.training.catalog import get_catalog
from core.training.config import VALIDATIONS, TrainConfig
from core.training.splits import resolve_validation
from core.workspace import jobs
from ui.text import escape_markdown
from ui.widgets import chart, option_labels, readable_table

VALIDATION_WORDS = {
    "auto": N_("Automatic (fits the data)"),
    "stratified-kfold": N_("Stratified k-fold (each fold keeps the class mix)"),
    "kfold": N_("k-fold (random folds)"),
    "time-split": N_("Time split (train on the past, test on the latest rows)"),
    "group-kfold": N_("Group k-fold (an entity never on both sides)"),
}


def _validation_words(key: str) -> str:
    return _(VALIDATION_WORDS[key]) if key in VALIDATION_WORDS else key


def train_settings(ws, project_id: int, problem: ProblemConfig, feature_set_id: int, expanded: bool) -> dict | None:
    catalog = get_catalog(problem.task)
    with st.expander(_("Training settings"), expanded=expanded):
        names = {m.key: _(m.name) for m in catalog}
        defaults = [m.key for m in get_catalog(problem.task, default_only=True)]
        chosen = st.multiselect(
            _("Model families"),
            list(names),
            default=defaults,
            format_func=option_labels(names),
            key="models",
            placeholder=_("Choose one or more"),
            help=_(
                "The baseline is always trained: the score any model must beat. "
                "Slow families (k-nearest neighbours on big tables) are opt-in."
            ),
        )
        for spec in catalog:
            st.caption(_("**{name}** — {description}").format(name=_(spec.name), description=_(spec.description)))
        c1, c2 = st.columns(2)
        folds = c1.slider(_("Cross-validation folds"), 3, 10, 5, key="folds")
        test_size = c2.slider(_("Share of rows held out for the final check"), 0.1, 0.4, 0.2, 0.05, key="test_size")
        options = [v for v in VALIDATIONS if validation_applies(v, problem)]
        validation = c1.selectbox(
            _("Validation"),
            options,
            format_func=_validation_words,
            key="validation",
            help=_(
                "Automatic picks a time split when the problem has a time column, group "
                "k-fold when it has a group column, else stratified k-fold."
            ),
        )
        if validation == "auto":
            c1.caption(
                _("Here: {validation}.").format(
                    validation=_validation_words(resolve_validation(problem, TrainConfig())).lower()
                )
            )
        class_weight = None
        if problem.family == "classification":
            balanced = c2.toggle(
                _("Balance the classes (class weights)"),
                key="class_weight",
                help=_(
                    "Rare classes count more in training, so the model does not ignore them. "
                    "Predicted probabilities then overstate the rare class."
                ),
            )
            class_weight = "balanced" if balanced else None
        seed = c2.number_input(
            _("Random seed"),
            0,
            2**31 - 1,
            42,
            key="train_seed",
            help=_("The same seed gives the same folds and the same leaderboard."),
        )

    job = jobs.latest_job(ws, project_id, "train")
    running = job is not None and job["status"] == "running"
    if st.button(_("Train and compare"), key="train", type="primary", disabled=running):
        config = TrainConfig(
            models=tuple(dict.fromkeys(["baseline", *chosen])),
            cv_folds=folds,
            test_size=test_size,
            validation=validation,
            class_weight=class_weight,
            seed=int(seed),
        )

        def work(progress):
            out = pipeline.stage_train(ws, project_id, feature_set_id, config, progress=progress)
            return {"experiment_id": out["experiment"]["id"]}

        jobs.start_job(ws, project_id, "train", work)
        st.rerun()
    return job


def validation_applies(validation: str, problem: ProblemConfig) -> bool:
    if validation == "time-split":
        return problem.time_column is not None
    if validation == "stratified-kfold":
        return problem.family == "classification"
    return True


def show_leaderboard(ws, project_id: int, experiment: dict) -> None:
    problem = get_experiment_problem(experiment)
    runs = tracking.get_runs_df(ws, project_id, experiment["id"])
    metric_label = get_metric_label(problem.metric)
    validation = _validation_words(experiment["validation"])
    st.subheader(_("Leaderboard — experiment {id}").format(id=experiment["id"]))
    st.caption(_("Validated with: {validation}.").format(validation=validation.lower()))
    for warning in tracking.get_experiment_warnings(experiment):
        st.warning(escape_markdown(warning), icon=":material/warning:")
    shown = [
        "model",
        "cv_score",
        *[
            c
            for c in ("roc_auc", "pr_auc", "f1_macro", "accuracy", "balanced_accuracy", "r2", "rmse", "mae")
            if c in runs.columns
        ],
        "fit_seconds",
        "predict_ms_per_row",
        "error",
    ]
    cv_header = _("CV {metric}").format(metric=metric_label)
    board = runs[[c for c in shown if c in runs.columns]].rename(columns={"cv_score": cv_header})
    board["model"] = board["model"].astype(str).map(_)  # family names as the catalog says them
    if board["error"].isna().all():
        board = board.drop(columns=["error"])
    readable_table(board, width="stretch")
    st.caption(
        _(
            "{cv} is the average over the cross-validation folds; the other columns are measured "
            "on the held-out rows. The best model is chosen by the CV score, never by the holdout."
        ).format(cv=cv_header)
    )
    chart(
        plot_leaderboard(runs, problem.metric),
        caption_leaderboard(runs, problem.metric),
        key=f"leaderboard_chart_{experiment['id']}",
    )
