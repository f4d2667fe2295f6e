"""The whole loop, and the one place the pages, the "Run full demo" button and the CLI take the
pipeline's stages from (core.stages holds them), so there is one code path:

Data → clean → problem → features → train → gate → explain → register → deploy → monitor (→ retrain).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core import registry
from core.data import datasets
from core.data.cleaning import CleaningRecipe, apply_recipe
from core.data.reader import ReadInfo, read_path
from core.deployment.routing import RoutingConfig
from core.monitoring.performance import get_performance_records
from core.monitoring.reports import MonitoringReport
from core.monitoring.simulation import TrafficConfig
from core.monitoring.system import get_system_records
from core.problem.definition import suggest_problem, validate_problem
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
from core.stages.lab import require_problem, stage_rerun, stage_train, stage_tune, summarize_study  # noqa: F401
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
from core.training.tuning import TuneConfig
from core.workspace import projects
from core.workspace.actor import acting_as, automatic
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError
from core.workspace.progress import Progress, no_progress, scaled_progress

DEMO_SCENARIO = "sudden"
# A churner who leaves costs about a year of margin; a retention offer costs a discount.
DEMO_COSTS = (500.0, 50.0)
DEMO_TIME_COLUMN = "signup_date"
DEMO_PROJECT_NAME = "Churn demo"


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
) -> dict[str, Any]:
    """Data → clean → problem → features → train → gate → explain → register → deploy → monitor
    (→ retrain). Returns the JSON summary of DESIGN.md's CLI contract. ``recipe`` replays a saved
    cleaning recipe instead of the suggested one. ``project_id`` runs it in a project made beforehand
    (the app makes the demo's project first, so the running demo belongs to it); otherwise a new project
    named ``config.project_name`` (or the first free "name (n)") is made."""
    timings: dict[str, float] = {}

    def timed(name: str, start: float, end: float, message: str, fn: Callable[[], Any]) -> Any:
        progress(start, message)
        t0 = time.perf_counter()
        with projects.build_step(ws, pid, name):  # a run stopped midway leaves the project marked incomplete
            value = fn()
        timings[name] = round(time.perf_counter() - t0, 3)
        progress(end, message)
        return value

    if config.target not in df.columns:
        raise ConfigError(
            f"The target column '{config.target}' is not in {source_name}; choose one of: "
            f"{', '.join(map(str, df.columns[:30]))}."
        )
    if test_df is not None and config.target not in test_df.columns:
        raise ConfigError(
            f"The test table has no column '{config.target}' (the target): it must hold the true "
            f"values to check the models against; its columns are {', '.join(map(str, test_df.columns[:30]))}."
        )
    if df[config.target].dropna().nunique() < 2:
        # Cleaning never adds target values, so this run would fail at the problem stage:
        # say why now, before a half-made project is left in the workspace.
        validate_problem(df, suggest_problem(df, config.target))
    traffic = TrafficConfig(
        scenario=config.scenario,
        windows=config.windows,
        rows_per_window=config.rows_per_window,
        seed=config.seed,
        label_delay=config.label_delay,
        label_share=config.label_share,
    ).validate()  # a bad --label-delay is said before training, not after
    project = (
        projects.get_project(ws, project_id)
        if project_id is not None
        else projects.create_unique_project(ws, config.project_name, source=source_name)
    )
    pid = project["id"]
    projects.start_build(ws, pid)  # a run stopped midway leaves the project marked incomplete
    raw = timed("data", 0.0, 0.03, "Saving the raw data", lambda: stage_ingest(ws, pid, df, info, source_name))
    cleaned = timed(
        "clean", 0.03, 0.08, "Cleaning the data", lambda: stage_clean(ws, pid, raw["id"], recipe, target=config.target)
    )
    dataset_id = cleaned["dataset"]["id"]
    problem = timed(
        "problem",
        0.08,
        0.1,
        "Defining the problem",
        lambda: stage_problem(
            ws,
            pid,
            dataset_id,
            config.target,
            **_cost_fields(config.costs),
            **({"time_column": config.time_column} if config.time_column else {}),
        ),
    )
    clean_test = None
    if test_df is not None:
        recipe = datasets.load_recipe(ws, cleaned["recipe"]["id"])
        clean_test = apply_recipe(test_df, recipe, training=False)[0].dropna(subset=[problem.target])
    fs = timed("features", 0.1, 0.12, "Building the feature set", lambda: stage_features(ws, pid, dataset_id))
    trained = timed(
        "train",
        0.12,
        0.6,
        "Training and comparing models",
        lambda: stage_train(
            ws,
            pid,
            fs["id"],
            TrainConfig(cv_folds=config.cv_folds, seed=config.seed),
            test_df=clean_test,
            progress=scaled_progress(progress, 0.12, 0.6),
        ),
    )
    result: TrainResult = trained["result"]
    tuning = None
    if config.tune and result.best.is_baseline:
        raise ConfigError(
            "No model beat the baseline on the leaderboard, so there is no family worth tuning; "
            "check the target and the features first."
        )
    if config.tune:
        tune = TuneConfig(model=result.best.key, method=config.tune, max_trials=config.tune_budget)
        trained = timed(
            "tune",
            0.6,
            0.62,
            f"Tuning {result.best.name}",
            lambda: stage_tune(
                ws, pid, fs["id"], tune, TrainConfig(cv_folds=config.cv_folds, seed=config.seed), test_df=clean_test
            ),
        )
        tuning = summarize_study(trained)
    gate = trained["gate"]
    best_run_id = trained["experiment"]["best_run_id"]
    timed("explain", 0.6, 0.7, "Explaining the best model", lambda: stage_explain(ws, pid, best_run_id))
    reason = "" if gate.passed else "Demo/CLI run: registered although the gate failed, so the loop can be shown."
    version = timed(
        "register",
        0.7,
        0.72,
        "Registering the champion",
        lambda: _as_pipeline(lambda: stage_register(ws, pid, best_run_id, alias="champion", override_reason=reason)),
    )
    timed("deploy", 0.72, 0.75, "Deploying", lambda: stage_deploy(ws, pid, RoutingConfig("single")))
    monitored = timed(
        "monitor",
        0.75,
        0.85,
        "Simulating production traffic",
        lambda: stage_monitor(ws, pid, traffic),
    )
    report: MonitoringReport = monitored["report"]
    summary: dict[str, Any] = {
        "project": project["name"],
        "task": problem.family,
        "target": problem.target,
        "rows": int(len(df)),
        "rows_read": int(len(df)),
        "rows_used": rows_used(ws, dataset_id, problem.target),
        "validation": result.validation,
        # What cleaning removed and offered (not applied), then what training noticed.
        "warnings": list(cleaned["warnings"]) + list(result.warnings),
        "offered_steps": [offer.to_dict() for offer in cleaned["offers"]],
        "leaderboard": result.to_summary(),
        "best_model": trained["result"].best.key,
        "gate": gate.to_dict(),
        "registry": {
            "model": version["model_name"],
            "version": version["version"],
            "alias": "champion",
            **({"decision_threshold": registry.get_decision_threshold(version)} if problem.task == "binary" else {}),
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
    if tuning is not None:
        summary["tuning"] = tuning
    if config.retrain_when_recommended and report.retrain_recommended:
        summary["retrain"] = timed(
            "retrain",
            0.85,
            1.0,
            "Retraining on fresh data",
            lambda: stage_retrain(ws, pid, monitored["id"], progress=scaled_progress(progress, 0.85, 1.0)),
        )
    projects.finish_build(ws, pid)
    progress(1.0, "Done")
    return summary


def rows_used(ws: Workspace, dataset_id: int, target: str) -> int:
    """Rows of the cleaned training table that have a target: what the run learned and was checked on
    (a provided test file is not part of it). A large table's leaderboard compares models on a sample
    of them; the warnings say so, and the best model is refit on all of them when the budget allows."""
    return int(datasets.load_dataset(ws, dataset_id)[target].notna().sum())


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
    # The sample's customers signed up over six years: evaluate on the latest sign-ups (a time split),
    # as the training stage's own warning asks, so the scores say how the model does on new customers.
    config = PipelineConfig(
        target=SAMPLES[DEFAULT_SAMPLE],
        project_name=project_name,
        scenario=DEMO_SCENARIO,
        cv_folds=3,
        retrain_when_recommended=True,
        costs=DEMO_COSTS,
        time_column=DEMO_TIME_COLUMN,
    )
    return run_pipeline(ws, df, info, config, progress=progress, source_name=DEFAULT_SAMPLE, project_id=project_id)
