"""Train & compare, tuning section: pick a family, a search method, a budget and an editable search
space; the study runs as a job (a refresh or a page switch does not stop it), draws the best score
so far while it runs, and can be stopped, keeping the best trial found."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core.formatting import format_as
from core.i18n import N_, _, ngettext
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

WHAT_COLUMN = "what it is"  # i18n: skip (the column's key; its header is translated)
SCALE_WORDS = {
    "int": N_("whole number"),
    "float": N_("number"),
    "log": N_("number, log scale"),
    "choice": N_("one of a list"),
}


def _method(code: str) -> str:
    return _(METHODS[code]) if code in METHODS else code


def _family(problem: ProblemConfig, key: str) -> str:
    return _(get_model_spec(problem.task, key).name)


def _space_table(space: tuple[Dimension, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "setting": d.name,
                WHAT_COLUMN: _(d.label) if d.label else d.name,
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
                str(row.get(WHAT_COLUMN) or name),
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
        _("Model family to tune"),
        families,
        index=families.index(default),
        format_func=lambda k: _family(problem, k),
        key="tune_family",
        disabled=running,
        help=_("Starts from the best family of the latest leaderboard."),
    )
    method = c2.radio(
        _("Search method"),
        list(METHODS),
        format_func=_method,
        key="tune_method",
        index=2,
        disabled=running,
        help=_(
            "Grid tries every combination of a few values; random draws settings at "
            "random; Bayesian optimisation learns from past trials where to look next."
        ),
    )
    b1, b2, b3 = st.columns(3)
    max_trials = b1.number_input(_("Budget: trials"), 1, 500, 20, key="tune_trials", disabled=running)
    max_seconds = b2.number_input(
        _("Budget: seconds (0 = no limit)"),
        0,
        3600,
        120,
        10,
        key="tune_seconds",
        disabled=running,
        help=_("No new trial starts after this time; the running one finishes."),
    )
    grid_points = b3.slider(
        _("Grid: values per number setting"), 2, 6, 3, key="tune_grid_points", disabled=running or method != "grid"
    )
    st.markdown(_("**Search space** — edit the ranges, remove a row to keep that setting at its default"))
    edited = st.data_editor(
        _space_table(default_search_space(problem.task, family)),
        key=f"tune_space_{family}",
        hide_index=True,
        num_rows="dynamic",
        width="stretch",
        disabled=running,
        column_config={
            "setting": st.column_config.TextColumn(_("setting")),
            WHAT_COLUMN: st.column_config.TextColumn(_("what it is")),
            "scale": st.column_config.SelectboxColumn(
                _("scale"),
                options=list(KINDS),
                required=True,
                help=", ".join(_("{code}: {meaning}").format(code=k, meaning=_(v)) for k, v in SCALE_WORDS.items()),
            ),
            "lowest": st.column_config.NumberColumn(_("lowest"), format="%g"),
            "highest": st.column_config.NumberColumn(_("highest"), format="%g"),
            "choices": st.column_config.TextColumn(_("choices")),
        },
    )
    st.caption(
        _(
            "Each trial cross-validates one combination of these settings on the same folds as the "
            "leaderboard; the best trial is then refit on all training rows and checked once on the holdout."
        )
    )
    s1, s2 = st.columns([1, 3])
    if s1.button(_("Start tuning"), key="tune_start", type="primary", disabled=running):
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
    if running and s2.button(_("Stop, keep the best so far"), key="tune_stop", icon=":material/stop_circle:"):
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
            ngettext(
                "Tuning study {id} ({method} of {family}) was interrupted after {n} trial: the process "
                "running it stopped before it finished. Its trials so far are shown; start a new study to carry on.",
                "Tuning study {id} ({method} of {family}) was interrupted after {n} trials: the process "
                "running it stopped before it finished. Its trials so far are shown; start a new study to carry on.",
                len(latest["trials"]),
            ).format(
                id=latest["id"],
                method=_method(latest["config"].method),
                family=_family(problem, latest["config"].model),
                n=len(latest["trials"]),
            ),
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
            method, family = _method(config.method), _family(problem, config.model)
            st.info(
                (
                    _("Running: {method} of {family}, up to {trials} trials or {seconds} s.").format(
                        method=method,
                        family=family,
                        trials=config.max_trials,
                        seconds=format_as(config.max_seconds, "g"),
                    )
                    if config.max_seconds
                    else _("Running: {method} of {family}, up to {trials} trials.").format(
                        method=method, family=family, trials=config.max_trials
                    )
                ),
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
        _("Tuning study — {method} of {family}").format(
            method=_method(study["config"].method), family=_family(problem, study["config"].model)
        )
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
    with st.expander(_("All {n} trials").format(n=len(trials))):
        readable_table(trials, width="stretch")
        st.caption(
            _(
                "Every trial's settings and its score averaged over the cross-validation folds; best so far "
                "is the best score reached up to that trial."
            )
        )
