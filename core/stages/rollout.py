"""Rollouts on simulated traffic: a strategy (canary, A/B, shadow, blue-green) run on the monitoring
simulator's traffic through the live endpoint, with labels that arrive late, ending in a verdict with
its evidence; the "bad challenger" demo; promoting the shadow with its evidence."""

from __future__ import annotations

import json
import math
from typing import Any

from core import registry
from core.deployment import serving
from core.deployment.rollouts import ab, blue_green, canary, live, shadow
from core.deployment.rollouts.records import record_event
from core.deployment.rollouts.traffic import LabelPlan, TrafficRun
from core.deployment.routing import RoutingConfig, strategy_name
from core.formatting import format_count
from core.i18n import _, ngettext
from core.monitoring.simulation import SCENARIOS, TrafficConfig, simulate_traffic
from core.stages.explain import get_top_features
from core.stages.release import stage_deploy, stage_promote, stage_promote_verdict
from core.training import tracking
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.progress import Progress, no_progress

ROLLOUT_STRATEGIES = ("canary", "ab", "shadow", "blue_green", "single")
BAD_CHALLENGER = "bad_challenger"
ROLLOUT_SCENARIOS = {
    **SCENARIOS,
    BAD_CHALLENGER: (
        "A deliberately weak challenger (the experiment's baseline model, which answers the same for "
        "everyone) is registered and tried: the rollout must catch it."
    ),
}
DEFAULT_REQUESTS = {"canary": 2700, "ab": 4000, "shadow": 1000, "blue_green": 90, "single": 500}


def _champion_and_challenger(ws: Workspace, project_id: int, model_name: str | None) -> tuple[str, dict, dict | None]:
    name = model_name or registry.get_model_name(ws, project_id)
    champion = registry.get_alias_version(ws, project_id, name, "champion") if name else None
    if champion is None or name is None:
        raise NotFoundError(_("No model has a champion to roll out against; register one on the Registry page."))
    return name, champion, registry.get_alias_version(ws, project_id, name, "challenger")


def register_bad_challenger(ws: Workspace, project_id: int, model_name: str | None = None) -> dict:
    """Make the champion's experiment's baseline model (most frequent class / mean value: the same
    answer for everyone) the challenger of ``model_name``, registering it when it is not yet."""
    name, champion, _challenger = _champion_and_challenger(ws, project_id, model_name)
    lineage = json.loads(champion["lineage_json"])
    runs = tracking.get_runs_df(ws, project_id, lineage["experiment_id"])
    baseline = runs[runs["key"] == "baseline"]
    if baseline.empty:
        raise NotFoundError(
            _("The experiment of {label} has no baseline run to act as a bad challenger.").format(
                label=registry.version_label(champion)
            )
        )
    run_id = int(baseline.iloc[0]["run"])
    version = registry.get_version_of_run(ws, project_id, run_id)
    if version is None:
        keep = ("task", "target", "classes", "problem", "input_columns", "decision_threshold", "recipe_id", "gate")
        version = registry.register_model(
            ws,
            project_id,
            run_id,
            model_name=name,
            alias="challenger",
            note="demo: a deliberately weak challenger (the baseline), to show a rollout catching it",
            extra_lineage={k: lineage[k] for k in keep if k in lineage},
        )
    else:
        registry.set_alias(ws, project_id, name, "challenger", version["id"], reason="bad challenger demo")
    return version


def _metric_kind(champion: dict) -> tuple[str, bool, str]:
    task = json.loads(champion["lineage_json"]).get("task", "regression")
    return ("mean", False, "mean absolute error") if task == "regression" else ("proportion", True, "accuracy")


