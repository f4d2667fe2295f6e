"""The whole loop, and the one place the pages, the "Run full demo" button and the CLI take the
pipeline's stages from (core.stages holds them), so there is one code path:

Data → clean → problem → features → train → gate → explain → register → deploy → monitor (→ retrain).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core import registry
from core.data import datasets
from core.data.cleaning import CleaningRecipe, apply_recipe
from core.data.reader import ReadInfo, read_path
from core.deployment.routing import RoutingConfig
from core.features.featurestore import latest_feature_set
from core.i18n import N_, _
from core.monitoring.performance import get_performance_records
from core.monitoring.reports import MonitoringReport
from core.monitoring.retraining import get_retraining
from core.monitoring.simulation import TrafficConfig
from core.monitoring.system import get_system_records
from core.problem.definition import ProblemConfig, suggest_problem, validate_problem
from core.security.masking import pii_key_scope
from core.stages.arms import ArmsReport, stage_arms  # noqa: F401

# Every stage, handed on: pages and the CLI write pipeline.stage_x (one import place).
from core.stages.data import (  # noqa: F401
    DEFAULT_SAMPLE,
    SAMPLE_DIR,
    SAMPLES,
    require_cleaned,
    stage_clean,
    stage_features,
    stage_ingest,
    stage_problem,
)
from core.stages.evaluate import (  # noqa: F401
    get_saved_robustness,
    stage_compare_top_two,
    stage_robustness,
)
from core.stages.explain import get_top_features, stage_explain  # noqa: F401
from core.stages.lab import (  # noqa: F401
    latest_study,
    require_problem,
    stage_rerun,
    stage_train,
    stage_tune,
    summarize_study,
)
from core.stages.operate import (  # noqa: F401
    describe_watch,
    get_monitoring_verdict,
    get_request_examples,
    get_watched_version,
    latest_monitoring,
    stage_monitor,
    stage_retrain,
)
from core.stages.release import (  # noqa: F401
    describe_champion_not_served,
    describe_model_switch,
    get_class_labels,
    model_name_for,
    model_name_for_experiment,
    model_name_for_problem,
    redeploy_if_live,
    stage_carry_out_request,
    stage_deploy,
    stage_promote,
    stage_promote_verdict,
    stage_register,
    stage_rollback,
    suggest_decision_threshold,
)
from core.stages.rollout import (  # noqa: F401
    register_bad_challenger,
    stage_check_live,
    stage_promote_shadow,
    stage_rollout,
)
from core.training.config import TrainConfig
from core.training.results import TrainResult
from core.training.tracking import latest_experiment
from core.training.tuning import TuneConfig
from core.workspace import projects
from core.workspace.actor import acting_as, automatic
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.progress import Progress, no_progress, scaled_progress

DEMO_SCENARIO = "sudden"
# A churner who leaves costs about a year of margin; a retention offer costs a discount.
DEMO_COSTS = (500.0, 50.0)
DEMO_TIME_COLUMN = "signup_date"
DEMO_PROJECT_NAME = "Churn demo"
GUIDED_PROJECT_NAME = N_("Churn demo, step by step")  # translated when the project is made


# -- The whole loop ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PipelineConfig:
    target: str
    project_name: str
    scenario: str = "none"
    cv_folds: int = 5
    seed: int = 42
    retrain_when_recommended: bool = False
    tune: str | None = None  # grid | random | bayes: a tuning study of the leaderboard's best family
    tune_budget: int = 20  # trials
    costs: tuple[float, float] | None = None  # binary: (missed positive, false alarm), for the threshold
    time_column: str | None = None  # evaluate on the latest rows (a time split) instead of a random split
    windows: int = 6
    rows_per_window: int = 500
    label_delay: int = 0  # windows before a window's labels arrive (the last ones have none yet)
    label_share: float = 1.0  # share of the rows whose label ever arrives


def _cost_fields(costs: tuple[float, float] | None) -> dict[str, float]:
    return {} if costs is None else {"cost_false_negative": float(costs[0]), "cost_false_positive": float(costs[1])}


def _as_pipeline(work: Callable[[], Any]) -> Any:
    """Run ``work`` as the studio pipeline (an automatic actor, on behalf of whoever started the run):
    the pipeline names a new model's first champion itself, so the audit log says so."""
    with acting_as(automatic("studio pipeline")):
        return work()


