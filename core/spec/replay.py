"""A spec replayed headless: the pipeline's own steps (core.pipeline.STEPS) with the spec's choices in
place of the suggested ones — the problem, the feature set, the training and tuning settings, the gate's
deciding checks, the deployment strategy and the simulated traffic. The same spec, data and seed give the
same leaderboard and the same model (its SHA-256). The CI gate (``core.spec.ci_gate``) runs these steps
only up to the gate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from core import pipeline, registry
from core.data import datasets
from core.data.cleaning.recipe import StepReport
from core.data.cleaning.suggestions import get_cleaning_warnings
from core.data.reader import ReadInfo
from core.deployment.routing import RoutingConfig, strategy_name
from core.evaluation.gate import GateResult
from core.i18n import _
from core.pipeline import STEPS, PipelineConfig, PipelineRun, PipelineStep
from core.problem.store import get_problem
from core.spec import convert
from core.spec.apply import project_name, read_spec_data, record_applied, require_target
from core.spec.errors import SpecError
from core.spec.feature_store import apply_feature_store
from core.spec.models import PipelineSpec
from core.stages.data import stage_features, stage_ingest, stage_problem
from core.stages.lab import stage_tune, summarize_study
from core.stages.operate import stage_monitor
from core.stages.release import stage_deploy
from core.workspace import projects
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.progress import Progress, no_progress


# -- The gate's decision by the spec's checks ------------------------------------------------------------
def decide_gate(gate: GateResult, checks: Sequence[str]) -> GateResult:
    """The gate with GO decided by the spec's ``gate.checks`` only: each check is marked ``decides``
    (True when it is one of them); the others are still shown."""
    marked = tuple({**check, "decides": check["name"] in checks} for check in gate.checks)
    passed = all(check["passed"] for check in marked if check["decides"])
    return replace(gate, checks=marked, passed=passed)


# -- The steps with the spec's choices ----------------------------------------------------------------------
def spec_steps(spec: PipelineSpec, target: str, upload: bytes | None = None) -> tuple[PipelineStep, ...]:
    """core.pipeline.STEPS with the work of the steps the spec decides replaced by the spec's (``upload``:
    an uploaded file's own bytes, kept with the raw dataset)."""
    works: dict[str, Callable[[PipelineRun], None]] = {
        "data": lambda run: _data(run, spec, upload),
        "problem": lambda run: _problem(run, spec, target),
        "features": lambda run: _features(run, spec),
        "train": lambda run: _train(run, spec),
        "tune": lambda run: _tune(run, spec),
        "register": lambda run: _register(run, spec),
        "deploy": lambda run: _deploy(run, spec),
        "monitor": lambda run: _monitor(run, spec),
    }
    return tuple(replace(step, work=works.get(step.key, step.work)) for step in STEPS)


def _data(run: PipelineRun, spec: PipelineSpec, upload: bytes | None) -> None:
    run.raw_id = stage_ingest(run.ws, run.pid, run.df, run.info, run.source_name, upload=upload)["id"]
    record_applied(run.ws, run.pid, spec)


def _problem(run: PipelineRun, spec: PipelineSpec, target: str) -> None:
    dataset_id = pipeline._need_dataset(run)["id"]
    problem = convert.problem_config(spec, datasets.load_dataset(run.ws, dataset_id), target)
    with convert.at("problem"):
        run.problem = stage_problem(run.ws, run.pid, dataset_id, problem)


def _features(run: PipelineRun, spec: PipelineSpec) -> None:
    apply_feature_store(run.ws, run.pid, spec.feature_store)  # catalog features join the training table
    dataset_id = pipeline._need_dataset(run)["id"]
    df = datasets.load_dataset(run.ws, dataset_id)
    config = convert.feature_config(spec, df, pipeline._need_problem(run))
    with convert.at("features"):
        run.fs_id = stage_features(run.ws, run.pid, dataset_id, config)["id"]


def _train(run: PipelineRun, spec: PipelineSpec) -> None:
    with convert.at("training"):
        pipeline._step_train(run)
    assert run.trained is not None
    run.trained["gate"] = decide_gate(run.trained["gate"], spec.gate.checks)