def _traffic(ws, project_id, champion, scenario, requests, *, labels, seed, users=0, batch_size=100) -> TrafficRun:
    lineage = json.loads(champion["lineage_json"])
    problem = registry.get_version_problem(ws, champion)
    pool = tracking.load_holdout(ws, tracking.get_experiment(ws, lineage["experiment_id"]))
    windows = 4
    config = TrafficConfig(
        scenario="none" if scenario == BAD_CHALLENGER else scenario,
        windows=windows,
        rows_per_window=max(10, math.ceil(requests / windows)),
        drift_start=2,
        seed=seed,
    )
    frame = simulate_traffic(
        pool, problem.target, problem.family, config, important_features=get_top_features(ws, champion["run_id"])
    ).head(requests)
    return TrafficRun(
        ws, project_id, frame, problem.target, labels=labels, batch_size=batch_size, users=users, seed=seed
    )


def stage_rollout(
    ws: Workspace,
    project_id: int,
    strategy: str,
    *,
    model_name: str | None = None,
    steps: tuple[float, ...] = canary.DEFAULT_STEPS,
    share: float = 0.5,
    requests: int | None = None,
    scenario: str = "none",
    labels: LabelPlan = LabelPlan(),
    seed: int = 0,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Run ``strategy`` on ``requests`` simulated requests of ``scenario`` and decide. Returns a JSON-able
    summary: strategy, scenario, verdict, sentence, deployment_id, live (what serves now), evidence."""
    if strategy not in ROLLOUT_STRATEGIES:
        raise ConfigError(
            _("The strategy must be one of {choices}; got {value} instead.").format(
                choices=", ".join(ROLLOUT_STRATEGIES), value=repr(strategy)
            )
        )
    if scenario not in ROLLOUT_SCENARIOS:
        raise ConfigError(
            _("The scenario must be one of {choices}; got {value} instead.").format(
                choices=", ".join(ROLLOUT_SCENARIOS), value=repr(scenario)
            )
        )
    requests = DEFAULT_REQUESTS[strategy] if requests is None else requests
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 10:
        raise ConfigError(
            _("The number of simulated requests must be at least 10; got {value} instead.").format(value=repr(requests))
        )
    if scenario == BAD_CHALLENGER:
        register_bad_challenger(ws, project_id, model_name)
    name, champion, challenger = _champion_and_challenger(ws, project_id, model_name)
    if strategy != "single" and challenger is None:
        raise ConfigError(
            _(
                "The '{strategy}' strategy needs a challenger; register one on the Registry page, or choose the "
                "bad_challenger scenario to try a deliberately weak one."
            ).format(strategy=strategy_name(strategy))
        )
    kind, higher, metric = _metric_kind(champion)
    summary: dict[str, Any] = {
        "strategy": strategy,
        "scenario": scenario,
        "model": name,
        "requests": requests,
        "metric": metric,
        "metric_kind": kind,
    }
    if strategy == "canary":
        plan = canary.CanaryPlan(steps=tuple(steps), min_challenger_requests=max(10, requests // _ramp_cost(steps)))
        plan.validate()
        traffic = _traffic(ws, project_id, champion, scenario, plan.total_requests(), labels=labels, seed=seed)
        assert challenger is not None
        result = canary.run_canary(
            ws,
            project_id,
            traffic,
            champion["id"],
            challenger["id"],
            plan,
            kind=kind,
            higher_is_better=higher,
            progress=progress,
        )
        verdict = "promote" if result["decision"] == "complete" else "rolled back"
        summary |= {
            "verdict": verdict,
            "sentence": result["sentence"],
            "deployment_id": result["deployment_id"],
            "evidence": {
                "planned": list(plan.steps),
                "steps": result["steps"],
                "failed": result["failed"],
                "rollback_deployment_id": result["rollback_deployment_id"],
            },
        }
        if verdict == "promote":
            promoted = stage_promote_verdict(
                ws, project_id, name, f"canary completed: {result['sentence_en']}", "canary rollout"
            )
            summary["sentence"] += f" {promoted['message']}"
            summary["promoted"] = promoted["version"] is not None
    elif strategy == "ab":
        design = ab.ABDesign(kind=kind, higher_is_better=higher, mde=_ab_effect(ws, champion, kind))
        traffic = _traffic(
            ws, project_id, champion, scenario, requests, labels=labels, seed=seed, users=max(2, requests // 2)
        )
        assert challenger is not None
        result = ab.run_ab(
            ws, project_id, traffic, champion["id"], challenger["id"], share, design, metric=metric, progress=progress
        )
        readout = result["readout"]
        summary |= {
            "verdict": readout.verdict,
            "sentence": readout.sentence,
            "sentence_en": result["sentence_en"],  # the audit log's copy (Ship B's reason)
            "deployment_id": result["deployment_id"],
            "evidence": {**readout.to_dict(), "sticky": result["sticky"]},
        }
    elif strategy == "shadow":
        traffic = _traffic(ws, project_id, champion, scenario, requests, labels=labels, seed=seed)
        assert challenger is not None
        result = shadow.run_shadow(
            ws,
            project_id,
            traffic,
            champion["id"],
            challenger["id"],
            kind=kind,
            higher_is_better=higher,
            progress=progress,
            metric=registry.get_version_problem(ws, champion).metric,
        )
        readout = result["readout"]
        summary |= {
            "verdict": readout["verdict"],
            "sentence": readout["sentence"],
            "deployment_id": result["deployment_id"],
            "evidence": readout,
        }
    elif strategy == "blue_green":
        traffic = _traffic(ws, project_id, champion, scenario, requests, labels=labels, seed=seed, batch_size=1)
        assert challenger is not None
        result = blue_green.run_blue_green(ws, project_id, traffic, champion["id"], challenger["id"], progress=progress)
        answers = result["answers"]
        summary |= {
            "verdict": "no gap" if not result["evidence"]["unanswered"] else "gap",
            "sentence": result["sentence"],
            "deployment_id": result["deployment_id"],
            "evidence": {
                **result["evidence"],
                "stream": answers[["request_id", "version", "answered_at"]].to_dict(orient="records"),
            },
        }
    else:
        deployment = stage_deploy(ws, project_id, RoutingConfig("single"), model_name=name, reason="single rollout")
        traffic = _traffic(ws, project_id, champion, scenario, requests, labels=labels, seed=seed)
        answers = traffic.send(lambda: deployment, requests)
        summary |= {
            "verdict": "serving",
            "deployment_id": deployment["id"],
            "sentence": ngettext(
                "{version} answered {n} request alone.", "{version} answered {n} requests alone.", len(answers)
            ).format(version=registry.version_label(champion), n=format_count(len(answers))),
            "evidence": {"answered": int((answers["error"] == "").sum())},
        }
    summary["live"] = serving.describe_live(ws, project_id)
    summary["message"] = summary["sentence"]
    return summary


def _ramp_cost(steps) -> int:
    """Requests sent per challenger request over the whole ramp (5,25,50,100: 20+4+2+1 = 27)."""
    return max(1, math.ceil(sum(100 / s for s in steps)))


def _ab_effect(ws: Workspace, champion: dict, kind: str) -> float:
    """The difference worth detecting: 5 accuracy points, or a tenth of the target's spread."""
    if kind == "proportion":
        return 0.05
    lineage = json.loads(champion["lineage_json"])
    problem = registry.get_version_problem(ws, champion)
    pool = tracking.load_holdout(ws, tracking.get_experiment(ws, lineage["experiment_id"]))
    spread = float(pool[problem.target].astype(float).std())
    return 0.1 * spread if spread > 0 else 1.0


def stage_promote_shadow(ws: Workspace, project_id: int, deployment_id: int, model_name: str | None = None) -> dict:
    """Promote the shadow (the challenger) with the shadow comparison's evidence in the audit log."""
    row = ws.query_one(
        """SELECT e.id, e.decision, e.evidence_json FROM rollout_events e JOIN deployments d ON d.id = e.deployment_id
           WHERE e.deployment_id = ? AND d.project_id = ? AND e.kind = 'shadow_readout' ORDER BY e.id DESC LIMIT 1""",
        (deployment_id, project_id),
    )
    if row is None:
        raise NotFoundError(
            _("Deployment {id} has no shadow comparison; run the shadow strategy first.").format(id=deployment_id)
        )
    evidence = json.loads(row["evidence_json"])
    name, _champion, challenger = _champion_and_challenger(ws, project_id, model_name)
    if challenger is None:
        raise NotFoundError(_("Model '{name}' has no challenger in the shadow to promote.").format(name=name))
    promoted = stage_promote(ws, project_id, name, reason=f"shadow promoted: {evidence.get('sentence', '')}")
    record_event(
        ws,
        serving.get_deployment(ws, deployment_id),
        "shadow_promoted",
        "promoted",
        {
            "version_id": challenger["id"],
            "readout_event_id": row["id"],
            "verdict": row["decision"],
            **{
                k: evidence[k]
                for k in ("agreement", "metric", "segments", "score_difference", "sentence")
                if k in evidence
            },
        },
    )
    return promoted


LIVE_VERDICTS = {"waiting": "keep running", "advance": "advance", "complete": "promote", "rolled back": "rolled back"}


def stage_check_live(ws: Workspace, project_id: int, model_name: str | None = None) -> dict[str, Any]:
    """Decide on the live deployment's own traffic (whatever sent it: HTTP clients, the page): a canary
    with a plan takes its next step (or rolls back, or is promoted at the end); an A/B test or a shadow
    is read out. Returns a summary shaped as stage_rollout's, with "source": "live traffic"."""
    deployment = serving.get_active_deployment(ws, project_id)
    if deployment is None:
        raise NotFoundError(_("Nothing is deployed; deploy a canary, A/B or shadow strategy first."))
    name, champion, _challenger = _champion_and_challenger(ws, project_id, model_name)
    kind, higher, metric = _metric_kind(champion)
    strategy = deployment["routing"].strategy
    summary: dict[str, Any] = {"strategy": strategy, "scenario": None, "model": name, "metric": metric,
                               "metric_kind": kind, "source": "live traffic", "deployment_id": deployment["id"]}  # fmt: skip
    if strategy == "canary":
        result = live.check_live_canary(ws, project_id, kind=kind, higher_is_better=higher)
        plan = (json.loads(deployment["rollout_json"]) if deployment.get("rollout_json") else {}).get("plan", {})
        steps = [result["step"]] if result["step"] else []
        summary |= {"verdict": LIVE_VERDICTS[result["decision"]], "sentence": result["sentence"],
                    "evidence": {"planned": plan.get("steps", list(canary.DEFAULT_STEPS)), "steps": steps,
                                 "failed": [c["guardrail"] for s in steps for c in s["checks"] if not c["holds"]]}}  # fmt: skip
        if result["decision"] == "complete":
            promoted = stage_promote_verdict(
                ws, project_id, name, f"canary completed on live traffic: {result['sentence_en']}", "canary rollout"
            )
            summary["sentence"] += f" {promoted['message']}"
    elif strategy == "ab":
        design = ab.ABDesign(kind=kind, higher_is_better=higher, mde=_ab_effect(ws, champion, kind))
        evidence, ab_result = live.read_live_ab(ws, project_id, design)
        summary |= {"verdict": ab_result.verdict, "sentence": ab_result.sentence, "evidence": evidence}
    elif strategy == "shadow":
        compared = live.read_live_shadow(
            ws, project_id, kind=kind, higher_is_better=higher, metric=registry.get_version_problem(ws, champion).metric
        )
        summary |= {"verdict": compared["verdict"], "sentence": compared["sentence"], "evidence": compared}
    else:
        raise ConfigError(
            _(
                "The live deployment is '{strategy}': only a canary, an A/B test or a shadow decides on its own "
                "traffic. Deploy one of those first."
            ).format(strategy=strategy_name(strategy))
        )
    summary["live"] = serving.describe_live(ws, project_id)
    summary["message"] = summary["sentence"]
    return summary