# -- The steps -------------------------------------------------------------------------------------
@dataclass
class PipelineRun:
    """What a run's steps hand on to one another. A step run alone (the guided demo, one step a click)
    finds what the earlier steps made in the project instead (the ``_need_*`` helpers)."""

    ws: Workspace
    pid: int
    config: PipelineConfig
    df: pd.DataFrame
    info: ReadInfo | None
    source_name: str
    recipe: CleaningRecipe | None = None
    test_df: pd.DataFrame | None = None
    progress: Progress = no_progress
    raw_id: int | None = None
    cleaned: dict[str, Any] | None = None  # stage_clean's result, when this run cleaned
    problem: ProblemConfig | None = None
    clean_test: pd.DataFrame | None = None
    fs_id: int | None = None
    trained: dict[str, Any] | None = None  # stage_train's (or stage_tune's) result, when this run trained
    tuning: dict[str, Any] | None = None
    version: dict[str, Any] | None = None
    monitored: dict[str, Any] | None = None
    retrained: dict[str, Any] | None = None
    train_config: TrainConfig | None = None  # a pipeline spec's training settings (None: the config's folds and seed)


def _missing(what: str) -> NotFoundError:
    return NotFoundError(
        _("This project has no {what} yet: run the earlier steps of the pipeline first.").format(what=_(what))
    )


def _need_raw_id(run: PipelineRun) -> int:
    if run.raw_id is None:
        raw = datasets.latest_dataset(run.ws, run.pid, "raw")
        if raw is None:
            raise _missing(N_("raw data"))
        run.raw_id = raw["id"]
    return run.raw_id


def _need_dataset(run: PipelineRun) -> dict[str, Any]:
    if run.cleaned is not None:
        return run.cleaned["dataset"]
    dataset = datasets.latest_dataset(run.ws, run.pid, "cleaned")
    if dataset is None:
        raise _missing(N_("cleaned data"))
    return dataset


def _need_problem(run: PipelineRun) -> ProblemConfig:
    if run.problem is None:
        run.problem = require_problem(run.ws, run.pid)
    return run.problem


def _need_fs_id(run: PipelineRun) -> int:
    if run.fs_id is None:
        fs = latest_feature_set(run.ws, run.pid)
        if fs is None:
            raise _missing(N_("feature set"))
        run.fs_id = fs["id"]
    return run.fs_id


def _need_experiment(run: PipelineRun) -> tuple[int, bool]:
    """The best run of the latest training and whether it passed the gate."""
    if run.trained is not None:
        return run.trained["experiment"]["best_run_id"], run.trained["gate"].passed
    experiment = latest_experiment(run.ws, run.pid)
    if experiment is None or experiment["best_run_id"] is None:
        raise _missing(N_("trained model"))
    return experiment["best_run_id"], bool(json.loads(experiment["gate_json"] or "{}").get("passed"))


def _need_report(run: PipelineRun) -> tuple[int, bool]:
    """The latest monitoring report and whether it recommends retraining."""
    if run.monitored is not None:
        return run.monitored["id"], run.monitored["report"].retrain_recommended
    latest = latest_monitoring(run.ws, run.pid)
    if latest is None:
        raise _missing(N_("monitoring report"))
    return latest["id"], latest["report"].retrain_recommended


def _train_config(run: PipelineRun) -> TrainConfig:
    if run.train_config is not None:
        return run.train_config
    return TrainConfig(cv_folds=run.config.cv_folds, seed=run.config.seed)


def _step_data(run: PipelineRun) -> None:
    run.raw_id = stage_ingest(run.ws, run.pid, run.df, run.info, run.source_name)["id"]


def _step_clean(run: PipelineRun) -> None:
    run.cleaned = stage_clean(run.ws, run.pid, _need_raw_id(run), run.recipe, target=run.config.target)


def _step_problem(run: PipelineRun) -> None:
    config = run.config
    run.problem = stage_problem(
        run.ws,
        run.pid,
        _need_dataset(run)["id"],
        config.target,
        **_cost_fields(config.costs),
        **({"time_column": config.time_column} if config.time_column else {}),
    )


def _step_features(run: PipelineRun) -> None:
    run.fs_id = stage_features(run.ws, run.pid, _need_dataset(run)["id"])["id"]


def _step_train(run: PipelineRun) -> None:
    problem = _need_problem(run)
    if run.test_df is not None:
        recipe = datasets.load_recipe(run.ws, _need_dataset(run)["recipe_id"])
        with pii_key_scope(run.ws.root):
            run.clean_test = apply_recipe(run.test_df, recipe, training=False)[0].dropna(subset=[problem.target])
    run.trained = stage_train(
        run.ws,
        run.pid,
        _need_fs_id(run),
        _train_config(run),
        test_df=run.clean_test,
        progress=scaled_progress(run.progress, 0.12, 0.6),
    )