def _tune(run: PipelineRun, spec: PipelineSpec) -> None:
    assert run.trained is not None
    best = run.trained["result"].best
    if spec.tuning.model is None and best.is_baseline:
        raise ConfigError(
            _(
                "No model beat the baseline on the leaderboard, so there is no family worth tuning; "
                "check the target and the features first."
            )
        )
    tune = convert.tune_config(spec, best.key)
    assert tune is not None  # the step applies only when the spec tunes
    with convert.at("tuning"):
        run.trained = stage_tune(
            run.ws, run.pid, pipeline._need_fs_id(run), tune, pipeline._train_config(run), test_df=run.clean_test
        )
    run.tuning = summarize_study(run.trained)
    run.trained["gate"] = decide_gate(run.trained["gate"], spec.gate.checks)


def _register(run: PipelineRun, spec: PipelineSpec) -> None:
    passed = pipeline._need_experiment(run)[1]
    if not passed and not spec.gate.register_on_no_go:
        raise SpecError(
            _(
                "gate: the best model did not pass the gate (NO-GO) and gate.register_on_no_go is false, "
                "so nothing was registered or deployed; see the checks with `mlops-studio gate`."
            ),
            "gate",
        )
    pipeline._step_register(run)


def first_model_note(ws: Workspace, spec: PipelineSpec, project_id: int | None = None) -> str | None:
    """What a run says when the spec asks for a rollout (canary, shadow…) and the project has no model in
    production yet (a new project, or ``project_id`` without a champion): there is nothing to roll out
    against, so the first model is deployed directly and the strategy applies from the next one."""
    strategy = spec.deployment.strategy
    if strategy == "direct":
        return None
    if project_id is not None:
        name = registry.get_model_name(ws, project_id)
        if name and registry.get_alias_version(ws, project_id, name, "champion") is not None:
            return None
    return _(
        "First model: deployed directly; the {strategy} applies from the next model (a rollout needs a model "
        "in production to compare with)."
    ).format(strategy=strategy_name(strategy))


def _deploy(run: PipelineRun, spec: PipelineSpec) -> None:
    """The spec's strategy when the model has a challenger to run it with; a first model has none, so it
    goes live directly and the strategy (kept with the spec) applies to the next one."""
    routing = convert.routing_config(spec)
    name = registry.get_model_name(run.ws, run.pid)
    challenger = registry.get_alias_version(run.ws, run.pid, name, "challenger") if name else None
    stage_deploy(run.ws, run.pid, routing if challenger is not None else RoutingConfig("single"))


def _monitor(run: PipelineRun, spec: PipelineSpec) -> None:
    run.monitored = stage_monitor(run.ws, run.pid, convert.traffic_config(spec))


def pipeline_config(spec: PipelineSpec, target: str, name: str) -> PipelineConfig:
    costs = spec.problem.costs
    monitoring = spec.monitoring
    return PipelineConfig(
        target=target,
        project_name=name,
        scenario=monitoring.scenario,
        cv_folds=spec.training.cv_folds,
        seed=spec.training.seed,
        retrain_when_recommended=monitoring.retraining.when_recommended,
        tune=None if spec.tuning.method == "none" else spec.tuning.method,
        tune_budget=spec.tuning.budget,
        costs=(costs.false_negative, costs.false_positive) if costs is not None else None,
        time_column=spec.problem.time_column,
        windows=monitoring.windows,
        rows_per_window=monitoring.rows_per_window,
        label_delay=monitoring.label_delay,
        label_share=monitoring.label_share,
    )


