"""Canary with automatic rollback: the challenger's share climbs a ramp (5 -> 25 -> 50 -> 100% by
default); each step advances only when every guardrail holds, against the champion's answers so far.
A failed guardrail rolls back by itself: a new deployment serves the champion alone, and the decision
says which guardrail failed and why. Every decision is a rollout event with its evidence and an audit
entry; the plan and its state live in the canary deployment's rollout_json.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.deployment import serving
from core.deployment.rollouts import guardrails as gr
from core.deployment.rollouts.class_scores import class_probabilities
from core.deployment.rollouts.records import record_event
from core.deployment.rollouts.traffic import TrafficRun, answer_values, get_labelled_df
from core.deployment.routing import RoutingConfig
from core.formatting import localize_number_text
from core.i18n import _, ngettext, use_language
from core.workspace.actor import acting_as, verdict_actor
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError
from core.workspace.progress import Progress, no_progress

DEFAULT_STEPS = (5.0, 25.0, 50.0, 100.0)
LATENCY_PROBES = 20  # single-row requests timed per version and step


@dataclass(frozen=True)
class CanaryPlan:
    steps: tuple[float, ...] = DEFAULT_STEPS  # the challenger's share at each step, in percent
    min_challenger_requests: int = 100  # requests the challenger answers at each step
    guardrails: gr.Guardrails = field(default_factory=gr.Guardrails)

    def validate(self) -> CanaryPlan:
        steps = list(self.steps)
        if not steps or any(isinstance(s, bool) or not isinstance(s, (int, float)) for s in steps):
            raise ConfigError(
                _("The canary 'steps' must be percentages such as 5,25,50,100; got {steps} instead.").format(
                    steps=repr(self.steps)
                )
            )
        if any(not 0 < s <= 100 for s in steps) or steps != sorted(steps) or len(set(steps)) != len(steps):
            raise ConfigError(
                _(
                    "The canary 'steps' must rise strictly, each above 0 and at most 100 (e.g. 5,25,50,100); "
                    "got {steps} instead."
                ).format(steps=", ".join(localize_number_text(f"{s:g}") for s in steps))
            )
        if (
            isinstance(self.min_challenger_requests, bool)
            or not isinstance(self.min_challenger_requests, int)
            or (self.min_challenger_requests < 10)
        ):
            raise ConfigError(
                _(
                    "The canary's 'min_challenger_requests' must be a whole number of at least 10; got {value} instead."
                ).format(value=repr(self.min_challenger_requests))
            )
        self.guardrails.validate()
        return self

    def requests_for(self, share_percent: float) -> int:
        """Requests to send at a step so the challenger answers about ``min_challenger_requests``."""
        return math.ceil(self.min_challenger_requests * 100 / share_percent)

    def total_requests(self) -> int:
        return sum(self.requests_for(s) for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": list(self.steps),
            "min_challenger_requests": self.min_challenger_requests,
            "guardrails": self.guardrails.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CanaryPlan:
        return cls(
            steps=tuple(float(s) for s in data.get("steps", DEFAULT_STEPS)),
            min_challenger_requests=int(data.get("min_challenger_requests", 100)),
            guardrails=gr.Guardrails(**data.get("guardrails", {})),
        ).validate()


def time_single_rows(models: list[serving.ServedModel], rows: pd.DataFrame) -> list[np.ndarray]:
    """Milliseconds for each row answered alone by each model: the latency a client sending one
    request sees. Each model answers one row first (a version's first answer pays one-off costs), then
    the models take turns row by row, so a busy moment of the machine slows both alike."""
    times: list[list[float]] = [[] for _ in models]
    if len(rows):
        for model in models:
            model.answer(rows.iloc[:1])
    for i in range(len(rows)):
        for model, out in zip(models, times):
            start = time.perf_counter()
            model.answer(rows.iloc[i : i + 1])
            out.append((time.perf_counter() - start) * 1000)
    return [np.asarray(t) for t in times]


def check_step(
    answers: pd.DataFrame,
    champion_on_challenger_rows: np.ndarray,
    labelled: pd.DataFrame,
    latency: tuple[np.ndarray, np.ndarray],
    *,
    kind: str,
    higher_is_better: bool,
    guardrails: gr.Guardrails,
    challenger_scores: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """The four guardrails at one step, on every answer of the canary so far (at 100% the champion
    answers nothing new): the challenger's error rate against the champion's; its scores against the
    champion's scores of the same requests (scored silently: two samples of other requests would
    differ by chance, at 5% of traffic a lot); latency timed on this step's requests; the metric on
    every labelled answer. ``challenger_scores``: the challenger's scores to compare, when its own
    answers' scores are not comparable with the champion's (multi-class: its probability of the
    champion's predicted class on the same requests, see class_scores)."""
    champion = answers[answers["arm"] == "champion"]
    challenger = answers[answers["arm"] == "challenger"]
    failed = lambda df: int((df["error"] != "").sum())  # noqa: E731
    ok = lambda df: df.loc[df["error"] == "", "score"].to_numpy(dtype=float)  # noqa: E731
    values = answer_values(labelled["prediction"], labelled["label"], kind) if len(labelled) else np.array([])
    arms = labelled["arm"].to_numpy() if len(labelled) else np.array([])
    return [
        gr.check_error_rate(failed(champion), len(champion), failed(challenger), len(challenger), guardrails),
        gr.check_latency(latency[0], latency[1], guardrails),
        gr.check_score_distribution(
            champion_on_challenger_rows[np.isfinite(champion_on_challenger_rows)],
            ok(challenger) if challenger_scores is None else challenger_scores[np.isfinite(challenger_scores)],
            guardrails,
        ),
        gr.check_metric(values[arms == "champion"], values[arms == "challenger"], kind, higher_is_better, guardrails),
    ]


def run_canary(
    ws: Workspace,
    project_id: int,
    traffic: TrafficRun,
    champion_id: int,
    challenger_id: int,
    plan: CanaryPlan = CanaryPlan(),
    *,
    kind: str = "proportion",
    higher_is_better: bool = True,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Deploy the canary and climb its ramp on ``traffic``; roll back at the first failed guardrail.
    Returns {"decision": "complete" | "rolled back", "failed", "steps" (evidence per step),
    "deployment_id" (the canary's), "rollback_deployment_id", "sentence"}."""
    plan.validate()
    rollout = {"strategy": "canary", "plan": plan.to_dict(), "state": {"step": 0, "status": "running"}}
    first = plan.steps[0]
    deployment = serving.create_deployment(
        ws,
        project_id,
        RoutingConfig("canary", first / 100),
        champion_id,
        challenger_id,
        reason=f"canary rollout, ramp {' -> '.join(f'{s:g}%' for s in plan.steps)}",
        rollout=rollout,
    )
    champion, challenger = serving.load_served(ws, champion_id), serving.load_served(ws, challenger_id)
    steps: list[dict[str, Any]] = []
    paired: list[np.ndarray] = []  # the champion's silent scores of the requests the challenger answered
    # multi-class: the challenger's probability of the class the champion answered on those requests
    challenger_paired: list[np.ndarray] = []
    total = plan.total_requests()
    for index, share in enumerate(plan.steps):
        routing = RoutingConfig("canary", share / 100)
        deployment = {**deployment, "routing": routing}
        done_before = sum(plan.requests_for(s) for s in plan.steps[:index])
        step_answers = traffic.send(
            _fixed(deployment),
            plan.requests_for(share),
            on_batch=_step_progress(
                progress,
                traffic,
                done_before,
                total,
                _("Canary at {share}%: sending requests…").format(share=localize_number_text(f"{share:g}")),
            ),
        )
        probe = step_answers[step_answers["error"] == ""].head(LATENCY_PROBES)
        probe_rows = traffic.inputs.iloc[0:0] if probe.empty else _rows_for(traffic, step_answers, probe.index)
        latency_champion, latency_challenger = time_single_rows([champion, challenger], probe_rows)
        challenger_rows = step_answers.index[(step_answers["arm"] == "challenger") & (step_answers["error"] == "")]
        if len(challenger_rows):
            rows = _rows_for(traffic, step_answers, challenger_rows)
            labels, scores = champion.score(rows)
            paired.append(scores)
            if champion.task == "multiclass":
                challenger_paired.append(class_probabilities(challenger, rows, labels))
        labelled = get_labelled_df(ws, [deployment["id"]])
        answers = traffic.answers()
        checks = check_step(
            answers[answers["deployment_id"] == deployment["id"]],
            np.concatenate(paired) if paired else np.array([]),
            labelled,
            (latency_champion, latency_challenger),
            kind=kind,
            higher_is_better=higher_is_better,
            guardrails=plan.guardrails,
            challenger_scores=np.concatenate(challenger_paired) if challenger_paired else None,
        )
        failed = [c for c in checks if not c["holds"]]
        evidence = {
            "step": index + 1,
            "share": share,
            "requests": len(step_answers),
            "challenger_requests": int((step_answers["arm"] == "challenger").sum()),
            "labelled": len(labelled),
            "checks": checks,
        }
        steps.append(evidence)
        last = index == len(plan.steps) - 1
        if failed:
            return roll_back(ws, project_id, deployment, rollout, evidence, failed, champion_id, steps)
        decision = "complete" if last else "advance"
        rollout["state"] = {"step": index + 1, "status": "completed" if last else "running"}
        record_event(
            ws,
            deployment,
            "canary_step",
            decision,
            evidence,
            share=share,
            routing=None if last else RoutingConfig("canary", plan.steps[index + 1] / 100),
            rollout=rollout,
        )
    sentence = describe_complete(plan.steps, sum(s["requests"] for s in steps))
    with use_language("en"):  # for the audit log (the promotion's reason)
        sentence_en = describe_complete(plan.steps, sum(s["requests"] for s in steps))
    return {
        "decision": "complete",
        "failed": [],
        "steps": steps,
        "deployment_id": deployment["id"],
        "rollback_deployment_id": None,
        "sentence": sentence,
        "sentence_en": sentence_en,
    }


def _fixed(deployment: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    return lambda: deployment


def _step_progress(progress: Progress, traffic: TrafficRun, done_before: int, total: int, message: str):
    """After each batch of a step: the share of the ramp's requests sent so far."""
    start = traffic.position
    return lambda _batch: progress(min(1.0, (done_before + traffic.position - start) / total), message)


def _rows_for(traffic: TrafficRun, step_answers: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """The request rows behind some answers of this step (answers are in sending order)."""
    first = traffic.position - len(step_answers)
    return traffic.inputs.iloc[[first + int(i) for i in index]]


def roll_back(ws, project_id, deployment, rollout, evidence, failed, champion_id, steps) -> dict[str, Any]:
    """Record the failed step, then serve the champion alone (a new deployment), saying why."""
    guards = [c["guardrail"] for c in failed]
    names = guards[0] if len(guards) == 1 else ", ".join(guards[:-1]) + " and " + guards[-1]
    with use_language("en"):  # the audit log stores English; the page says it in the reader's language
        stored = describe_rollback(evidence["share"], failed)
    rollout["state"] = {"step": evidence["step"], "status": "rolled back", "failed": [c["guardrail"] for c in failed]}
    record_event(
        ws,
        deployment,
        "canary_step",
        "rollback",
        {**evidence, "sentence": stored},
        share=evidence["share"],
        rollout=rollout,
    )
    with acting_as(verdict_actor("canary rollout")):  # the audit log names the canary, not a person
        back = serving.create_deployment(
            ws,
            project_id,
            RoutingConfig("single"),
            champion_id,
            None,
            reason=f"automatic rollback of canary deployment {deployment['id']}: {names} guardrail failed",
        )
    return {
        "decision": "rolled back",
        "failed": [c["guardrail"] for c in failed],
        "steps": steps,
        "deployment_id": deployment["id"],
        "rollback_deployment_id": back["id"],
        "sentence": describe_rollback(evidence["share"], failed),
        "sentence_en": stored,
    }


def _ramp(steps: Any) -> str:
    return " -> ".join(localize_number_text(f"{s:g}%") for s in steps)


def describe_complete(steps: Any, requests: int) -> str:
    """The verdict of a canary that climbed its whole ramp, in the current language."""
    return ngettext(
        "The challenger passed every guardrail at each step ({ramp}) on {n} request: it is ready to be promoted.",
        "The challenger passed every guardrail at each step ({ramp}) on {n} requests: it is ready to be promoted.",
        requests,
    ).format(ramp=_ramp(steps), n=localize_number_text(f"{requests:,}"))


def describe_rollback(share: float, failed: list[dict[str, Any]]) -> str:
    """The verdict of a canary rolled back at ``share`` % because the ``failed`` checks did not hold,
    in the current language (each check said again from its numbers)."""
    names = [gr.guardrail_name(c["guardrail"]) for c in failed]
    joined = (
        names[0] if len(names) == 1 else _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])
    )
    head = ngettext(
        "Rolled back automatically at {share}%: the {names} guardrail failed.",
        "Rolled back automatically at {share}%: the {names} guardrails failed.",
        len(names),
    ).format(share=localize_number_text(f"{share:g}"), names=joined)
    why = " ".join(gr.describe_check(c) for c in failed)
    return _("{head} {why} The champion answers every request again.").format(head=head, why=why)
