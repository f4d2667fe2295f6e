"""Register and deploy: model names per problem, registering a run as a version (its problem frozen), deploying, promoting and rolling back so the endpoint always serves the champion it should."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from core import registry
from core.data import datasets
from core.deployment import serving
from core.deployment.routing import RoutingConfig, strategy_name
from core.evaluation.reports import DEFAULT_DECISION_THRESHOLD, get_cost_matrix, get_operating_threshold
from core.i18n import _
from core.problem.definition import (
    ProblemConfig,
    encode_target,
)
from core.problem.store import get_experiment_problem
from core.registry import approvals
from core.training import tracking
from core.workspace import projects
from core.workspace.actor import acting_as, verdict_actor
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError


def _slug(text: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in str(text).lower())
    return "-".join(filter(None, slug.split("-")))


def model_name_for(project: dict) -> str:
    """The project's first model name, made from the project's name."""
    return _slug(project["name"])[:40] or f"project-{project['id']}"


def model_name_for_problem(ws: Workspace, project_id: int, problem: ProblemConfig) -> str:
    """The model name a version of ``problem`` is registered under: the project's model that already
    predicts the same thing, else a new name (the project's, plus the target when that is taken), so
    the versions and the champion/challenger of one model always answer the same question."""
    existing = registry.find_model_name(ws, project_id, problem)
    if existing is not None:
        return existing
    taken = set(registry.get_model_names(ws, project_id))
    base = model_name_for(projects.get_project(ws, project_id))
    candidates = [base, f"{base}-{_slug(problem.target)[:30] or 'target'}"]
    candidates += [f"{candidates[1]}-{i}" for i in range(2, len(taken) + 3)]
    return next(name for name in candidates if name not in taken)


def model_name_for_experiment(ws: Workspace, project_id: int, experiment: dict) -> str:
    """The model name a run of ``experiment`` is registered under (see model_name_for_problem)."""
    return model_name_for_problem(ws, project_id, get_experiment_problem(experiment))


def get_class_labels(df: pd.DataFrame, problem: ProblemConfig) -> list[str]:
    """Binary: [negative, positive] as text, matching the 0/1 encoding; multiclass: sorted labels."""
    if problem.task == "regression":
        return []
    values = sorted({str(v) for v in df[problem.target].dropna().unique()})
    if problem.task == "binary":
        positive = str(problem.positive_class)
        negative = next((v for v in values if v != positive), "other")
        return [negative, positive]
    return values


def stage_register(
    ws: Workspace,
    project_id: int,
    run_id: int,
    *,
    alias: str | None = "champion",
    note: str = "",
    override_reason: str = "",
    decision_threshold: float | None = None,
) -> dict:
    """Register a run. Refused when its experiment failed the gate, unless a written reason is given.
    A yes/no model keeps the score from which it answers 'yes' (``decision_threshold``; by default
    the cheapest on its holdout when the problem has costs, else 0.5): the endpoint uses it."""
    run = tracking.get_run(ws, run_id)
    experiment = tracking.get_experiment(ws, run["experiment_id"])
    gate = json.loads(experiment["gate_json"] or "{}")
    is_best = experiment["best_run_id"] == run_id
    if not (gate.get("passed") and is_best) and not override_reason.strip():
        why = _("did not pass the gate") if not gate.get("passed") else _("is not the model the gate checked")
        raise ConfigError(
            _(
                "Run {run} ({family}) {why}; improve it, or register it anyway with a "
                "written reason (it goes into the audit log)."
            ).format(run=run_id, family=run["model_name"], why=why)
        )
    problem = get_experiment_problem(experiment)
    dataset = datasets.get_dataset(ws, experiment["dataset_id"])
    df = datasets.load_dataset(ws, dataset["id"])
    # The version freezes its problem (read back with registry.get_version_problem): monitoring and
    # retraining judge it by what it was trained to predict, whatever the Problem page says later.
    lineage = {
        "recipe_id": dataset["recipe_id"],
        "raw_dataset_id": _raw_ancestor(ws, dataset),
        "task": problem.task,
        "target": problem.target,
        "classes": get_class_labels(df, problem),
        "gate": gate,
        "override_reason": override_reason or None,
        "problem": problem.to_dict(),
        "input_columns": _input_columns(ws, run_id),
    }
    if problem.task == "binary":
        lineage["decision_threshold"] = (
            suggest_decision_threshold(ws, experiment, run_id)
            if decision_threshold is None
            else _checked_threshold(decision_threshold)
        )
    version = registry.register_model(
        ws,
        project_id,
        run_id,
        model_name=model_name_for_problem(ws, project_id, problem),
        alias=alias,
        extra_lineage=lineage,
        note=note or (f"override: {override_reason}" if override_reason else ""),
    )
    if alias == "champion":  # a new champion of the model the endpoint serves is served at once
        redeploy_if_live(
            ws, project_id, version["model_name"], reason=f"registration of {registry.version_label(version)}"
        )
    return version


def _input_columns(ws: Workspace, run_id: int) -> list[str]:
    """The columns a run's fitted pipeline takes as input (a request's schema)."""
    return [str(c) for c in getattr(tracking.load_run_model(ws, run_id), "feature_names_in_", [])]


def suggest_decision_threshold(ws: Workspace, experiment: dict, run_id: int) -> float:
    """Where a yes/no run should answer 'yes' once deployed: the cheapest threshold on its holdout
    when the problem has costs, otherwise 0.5."""
    problem = get_experiment_problem(experiment)
    if problem.task != "binary" or get_cost_matrix(problem) is None:
        return DEFAULT_DECISION_THRESHOLD
    y = encode_target(tracking.load_holdout(ws, experiment)[problem.target], problem)
    return get_operating_threshold(problem, y, tracking.load_run_predictions(ws, run_id)["score"].to_numpy())


def _checked_threshold(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 <= value <= 1:
        raise ConfigError(
            _("The decision threshold must be a score between 0 and 1; got {value} instead.").format(value=repr(value))
        )
    return round(float(value), 4)


def _raw_ancestor(ws: Workspace, dataset: dict) -> int | None:
    """The raw upload a dataset version descends from (retraining sets chain cleaned versions)."""
    while dataset["kind"] != "raw" and dataset["parent_id"] is not None:
        dataset = datasets.get_dataset(ws, dataset["parent_id"])
    return dataset["id"] if dataset["kind"] == "raw" else None


def stage_deploy(
    ws: Workspace,
    project_id: int,
    routing: RoutingConfig = RoutingConfig(),
    model_name: str | None = None,
    reason: str = "",
    validation_policy: str | None = None,
    rollout: dict | None = None,
) -> dict:
    """Put the champion of ``model_name`` (by default the model of the project's current problem, see
    registry.get_model_name) and its challenger, if the strategy uses one, behind the endpoint.
    ``validation_policy`` (reject | flag | review) says what a row breaking a rule learned from
    training gets (serving.VALIDATION_POLICIES; by default the live deployment's, else "flag")."""
    if validation_policy is not None:
        serving.check_validation_policy(validation_policy)
    name = model_name or registry.get_model_name(ws, project_id)
    champion = registry.get_alias_version(ws, project_id, name, "champion") if name else None
    if champion is None:
        raise NotFoundError(
            _("Model '{name}' has no champion to deploy; register a model as champion on the Registry page.").format(
                name=name
            )
            if name
            else _("No model is registered to deploy; register a model as champion on the Registry page.")
        )
    assert name  # a champion was found, so there is a name
    challenger = registry.get_alias_version(ws, project_id, name, "challenger")
    if routing.strategy != "single" and challenger is None:
        raise ConfigError(
            _(
                "The '{strategy}' strategy needs a challenger; register one on the Registry page or choose 'single'."
            ).format(strategy=strategy_name(routing.strategy))
        )
    return serving.create_deployment(
        ws,
        project_id,
        routing,
        champion["id"],
        challenger["id"] if challenger and routing.strategy != "single" else None,
        reason=reason,
        validation_policy=validation_policy,
        rollout=rollout,
    )


def stage_promote(
    ws: Workspace, project_id: int, model_name: str, reason: str = "", version_id: int | None = None
) -> dict:
    """``version_id`` (None: the challenger) becomes champion, and the endpoint serves it at once when it
    serves this model (see redeploy_if_live), if the project's registry policy lets the current actor
    promote it (approvals.authorize_promotion: a person needs an approved request; raises
    ApprovalRequiredError otherwise). Returns {"version", "deployment" (None when not redeployed), "message"}."""
    if version_id is None:
        challenger = registry.get_alias_version(ws, project_id, model_name, "challenger")
        if challenger is None:
            raise NotFoundError(
                _("Model '{name}' has no challenger to promote; register one first.").format(name=model_name)
            )
        version_id = challenger["id"]
    request_id = approvals.authorize_promotion(ws, project_id, version_id, reason)
    version = registry.promote_version(ws, project_id, model_name, version_id, reason=reason, request_id=request_id)
    return _after_champion_change(
        ws,
        project_id,
        version,
        _("{label} is now the champion").format(label=registry.version_label(version)),
        "promotion",
    )


def stage_carry_out_request(ws: Workspace, project_id: int, request_id: int) -> dict:
    """Carry out an approved promotion request: its version becomes champion (and serves, as stage_promote)."""
    request = approvals.get_request(ws, project_id, request_id)
    if request["status"] != approvals.APPROVED:
        raise ConfigError(
            _("Promotion request {id} is {status}; only an approved request can be carried out.").format(
                id=request_id, status=approvals.status_label(request["status"])
            )
        )
    return stage_promote(
        ws,
        project_id,
        request["model_name"],
        reason=f"request {request_id} approved by {request['reviewed_by']}: {request['reason']}",
        version_id=request["version_id"],
    )


def stage_promote_verdict(ws: Workspace, project_id: int, model_name: str, reason: str, who: str) -> dict:
    """A rollout's verdict promotes the challenger as the automatic actor ``who`` ("canary rollout"; the
    autopilot stays the autopilot). When the policy holds verdicts for a reviewer, the verdict files a
    request instead: the result then has "version" None and says so in its message."""
    with acting_as(verdict_actor(who)):
        try:
            return stage_promote(ws, project_id, model_name, reason=reason)
        except approvals.ApprovalRequiredError as held:
            return {"version": None, "deployment": None, "message": str(held), "request_id": held.request_id}


def stage_rollback(ws: Workspace, project_id: int, model_name: str, reason: str = "") -> dict:
    """The previous champion is champion again, and serves at once when the endpoint serves this model."""
    version = registry.rollback_champion(ws, project_id, model_name, reason=reason)
    return _after_champion_change(
        ws,
        project_id,
        version,
        _("Rolled back: {label} is the champion again").format(label=registry.version_label(version)),
        "rollback",
    )


def redeploy_if_live(ws: Workspace, project_id: int, model_name: str, reason: str) -> dict | None:
    """After the champion of ``model_name`` changed: when the endpoint serves that model, serve its
    champion now, so the Registry's champion and what the endpoint answers with never disagree. The
    strategy stays when the model still has the challenger it needs, else it becomes 'single'. The
    aliases are read afresh, so of two changes at once the later redeployment serves the final champion.
    Returns the new deployment, or None when the endpoint serves nothing or another model."""
    live = serving.get_active_deployment(ws, project_id)
    if live is None or registry.get_version(ws, live["champion_version_id"])["model_name"] != model_name:
        return None
    routing = live["routing"]
    if routing.strategy != "single" and registry.get_alias_version(ws, project_id, model_name, "challenger") is None:
        routing = RoutingConfig("single")
    # The new champion is served under the same validation policy: stage_deploy keeps the live one.
    return stage_deploy(ws, project_id, routing, model_name=model_name, reason=reason)


def describe_champion_not_served(ws: Workspace, project_id: int, model_name: str) -> str | None:
    """A warning when the endpoint serves ``model_name`` but not its champion (a state left by older
    versions of the studio, which changed aliases without redeploying); None when they agree."""
    live = serving.get_active_deployment(ws, project_id)
    champion = registry.get_alias_version(ws, project_id, model_name, "champion")
    if live is None or champion is None or live["champion_version_id"] == champion["id"]:
        return None
    deployed = registry.get_version(ws, live["champion_version_id"])
    if deployed["model_name"] != model_name:
        return None
    return _(
        "The champion of {name} is v{champion}, but the endpoint still serves v{deployed} as champion: deploy on "
        "the Deploy page to serve v{champion}."
    ).format(name=model_name, champion=champion["version"], deployed=deployed["version"])


def describe_model_switch(ws: Workspace, project_id: int, model_name: str) -> str | None:
    """A warning before deploying ``model_name`` when the endpoint serves another model: the answers
    will be to another question (another target), so clients must know. None otherwise."""
    live = serving.get_active_deployment(ws, project_id)
    if live is None:
        return None
    deployed = registry.get_version(ws, live["champion_version_id"])
    if deployed["model_name"] == model_name:
        return None
    now_problem = registry.get_model_problem(ws, project_id, deployed["model_name"])
    new_problem = registry.get_model_problem(ws, project_id, model_name)
    if now_problem and new_problem:
        return _(
            "The endpoint serves {label}, which predicts '{old}'; deploying replaces it with {name}, which predicts "
            "'{new}'. Clients will get answers to the new question."
        ).format(
            label=registry.version_label(deployed), old=now_problem.target, name=model_name, new=new_problem.target
        )
    return _(
        "The endpoint serves {label}; deploying replaces it with {name}. Clients will get answers to the new question."
    ).format(label=registry.version_label(deployed), name=model_name)


def _after_champion_change(ws: Workspace, project_id: int, version: dict, done: str, why: str) -> dict:
    deployment = redeploy_if_live(ws, project_id, version["model_name"], reason=f"{why} of {version['model_name']}")
    live = serving.get_active_deployment(ws, project_id)
    if deployment is not None:
        message = _("{done}; the endpoint serves it now ({deployment}).").format(
            done=done, deployment=serving.describe_deployment(ws, deployment)
        )
    elif live is None:
        message = _("{done}. Nothing is deployed yet: deploy it on the Deploy page to serve it.").format(done=done)
    else:
        message = _(
            "{done}. The endpoint still serves {deployment}, another model: deploy this one on the Deploy page to "
            "serve it instead."
        ).format(done=done, deployment=serving.describe_deployment(ws, live))
    return {"version": version, "deployment": deployment, "message": message}