# -- Entry points ----------------------------------------------------------------------------------------------
def run_spec(
    ws: Workspace,
    spec: PipelineSpec,
    *,
    data_path: str | Path | None = None,
    name: str | None = None,
    progress: Progress = no_progress,
    test_path: str | Path | None = None,
    data_bytes: bytes | None = None,
    data_name: str | None = None,
    project_id: int | None = None,
) -> dict[str, Any]:
    """Replay ``spec`` headless on its data (or ``data_path``) in a new project: train, tune, gate,
    register, deploy, monitor (and retrain) as the spec says. Returns the pipeline's JSON summary (the
    CLI contract of ``run``), plus ``registry.sha256`` (the model file's hash) and ``spec`` (the spec's
    version, the gate's deciding checks and ``data_note``). ``data_bytes``/``data_name``: an uploaded file
    instead. ``project_id``: run in that project (made by ``create_project_from_spec``, as Home's one
    click does) on the table it holds — its raw and cleaned versions are reused, not saved again."""
    convert.check_spec(spec)
    first_model = first_model_note(ws, spec, project_id)  # before the run: is there a model in production?
    if project_id is not None:
        summary = _run_in_project(ws, spec, project_id, progress)
        note = None
    else:
        data = read_spec_data(spec, data_path, data_bytes=data_bytes, data_name=data_name)
        target = require_target(spec, data.df)
        convert.check_against(spec, data.df, target)
        test_df = read_spec_data(spec, test_path).df if test_path is not None else None
        summary = pipeline.run_pipeline(
            ws,
            data.df,
            data.info,
            pipeline_config(spec, target, project_name(spec, data, name)),
            test_df=test_df,
            progress=progress,
            source_name=data.source_name,
            recipe=convert.cleaning_recipe(spec),
            steps=spec_steps(spec, target, data.upload),
            train_config=convert.train_config(spec),
        )
        note = data.note
    project = projects.get_project(ws, summary["project"])
    version = ws.query_one(
        "SELECT sha256 FROM model_versions WHERE project_id = ? AND model_name = ? AND version = ?",
        (project["id"], summary["registry"]["model"], summary["registry"]["version"]),
    )
    summary["registry"]["sha256"] = version["sha256"] if version else None
    summary["spec"] = {"spec_version": spec.spec_version, "gate_checks": list(spec.gate.checks), "data_note": note}
    summary["deployment"] = {
        "spec_strategy": spec.deployment.strategy,
        "strategy": "direct" if first_model else spec.deployment.strategy,
        "note": first_model,
    }
    return summary


def _run_in_project(ws: Workspace, spec: PipelineSpec, project_id: int, progress: Progress) -> dict[str, Any]:
    """The replay in a project that holds its table already: the newest raw version and the cleaned version
    made from it are reused (the project's own, as the spec or the Data page last made them); a spec
    without a target (the blank template's) takes the project's."""
    project = projects.get_project(ws, project_id)
    raw = datasets.latest_dataset(ws, project_id, "raw")
    if raw is None:
        raise NotFoundError(
            _("Project {name} has no table yet; load one on the Data page first.").format(name=project["name"])
        )
    df = datasets.load_dataset(ws, raw["id"])
    read_info = datasets.load_read_info(ws, raw["id"])
    if not spec.problem.target:
        problem = get_problem(ws, project_id)
        if problem is not None:
            spec = spec.model_copy(update={"problem": spec.problem.model_copy(update={"target": problem.target})})
    target = require_target(spec, df)
    convert.check_against(spec, df, target)
    raw_id = int(raw["id"])

    def reuse_raw(run: PipelineRun) -> None:  # the table is in the project already
        run.raw_id = raw_id

    def reuse_cleaned(run: PipelineRun) -> None:
        cleaned = datasets.latest_cleaned_from(ws, raw_id)
        if cleaned is None or cleaned.get("recipe_id") is None:
            pipeline._step_clean(run)
            return
        recipe = datasets.get_recipe(ws, int(cleaned["recipe_id"]))
        reports = [StepReport(**report) for report in datasets.get_step_reports(recipe)]
        run.cleaned = {
            "dataset": cleaned,
            "recipe": recipe,
            "reports": reports,
            "offers": (),
            "warnings": get_cleaning_warnings(reports),
        }

    reused = {"data": reuse_raw, "clean": reuse_cleaned}
    steps = tuple(replace(step, work=reused.get(step.key, step.work)) for step in spec_steps(spec, target))
    return pipeline.run_pipeline(
        ws,
        df,
        ReadInfo.from_dict(read_info) if read_info else None,
        pipeline_config(spec, target, project["name"]),
        progress=progress,
        source_name=raw["name"],
        recipe=convert.cleaning_recipe(spec),
        project_id=project_id,
        steps=steps,
        train_config=convert.train_config(spec),
    )