def _step_tune(run: PipelineRun) -> None:
    assert run.trained is not None and run.config.tune  # only a whole run tunes, right after training
    best = run.trained["result"].best
    if best.is_baseline:
        raise ConfigError(
            _(
                "No model beat the baseline on the leaderboard, so there is no family worth tuning; "
                "check the target and the features first."
            )
        )
    tune = TuneConfig(model=best.key, method=run.config.tune, max_trials=run.config.tune_budget)
    run.trained = stage_tune(run.ws, run.pid, _need_fs_id(run), tune, _train_config(run), test_df=run.clean_test)
    run.tuning = summarize_study(run.trained)


def _step_explain(run: PipelineRun) -> None:
    stage_explain(run.ws, run.pid, _need_experiment(run)[0])


def _step_register(run: PipelineRun) -> None:
    best_run_id, passed = _need_experiment(run)
    reason = "" if passed else "Demo/CLI run: registered although the gate failed, so the loop can be shown."
    run.version = _as_pipeline(
        lambda: stage_register(run.ws, run.pid, best_run_id, alias="champion", override_reason=reason)
    )


def _step_deploy(run: PipelineRun) -> None:
    stage_deploy(run.ws, run.pid, RoutingConfig("single"))


def _traffic(config: PipelineConfig) -> TrafficConfig:
    return TrafficConfig(
        scenario=config.scenario,
        windows=config.windows,
        rows_per_window=config.rows_per_window,
        seed=config.seed,
        label_delay=config.label_delay,
        label_share=config.label_share,
    ).validate()


def _step_monitor(run: PipelineRun) -> None:
    run.monitored = stage_monitor(run.ws, run.pid, _traffic(run.config))


def _step_retrain(run: PipelineRun) -> None:
    report_id = _need_report(run)[0]
    run.retrained = stage_retrain(run.ws, run.pid, report_id, progress=scaled_progress(run.progress, 0.85, 1.0))


def _retrain_applies(run: PipelineRun) -> bool:
    return run.config.retrain_when_recommended and _need_report(run)[1]


def _status_done(stage: str) -> Callable[[Workspace, int], bool]:
    return lambda ws, pid: projects.get_stage_status(ws, pid)[stage]


def _raw_done(ws: Workspace, pid: int) -> bool:
    return datasets.latest_dataset(ws, pid, "raw") is not None


def _retrain_done(ws: Workspace, pid: int) -> bool:
    report = ws.query_one("SELECT id FROM monitoring_reports WHERE project_id = ? ORDER BY id DESC LIMIT 1", (pid,))
    return report is not None and get_retraining(ws, report["id"]) is not None


@dataclass(frozen=True)
class PipelineStep:
    """One stage of the loop: its key (a ``timings`` key of the summary and the name a build records),
    the share of the progress bar it spans, what the progress bar says, the work, and how to tell from
    the workspace that it has been done in a project."""

    key: str
    start: float
    end: float
    message: str  # N_: translated where shown
    work: Callable[[PipelineRun], None]
    is_done: Callable[[Workspace, int], bool]
    applies: Callable[[PipelineRun], bool] = lambda run: True


STEPS: tuple[PipelineStep, ...] = (
    PipelineStep("data", 0.0, 0.03, N_("Saving the raw data"), _step_data, _raw_done),
    PipelineStep("clean", 0.03, 0.08, N_("Cleaning the data"), _step_clean, _status_done("data")),
    PipelineStep("problem", 0.08, 0.1, N_("Defining the problem"), _step_problem, _status_done("problem")),
    PipelineStep("features", 0.1, 0.12, N_("Building the feature set"), _step_features, _status_done("features")),
    PipelineStep("train", 0.12, 0.6, N_("Training and comparing models"), _step_train, _status_done("train")),
    PipelineStep(
        "tune",
        0.6,
        0.62,
        N_("Tuning {model}"),
        _step_tune,
        lambda ws, pid: latest_study(ws, pid) is not None,
        applies=lambda run: bool(run.config.tune),
    ),
    PipelineStep("explain", 0.6, 0.7, N_("Explaining the best model"), _step_explain, _status_done("explain")),
    PipelineStep("register", 0.7, 0.72, N_("Registering the champion"), _step_register, _status_done("registry")),
    PipelineStep("deploy", 0.72, 0.75, N_("Deploying"), _step_deploy, _status_done("deploy")),
    PipelineStep("monitor", 0.75, 0.85, N_("Simulating production traffic"), _step_monitor, _status_done("monitor")),
    PipelineStep(
        "retrain",
        0.85,
        1.0,
        N_("Retraining on fresh data"),
        _step_retrain,
        _retrain_done,
        applies=_retrain_applies,
    ),
)
STEP_KEYS = tuple(step.key for step in STEPS)


