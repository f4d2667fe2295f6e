"""Train & compare, tuning section: pick a family, a search method, a budget and an editable search
space; the study runs as a job (a refresh or a page switch does not stop it), draws the best score
so far while it runs, and can be stopped, keeping the best trial found."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core.problem.definition import ProblemConfig
from core.problem.store import get_experiment_problem
from core.stages import lab
from core.training import tracking
from core.training.catalog import get_model_spec
from core.training.charts import (
    caption_best_so_far,
    caption_parallel_coordinates,
    plot_best_so_far,
    plot_parallel_coordinates,
)
from core.training.tuning import (
    KINDS,
    METHODS,
    Dimension,
    TuneConfig,
    default_search_space,
    get_trials_df,
    tunable_models,
    validate_tune_config,
)
from core.workspace import jobs
from ui.text import escape_markdown
from ui.widgets import chart, job_panel, readable_table, user_errors

SCALE_WORDS = {"int": "whole number", "float": "number", "log": "number, log scale", "choice": "one of a list"}


def _space_table(space: tuple[Dimension, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "setting": d.name,
                "what it is": d.label,
                "scale": d.kind,
                "lowest": d.low,
                "highest": d.high,
                "choices": ", ".join(map(str, d.choices)),
            }
            for d in space
        ]
    )


def _parse_choice(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(text.lower(), text)


def _space_from_table(table: pd.DataFrame) -> tuple[Dimension, ...]:
    dims = []
    for row in table.to_dict("records"):
        name = str(row.get("setting") or "").strip()
        if not name:
            continue
        kind = str(row.get("scale") or "").strip()
        choices = tuple(_parse_choice(c.strip()) for c in str(row.get("choices") or "").split(",") if c.strip())
        low, high = row.get("lowest"), row.get("highest")
        dims.append(
            Dimension(
                name,
                kind,
                None if _blank(low) else float(low),
                None if _blank(high) else float(high),
                choices if kind == "choice" else (),
                str(row.get("what it is") or name),
            )
        )
    return tuple(dims)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _default_family(ws, project_id: int, task: str) -> str:
    latest = tracking.latest_experiment(ws, project_id)
    families = tunable_models(task)
    if latest and latest.get("best_run_id"):
        key = tracking.get_run(ws, latest["best_run_id"])["model_key"]
        if key in families:
            return key
    return "hist_gb" if "hist_gb" in families else families[0]


def tuning_settings(ws, project_id: int, problem: ProblemConfig, feature_set_id: int) -> dict | None:
    families = tunable_models(problem.task)
    default = _default_family(ws, project_id, problem.task)
    job = jobs.latest_job(ws, project_id, "tune")
    running = job is not None and job["status"] == "running"  # the settings wait for the study to end
    c1, c2 = st.columns(2)
    family = c1.selectbox(
        "Model family to tune",
        families,
        index=families.index(default),
        format_func=lambda k: get_model_spec(problem.task, k).name,
        key="tune_family",
        disabled=running,
        help="Starts from the best family of the latest leaderboard.",
    )
    method = c2.radio(
        "Search method",
        list(METHODS),
        format_func=METHODS.get,
        key="tune_method",
        index=2,
        disabled=running,
        help="Grid tries every combination of a few values; random draws settings at "
        "random; Bayesian optimisation learns from past trials where to look next.",
    )
    b1, b2, b3 = st.columns(3)
    max_trials = b1.number_input("Budget: trials", 1, 500, 20, key="tune_trials", disabled=running)
    max_seconds = b2.number_input(
        "Budget: seconds (0 = no limit)",
        0,
        3600,
        120,
        10,
        key="tune_seconds",
        disabled=running,
        help="No new trial starts after this time; the running one finishes.",
    )
    grid_points = b3.slider(
        "Grid: values per number setting", 2, 6, 3, key="tune_grid_points", disabled=running or method != "grid"
    )
    st.markdown("**Search space** — edit the ranges, remove a row to keep that setting at its default")
    edited = st.data_editor(
        _space_table(default_search_space(problem.task, family)),
        key=f"tune_space_{family}",
        hide_index=True,
        num_rows="dynamic",
        width="stretch",
        disabled=running,
        column_config={
            "scale": st.column_config.SelectboxColumn(
                "scale", options=list(KINDS), required=True, help=", ".join(f"{k}: {v}" for k, v in SCALE_WORDS.items())
            ),
            "lowest": st.column_config.NumberColumn("lowest", format="%g"),
            "highest": st.column_config.NumberColumn("highest", format="%g"),
        },
    )
    st.caption(
        "Each trial cross-validates one combination of these settings on the same folds as the "
        "leaderboard; the best trial is then refit on all training rows and checked once on the holdout."
    )
    s1, s2 = st.columns([1, 3])
    if s1.button("Start tuning", key="tune_start", type="primary", disabled=running):
        with user_errors():
            config = TuneConfig(
                model=family,
                method=method,
                space=_space_from_table(edited),
                max_trials=int(max_trials),
                max_seconds=float(max_seconds) or None,
                grid_points=int(grid_points),
            )
            validate_tune_config(config, problem.task)
            _start(ws, project_id, feature_set_id, config)
            st.rerun()
    if running and s2.button("Stop, keep the best so far", key="tune_stop", icon=":material/stop_circle:"):
        assert job is not None  # running means there is a job
        jobs.request_stop(ws, job["id"])
        st.rerun()
    return job


def _start(ws, project_id: int, feature_set_id: int, config: TuneConfig) -> None:
    # Validated like the latest experiment (folds, seed, its test rows), so the scores compare.
    train_config, test_df = lab.training_setup_like(ws, tracking.latest_experiment(ws, project_id), feature_set_id)

    def work(progress):
        out = lab.stage_tune(
            ws,
            project_id,
            feature_set_id,
            config,
            train_config,
            test_df=test_df,
            progress=progress,
            should_stop=progress.should_stop,
            job_id=progress.job_id,
        )
        return {"experiment_id": out["experiment"]["id"], "study_id": out["study_id"], "message": out["summary"]}

    jobs.start_job(ws, project_id, "tune", work)


def _draw_study(study: dict, problem: ProblemConfig, key: str) -> None:
    trials = get_trials_df(study["trials"], problem.metric)
    default = study.get("default_cv_score")
    chart(
        plot_best_so_far(trials, problem.metric, default),
        caption_best_so_far(trials, problem.metric, default),
        key=f"{key}_best",
    )


def show_live_study(ws, project_id: int, problem: ProblemConfig, job: dict | None) -> None:
    """Progress and the best-so-far chart while the study runs; its outcome once it ended. A study
    whose process stopped before it finished (a restarted server, a killed CLI run) says so."""
    latest = lab.latest_study(ws, project_id)
    if latest is not None and latest["status"] == "interrupted":
        st.warning(
            f"Tuning study {latest['id']} ({METHODS[latest['config'].method]} of "
            f"{get_model_spec(problem.task, latest['config'].model).name}) was interrupted after "
            f"{len(latest['trials'])} trial(s): the process running it stopped before it finished. Its trials "
            "so far are shown; start a new study to carry on.",
            icon=":material/block:",
        )
        if latest["trials"]:
            _draw_study(latest, problem, key=f"study_{latest['id']}_interrupted")
    if job is None:
        return

    def live(_job):
        study = lab.latest_study(ws, project_id)
        if study is not None and study["trials"]:
            _draw_study(study, problem, key="tune_live")

    if job["status"] == "running":
        study = lab.latest_study(ws, project_id)
        if study is not None and study["status"] == "running":
            config = study["config"]
            st.info(
                f"Running: {METHODS[config.method]} of "
                f"{get_model_spec(problem.task, config.model).name}, up to {config.max_trials} trials"
                + (f" or {config.max_seconds:g} s" if config.max_seconds else "")
                + ".",
                icon=":material/tune:",
            )
    job_panel(ws, job["id"], while_running=live)


def show_study(ws, project_id: int, experiment: dict) -> None:
    """A finished study: best so far, parallel coordinates, every trial."""
    study = lab.study_for_experiment(ws, experiment["id"])
    if study is None:
        return
    problem = get_experiment_problem(experiment)
    st.subheader(
        f"Tuning study — {METHODS[study['config'].method]} of "
        f"{get_model_spec(problem.task, study['config'].model).name}"
    )
    if study["summary"]:
        st.info(escape_markdown(study["summary"]), icon=":material/tune:")
    _draw_study(study, problem, key=f"study_{study['id']}")
    trials = get_trials_df(study["trials"], problem.metric)
    dims = [d.name for d in study["config"].space if d.name in trials.columns]
    if len(trials.dropna(subset=["cv_score"])) >= 2 and dims:
        logs = tuple(d.name for d in study["config"].space if d.kind == "log")
        chart(
            plot_parallel_coordinates(trials, problem.metric, dims, logs),
            caption_parallel_coordinates(trials, problem.metric, dims),
            key=f"study_{study['id']}_parallel",
        )
    with st.expander(f"All {len(trials)} trials"):
        readable_table(trials, width="stretch")
        st.caption(
            "Every trial's settings and its score averaged over the cross-validation folds; best so far "
            "is the best score reached up to that trial."
        )
