"""A project's choices, read from the workspace, as a ``PipelineSpec``: the table and how it was read,
the cleaning recipe, the problem, the feature set, the training and tuning settings, the gate, the
deployment and the monitoring. Every field is written out, so replaying the spec does not depend on
what the studio would suggest next time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.data import datasets
from core.deployment.rollouts import canary
from core.deployment.serving import get_active_deployment
from core.features.featurestore import latest_feature_set, load_feature_config
from core.monitoring import autopilot
from core.monitoring.rule_store import get_saved_rules
from core.problem.definition import ProblemConfig
from core.problem.store import get_problem
from core.spec.convert import SAMPLE_DIR
from core.spec.feature_store import export_feature_store
from core.spec.models import (
    SAMPLE_NAMES,
    SAMPLE_PREFIX,
    CleaningSpec,
    CostsSpec,
    DataSpec,
    DeploymentSpec,
    FeaturesSpec,
    GuardrailsSpec,
    MonitoringSpec,
    PipelineSpec,
    ProblemSpec,
    ProjectSpec,
    TrainingSpec,
    TuningSpec,
    UploadSource,
)
from core.training.config import TrainConfig
from core.workspace import projects
from core.workspace.database import Workspace

#: The routing's "single" is the spec's "direct".
_SPEC_STRATEGY = {"single": "direct"}


def export_spec(ws: Workspace, project_id: int) -> PipelineSpec:
    """Everything project ``project_id`` chose, as a spec. What the workspace records wins (the data as
    read, the recipe, the problem, the feature set, the latest leaderboard's and study's settings, the
    live deployment, the latest traffic, the saved alert rules and autopilot policy); what it does not
    record yet comes from the spec the project was made from, if any, else the defaults."""
    project = projects.get_project(ws, project_id)
    base = _applied(ws, project_id)
    problem = get_problem(ws, project_id)
    train = _train_config(ws, project_id)
    gate = base.gate
    if problem is not None:
        gate = gate.model_copy(update={"max_fairness_gap": problem.max_fairness_gap})
    return PipelineSpec(
        project=ProjectSpec(name=project["name"], description=base.project.description),
        data=_data(ws, project_id, base.data),
        cleaning=_cleaning(ws, project_id) or base.cleaning,
        problem=problem_spec(problem) if problem is not None else base.problem,
        features=_features(ws, project_id) or base.features,
        training=training_spec(train) if train is not None else base.training,
        tuning=_tuning(ws, project_id) or base.tuning,
        gate=gate,
        deployment=_deployment(ws, project_id, base.deployment),
        monitoring=_monitoring(ws, project_id, base.monitoring),
        feature_store=export_feature_store(ws, project_id),
    )


def _applied(ws: Workspace, project_id: int) -> PipelineSpec:
    """The spec the project was made from (core.spec.apply keeps it in the audit log), else the defaults."""
    from core.spec.apply import get_applied_spec

    data = get_applied_spec(ws, project_id)
    if data is None:
        return PipelineSpec()
    try:
        return PipelineSpec.model_validate(data)
    except ValueError:  # kept by an older studio: its choices are not read back
        return PipelineSpec()


def problem_spec(problem: ProblemConfig) -> ProblemSpec:
    costs = None
    if problem.cost_false_negative is not None and problem.cost_false_positive is not None:
        costs = CostsSpec(false_negative=problem.cost_false_negative, false_positive=problem.cost_false_positive)
    return ProblemSpec(
        target=problem.target,
        task=problem.task,  # type: ignore[arg-type]
        positive_class=problem.positive_class,
        metric=problem.metric,  # type: ignore[arg-type]
        threshold=float(problem.threshold),
        time_column=problem.time_column,
        group_column=problem.group_column,
        costs=costs,
        sensitive_column=problem.sensitive_column,
        max_latency_ms=float(problem.max_latency_ms),
    )


def training_spec(config: TrainConfig) -> TrainingSpec:
    return TrainingSpec(
        models=list(config.models),
        cv_folds=config.cv_folds,
        test_size=config.test_size,
        validation=config.validation,  # type: ignore[arg-type]
        class_weight=config.class_weight,  # type: ignore[arg-type]
        seed=config.seed,
    )


def _data(ws: Workspace, project_id: int, base: DataSpec) -> DataSpec:
    raw = datasets.latest_dataset(ws, project_id, "raw")
    if raw is None:
        return base
    info: dict[str, Any] = json.loads(raw.get("read_info_json") or "null") or {}
    source = _source(ws, raw, base.source)
    is_text = info.get("format") in ("csv", "tsv", "text")
    return DataSpec(
        source=source,
        encoding=info.get("encoding") if is_text else None,
        delimiter=info.get("delimiter") if is_text else None,
        decimal=info.get("decimal") if info.get("decimal") in (".", ",") else None,
        thousands=info.get("thousands") if is_text else None,
        sheet=info.get("sheet"),
        header_row=info.get("header_row") if isinstance(info.get("header_row"), int) else None,
    )


def _source(ws: Workspace, raw: dict[str, Any], given: str | UploadSource | None) -> str | UploadSource:
    """A bundled sample by its ``sample:`` name; the path the spec gave, if it named this file; a file
    uploaded in the browser as what it is (its name and bytes' hash, never a path); else the file's name."""
    name = str(raw["name"])
    stem = name.removesuffix(".csv")
    if stem in SAMPLE_NAMES and (SAMPLE_DIR / f"{stem}.csv").exists():
        return SAMPLE_PREFIX + stem
    if isinstance(given, str) and Path(given).name == name:
        return given  # the path the spec gave, not only the file's name
    if raw.get("upload_artifact_id"):
        sha256 = ws.artifact_info(int(raw["upload_artifact_id"]))["sha256"]
        return UploadSource(upload=name, sha256=sha256)
    if isinstance(given, UploadSource) and given.upload == name:
        return given
    return name


def _cleaning(ws: Workspace, project_id: int) -> CleaningSpec | None:
    cleaned = datasets.latest_dataset(ws, project_id, "cleaned")
    if cleaned is None or cleaned.get("recipe_id") is None:
        return None
    recipe = datasets.load_recipe(ws, cleaned["recipe_id"])
    return CleaningSpec(recipe=[step.to_dict() for step in recipe.steps])


def _features(ws: Workspace, project_id: int) -> FeaturesSpec | None:
    fs = latest_feature_set(ws, project_id)
    if fs is None:
        return None
    config = load_feature_config(ws, fs["id"])
    return FeaturesSpec(
        numeric_scaling=config.numeric_scaling,  # type: ignore[arg-type]
        one_hot=config.one_hot,
        max_categories=config.max_categories,
        date_parts=config.date_parts,
        log_columns=list(config.log_columns),
        drop_columns=list(config.drop_columns),
    )


def _train_config(ws: Workspace, project_id: int) -> TrainConfig | None:
    """The settings of the latest leaderboard (a tuning study or a retraining reuses them)."""
    row = ws.query_one(
        "SELECT config_json FROM experiments WHERE project_id = ? AND kind = 'leaderboard' ORDER BY id DESC LIMIT 1",
        (project_id,),
    )
    return TrainConfig.from_dict(json.loads(row["config_json"])) if row else None


def _tuning(ws: Workspace, project_id: int) -> TuningSpec | None:
    row = ws.query_one("SELECT config_json FROM studies WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project_id,))
    if row is None:
        return None
    config = json.loads(row["config_json"])
    return TuningSpec(
        method=config.get("method", "bayes"),
        model=config.get("model"),
        budget=int(config.get("max_trials", 20)),
        max_seconds=config.get("max_seconds"),
        space=list(config.get("space") or []),
    )


def _deployment(ws: Workspace, project_id: int, base: DeploymentSpec) -> DeploymentSpec:
    """The live routing when it runs a strategy; a first model goes live directly, so the strategy the
    project was made with (for its next model) is kept then."""
    deployment = get_active_deployment(ws, project_id)
    if deployment is None or deployment["routing"].strategy == "single":
        return base
    routing = deployment["routing"]
    plan = _canary_plan(deployment)
    return base.model_copy(
        update={
            "strategy": _SPEC_STRATEGY.get(routing.strategy, routing.strategy),
            "challenger_share": float(routing.challenger_share),
            "active_color": routing.active_color,
            **(
                {
                    "canary_steps": [float(s) for s in plan.steps],
                    "min_challenger_requests": plan.min_challenger_requests,
                    "guardrails": GuardrailsSpec(**plan.guardrails.to_dict()),
                }
                if plan is not None
                else {}
            ),
        }
    )


def _canary_plan(deployment: dict[str, Any]) -> canary.CanaryPlan | None:
    rollout = json.loads(deployment.get("rollout_json") or "null")
    if not isinstance(rollout, dict) or not isinstance(rollout.get("plan"), dict):
        return None
    try:
        return canary.CanaryPlan.from_dict(rollout["plan"])
    except Exception:  # noqa: BLE001 - a plan stored by an older studio: the defaults instead
        return None


def _monitoring(ws: Workspace, project_id: int, base: MonitoringSpec) -> MonitoringSpec:
    row = ws.query_one(
        "SELECT traffic_json FROM monitoring_reports WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project_id,)
    )
    traffic: dict[str, Any] = json.loads(row["traffic_json"]) if row else {}
    rules = get_saved_rules(ws, project_id)
    policy = autopilot.get_policy(ws, project_id)
    retraining = base.retraining.model_copy(
        update={
            "when_recommended": _retrains_when_recommended(ws, project_id, base.retraining.when_recommended),
            "trigger": policy.trigger,
            "every_windows": policy.every_windows,
            "release": policy.release,
            "rounds": policy.rounds,
        }
    )
    return MonitoringSpec(
        scenario=traffic.get("scenario", base.scenario),
        windows=int(traffic.get("windows", base.windows)),
        rows_per_window=int(traffic.get("rows_per_window", base.rows_per_window)),
        drift_start=int(traffic.get("drift_start", base.drift_start)),
        label_delay=int(traffic.get("label_delay", base.label_delay)),
        label_share=float(traffic.get("label_share", base.label_share)),
        alert_rules=[rule.to_dict() for rule in rules] if rules is not None else base.alert_rules,
        retraining=retraining,
    )


def _retrains_when_recommended(ws: Workspace, project_id: int, given: bool) -> bool:
    """Whether the project retrains when monitoring recommends it. The UI keeps that choice as what was
    done: a retraining recorded against a report (``retrainings``) that recommended one — the Monitor
    page's Retrain button, or a pipeline run told to retrain when recommended. So: the latest report that
    recommended retraining was acted on (True) or not (False); no report recommended it yet: as given."""
    row = ws.query_one(
        "SELECT r.id, (SELECT COUNT(*) FROM retrainings t WHERE t.report_id = r.id) AS acted "
        "FROM monitoring_reports r WHERE r.project_id = ? AND r.retrain_recommended = 1 ORDER BY r.id DESC LIMIT 1",
        (project_id,),
    )
    if row is None:
        return given
    return bool(row["acted"])