def get_step(key: str) -> PipelineStep:
    for step in STEPS:
        if step.key == key:
            return step
    raise KeyError(key)


def _step_message(step: PipelineStep, run: PipelineRun) -> str:
    if step.key == "tune" and run.trained is not None:
        return _(step.message).format(model=run.trained["result"].best.name)
    return _(step.message)


# -- The whole loop ----------------------------------------------------------------------------------
def run_pipeline(
    ws: Workspace,
    df: pd.DataFrame,
    info: ReadInfo | None,
    config: PipelineConfig,
    *,
    test_df: pd.DataFrame | None = None,
    progress: Progress = no_progress,
    source_name: str = "uploaded table",
    recipe: CleaningRecipe | None = None,
    project_id: int | None = None,
    steps: Sequence[PipelineStep] = STEPS,
    train_config: TrainConfig | None = None,
) -> dict[str, Any]:
    """Data → clean → problem → features → train → gate → explain → register → deploy → monitor
    (→ retrain): the STEPS in sequence. Returns the JSON summary of DESIGN.md's CLI contract. ``recipe``
    replays a saved cleaning recipe instead of the suggested one. ``project_id`` runs it in a project
    made beforehand (the app makes the demo's project first, so the running demo belongs to it);
    otherwise a new project named ``config.project_name`` (or the first free "name (n)") is made.
    ``steps`` and ``train_config`` are the hook of a pipeline spec's replay (core.spec.replay): the same
    steps with some ``work`` replaced by the spec's choices, and the spec's training settings."""
    if config.target not in df.columns:
        raise ConfigError(
            _("The target column '{target}' is not in {source}; choose one of: {columns}.").format(
                target=config.target, source=source_name, columns=", ".join(map(str, df.columns[:30]))
            )
        )
    if test_df is not None and config.target not in test_df.columns:
        raise ConfigError(
            _(
                "The test table has no column '{target}' (the target): it must hold the true "
                "values to check the models against; its columns are {columns}."
            ).format(target=config.target, columns=", ".join(map(str, test_df.columns[:30])))
        )
    if df[config.target].dropna().nunique() < 2:
        # Cleaning never adds target values, so this run would fail at the problem stage:
        # say why now, before a half-made project is left in the workspace.
        validate_problem(df, suggest_problem(df, config.target))
    _traffic(config)  # a bad --label-delay is said before training, not after
    project = (
        projects.get_project(ws, project_id)
        if project_id is not None
        else projects.create_unique_project(ws, config.project_name, source=source_name)
    )
    pid = project["id"]
    run = PipelineRun(ws, pid, config, df, info, source_name, recipe, test_df, progress, train_config=train_config)
    timings: dict[str, float] = {}
    projects.start_build(ws, pid)  # a run stopped midway leaves the project marked incomplete
    for step in steps:
        if not step.applies(run):
            continue
        message = _step_message(step, run)
        progress(step.start, message)
        t0 = time.perf_counter()
        with projects.build_step(ws, pid, step.key):  # a run stopped midway leaves the project marked incomplete
            step.work(run)
        timings[step.key] = round(time.perf_counter() - t0, 3)
        progress(step.end, message)
    summary = _summary(run, project["name"], timings)
    projects.finish_build(ws, pid)
    progress(1.0, _("Done"))
    return summary


def _summary(run: PipelineRun, project_name: str, timings: dict[str, float]) -> dict[str, Any]:
    assert run.cleaned is not None and run.problem is not None and run.trained is not None
    assert run.version is not None and run.monitored is not None
    config, problem = run.config, run.problem
    result: TrainResult = run.trained["result"]
    report: MonitoringReport = run.monitored["report"]
    dataset_id = run.cleaned["dataset"]["id"]
    summary: dict[str, Any] = {
        "project": project_name,
        "task": problem.family,
        "target": problem.target,
        "rows": int(len(run.df)),
        "rows_read": int(len(run.df)),
        "rows_used": rows_used(run.ws, dataset_id, problem.target),
        "validation": result.validation,
        # What cleaning removed and offered (not applied), then what training noticed.
        "warnings": list(run.cleaned["warnings"]) + list(result.warnings),
        "offered_steps": [offer.to_dict() for offer in run.cleaned["offers"]],
        "leaderboard": result.to_summary(),
        "best_model": result.best.key,
        "gate": run.trained["gate"].to_dict(),
        "registry": {
            "model": run.version["model_name"],
            "version": run.version["version"],
            "alias": "champion",
            **(
                {"decision_threshold": registry.get_decision_threshold(run.version)} if problem.task == "binary" else {}
            ),
        },
        "monitoring": {
            **report.get_latest_drift_summary(),
            "scenario": config.scenario,
            "retrain_recommended": report.retrain_recommended,
            "reason": report.reason,
            "performance": get_performance_records(report.performance_windows_df),
            "alerts": [alert.to_summary() for alert in report.alerts],
            "system": get_system_records(report.system_df),
        },
        "timings": timings,
    }
    if run.tuning is not None:
        summary["tuning"] = run.tuning
    if run.retrained is not None:
        summary["retrain"] = run.retrained
    return summary


