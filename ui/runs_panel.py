"""Train & compare, runs section: every recorded run of the project to filter and sort, several runs
side by side (settings that differ highlighted, their scores), and a run re-trained from its record
to show that it reproduces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.evaluation.charts_checks import caption_run_folds, caption_run_scores, plot_run_folds, plot_run_scores
from core.glossary import column_label, validation_label
from core.i18n import _
from core.problem.definition import METRIC_LABELS, ProblemConfig, get_metric_label, is_higher_better
from core.stages import lab
from core.training import tracking
from core.training.tracking import EXPERIMENT_KINDS
from core.workspace import jobs
from ui.text import escape_markdown
from ui.widgets import chart, job_panel, option_labels


def show_runs(ws, project_id: int, problem: ProblemConfig) -> None:
    runs = tracking.get_runs_df(ws, project_id)
    if runs.empty:
        st.info(_("No run recorded yet: train the leaderboard first."))
        return
    label = get_metric_label(problem.metric)
    cv_header = _("CV {metric}").format(metric=label)
    f1, f2, f3 = st.columns(3)
    models = f1.multiselect(_("Model"), sorted(runs["model"].unique()), key="runs_models", placeholder=_("All models"))
    kinds = f2.multiselect(
        _("Made by"),
        sorted(runs["kind"].dropna().unique()),
        format_func=lambda k: _(EXPERIMENT_KINDS[k]) if k in EXPERIMENT_KINDS else k,
        key="runs_kinds",
        placeholder=_("Any session"),
    )
    metric_columns = [
        c
        for c in (
            "cv_score",
            "roc_auc",
            "pr_auc",
            "f1_macro",
            "accuracy",
            "balanced_accuracy",
            "r2",
            "rmse",
            "mae",
            "fit_seconds",
            "predict_ms_per_row",
        )
        if c in runs.columns
    ]
    sort_by = f3.selectbox(
        _("Sort by"),
        metric_columns,
        key="runs_sort",
        format_func=lambda c: cv_header if c == "cv_score" else _header(c),
    )
    shown = runs
    if models:
        shown = shown[shown["model"].isin(models)]
    if kinds:
        shown = shown[shown["kind"].isin(kinds)]
    best_first = is_higher_better(sort_by) if sort_by not in ("fit_seconds", "predict_ms_per_row") else False
    shown = shown.sort_values(sort_by, ascending=not best_first, na_position="last")
    table = shown.drop(columns=["key", "cv_folds"]).rename(columns={"cv_score": cv_header})
    if table["error"].isna().all():
        table = table.drop(columns=["error"])
    if "validation" in table:
        table["validation"] = table["validation"].map(lambda v: validation_label(v) if isinstance(v, str) else v)
    # Readable headers; the holdout scores say they are on unseen rows.
    headers = {c: _header(c) for c in table.columns}
    st.dataframe(table.rename(columns=headers), hide_index=True, width="stretch", key="runs_table")
    st.caption(
        _(
            "{shown} of {total} runs, each with its data version, feature set, validation and seed: "
            "everything needed to train it again. Click a column header to sort by it."
        ).format(shown=len(shown), total=len(runs))
    )

    ok = shown[shown["error"].isna()]
    labels = {
        int(r): _("run {run}: {model} (exp. {experiment})").format(run=r, model=m, experiment=e)
        for r, m, e in zip(ok["run"], ok["model"], ok["experiment"])
    }
    st.markdown(_("**Compare runs side by side**"))
    chosen = st.multiselect(
        _("Runs to compare"),
        list(labels),
        format_func=option_labels(labels),
        key="runs_compare",
        placeholder=_("Choose one or more"),
        default=list(labels)[:2] if len(labels) >= 2 else None,
        max_selections=6,
    )
    if len(chosen) >= 2:
        _compare(ws, runs, chosen, problem)
    st.markdown(_("**Reproduce a run**"))
    _rerun(ws, project_id, labels)


def _header(column: str) -> str:
    """A runs-table column as people read it; the holdout scores say they are on unseen rows."""
    if column in METRIC_LABELS:
        return _("holdout {metric}").format(metric=get_metric_label(column))
    if column == "fit_seconds":
        return _("fit seconds")
    if column == "rerun_of":
        return _("re-run of")
    return column_label(column)


def _highlight(differs: bool) -> str:
    return "background-color: #fde68a" if differs else ""  # i18n: skip (CSS)


def _compare(ws, runs: pd.DataFrame, chosen: list[int], problem: ProblemConfig) -> None:
    params = tracking.get_params_comparison_df(ws, chosen)
    params = params.iloc[np.argsort(~params["differs"].to_numpy(), kind="stable")]  # what differs first
    differs = params.pop("differs")
    if "validation" in params.index:  # the key ("time-split") as words ("time split")
        params = params.astype(object)
        params.loc["validation"] = [validation_label(v) if isinstance(v, str) else v for v in params.loc["validation"]]
    n_diff = int(differs.sum())
    st.dataframe(
        params.style.apply(lambda row: [_highlight(differs[row.name]) for _cell in row], axis=1),
        width="stretch",
        height=min(38 * (len(params) + 1), 600),
        key="runs_params",
    )
    st.caption(
        _(
            "{n} of {total} settings differ between these runs (highlighted); the rest are "
            "identical, so they cannot explain a difference in score."
        ).format(n=n_diff, total=len(params))
    )
    picked = runs[runs["run"].isin(chosen)].set_index("run").loc[chosen]
    chart(plot_run_scores(picked, problem.metric), caption_run_scores(picked, problem.metric), key="runs_compare_chart")
    chart(plot_run_folds(picked, problem.metric), caption_run_folds(picked), key="runs_folds_chart")


def _rerun(ws, project_id: int, labels: dict[int, str]) -> None:
    if not labels:
        return
    run_id = st.selectbox(
        _("Run to train again from its record"), list(labels), format_func=option_labels(labels), key="rerun_run"
    )
    job = jobs.latest_job(ws, project_id, "rerun")
    running = job is not None and job["status"] == "running"
    if st.button(_("Re-run it"), key="rerun", icon=":material/replay:", disabled=running):

        def work(progress):
            outcome = lab.stage_rerun(ws, project_id, int(run_id), progress=progress)
            return {
                "experiment_id": outcome["experiment"]["id"],
                "reproduced": outcome["reproduced"],
                "message": lab.describe_rerun(outcome),
            }

        jobs.start_job(ws, project_id, "rerun", work)
        st.rerun()
    if job is not None:
        job = job_panel(ws, job["id"])
        assert job is not None  # job_panel returns None only when given no job id
        if job["status"] == "succeeded" and job["result"]:
            (st.success if job["result"]["reproduced"] else st.warning)(escape_markdown(job["result"]["message"]))