def rows_used(ws: Workspace, dataset_id: int, target: str) -> int:
    """Rows of the cleaned training table that have a target: what the run learned and was checked on
    (a provided test file is not part of it). A large table's leaderboard compares models on a sample
    of them; the warnings say so, and the best model is refit on all of them when the budget allows."""
    return int(datasets.load_dataset(ws, dataset_id)[target].notna().sum())


def demo_config(project_name: str = DEMO_PROJECT_NAME) -> PipelineConfig:
    """The demo's settings. The sample's customers signed up over six years: evaluate on the latest
    sign-ups (a time split), as the training stage's own warning asks, so the scores say how the model
    does on new customers."""
    return PipelineConfig(
        target=SAMPLES[DEFAULT_SAMPLE],
        project_name=project_name,
        scenario=DEMO_SCENARIO,
        cv_folds=3,
        retrain_when_recommended=True,
        costs=DEMO_COSTS,
        time_column=DEMO_TIME_COLUMN,
    )


def run_demo(
    ws: Workspace,
    *,
    progress: Progress = no_progress,
    project_name: str = DEMO_PROJECT_NAME,
    project_id: int | None = None,
) -> dict[str, Any]:
    """The "Run full demo" button and `mlops-studio demo`: the default sample, end to end (in the
    project ``project_id`` when the caller made it, else in a new one)."""
    df, info = read_path(SAMPLE_DIR / DEFAULT_SAMPLE)
    config = demo_config(project_name)
    return run_pipeline(ws, df, info, config, progress=progress, source_name=DEFAULT_SAMPLE, project_id=project_id)


# -- One step at a time (the guided demo) -------------------------------------------------------------
def get_demo_steps() -> tuple[PipelineStep, ...]:
    """The steps the demo runs (its config never tunes), in order."""
    return tuple(step for step in STEPS if step.key != "tune")


def get_demo_progress(ws: Workspace, project_id: int) -> dict[str, bool]:
    """Which of the demo's steps are done in this project."""
    return {step.key: step.is_done(ws, project_id) for step in get_demo_steps()}


def run_demo_step(ws: Workspace, project_id: int, key: str, *, progress: Progress = no_progress) -> dict[str, Any]:
    """Run the demo's step ``key`` alone in the project (made with ``projects.create_unique_project``),
    whose earlier steps are done: what the whole demo would do at that point. Idempotent: a step done
    already is not run again. Returns ``{"step", "ran", "message"}`` (``message`` in plain words)."""
    steps = get_demo_steps()
    keys = [step.key for step in steps]
    if key not in keys:
        raise ConfigError(
            _("There is no demo step '{step}'; the steps are: {steps}.").format(step=key, steps=", ".join(keys))
        )
    step = steps[keys.index(key)]
    if step.is_done(ws, project_id):
        return {"step": key, "ran": False, "message": _("This step is done already; nothing to run again.")}
    projects.get_project(ws, project_id)  # a deleted project says so
    df, info = read_path(SAMPLE_DIR / DEFAULT_SAMPLE)
    run = PipelineRun(ws, project_id, demo_config(), df, info, DEFAULT_SAMPLE, progress=progress)
    for earlier in steps[: keys.index(key)]:
        if earlier.applies(run) and not earlier.is_done(ws, project_id):
            raise ConfigError(
                _("Run the earlier step '{step}' first: this one uses what it makes.").format(step=_(earlier.message))
            )
    if not step.applies(run):
        return {
            "step": key,
            "ran": False,
            "message": _("Monitoring did not recommend retraining, so there is nothing to retrain."),
        }
    message = _step_message(step, run)
    progress(0.0, message)
    step.work(run)
    progress(1.0, message)
    return {"step": key, "ran": True, "message": _("Done: {what}.").format(what=message)}
