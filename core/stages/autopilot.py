"""Autopilot: the retraining loop run unattended as a background job, round after round: simulated
traffic → monitoring report → decision (the policy's trigger) → retraining on fresh labelled rows →
gate → the challenger released as a canary or a shadow on new simulated traffic → promoted or
rejected by the rollout's own verdict → the next round on whatever is champion then.

Each step is an event on the run's timeline and in the audit log (core/monitoring/autopilot.py). A run
is stoppable between steps, bounded by the policy's rounds, one per project at a time, and never ends
half-promoted: whatever ends it (the last round, a stop, an error, a restart of the app), the endpoint
is left serving the registry's champion alone."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from core import registry
from core.deployment import serving
from core.deployment.routing import RoutingConfig
from core.formatting import format_as, format_count
from core.i18n import N_, _, ngettext
from core.monitoring import autopilot as timeline
from core.monitoring.autopilot import AutopilotPolicy
from core.monitoring.simulation import TrafficConfig
from core.problem.definition import format_metric_value, get_metric_label
from core.registry.approvals import ApprovalRequiredError
from core.stages.operate import stage_monitor, stage_retrain
from core.stages.release import stage_deploy
from core.stages.rollout import stage_promote_shadow, stage_rollout
from core.workspace import jobs
from core.workspace.actor import acting_as, automatic
from core.workspace.errors import ConfigError, NotFoundError, StudioError
from core.workspace.progress import Progress, no_progress

JOB_KIND = "autopilot"


class _Stopped(Exception):
    """Someone asked the run to stop; raised between steps."""


def start_autopilot(ws, project_id: int, policy: AutopilotPolicy | None = None) -> dict[str, Any]:
    """Start an autopilot run as a background job (the project's saved policy unless ``policy`` is
    given). Refused while the project has one running or nothing is deployed. Returns the run's row."""
    policy = (policy or timeline.get_policy(ws, project_id)).validate()
    live = serving.get_active_deployment(ws, project_id)
    if live is None:
        raise NotFoundError(
            _("Nothing is deployed yet: deploy the champion on the Deploy page, then start the autopilot.")
        )
    running = get_autopilot(ws, project_id)
    if running is not None and running["status"] == "running":
        raise ConfigError(
            _("An autopilot run ({run}) is already running in this project; stop it or wait for it to end.").format(
                run=running["id"]
            )
        )
    run_id = timeline.create_run(ws, project_id, policy, live["id"])
    job_id = jobs.start_job(ws, project_id, JOB_KIND, lambda progress: _autopilot_job(ws, run_id, progress))
    timeline.attach_job(ws, run_id, job_id)
    return timeline.get_run(ws, run_id)


def stop_autopilot(ws, project_id: int) -> str:
    """Ask the running autopilot to stop after its current step; returns what was done, in a sentence."""
    run = get_autopilot(ws, project_id)
    if run is None or run["status"] != "running" or run["job_id"] is None:
        return _("No autopilot is running in this project.")
    jobs.request_stop(ws, run["job_id"])
    return _("Autopilot run {run} stops after its current step; the champion then serves alone.").format(run=run["id"])


def get_autopilot(ws, project_id: int) -> dict[str, Any] | None:
    """The project's latest run. A run left "running" by an app that has since stopped (its job is
    interrupted) is ended here, cleanly: the champion serves alone, and the timeline says so."""
    run = timeline.latest_run(ws, project_id)
    if run is None or run["status"] != "running" or run["job_id"] is None:
        return run
    job = jobs.get_job(ws, run["job_id"])
    if job["status"] == "running":
        return run
    events = timeline.get_events(ws, run["id"])
    last: dict[str, Any] = events[-1] if events else {"round": 0, "step": "start"}
    try:
        live = _settle(ws, run)
    except StudioError as exc:
        live = _("the endpoint could not be reset ({error}); check the Deploy page").format(error=exc)
    sentence = _(
        "The app stopped during round {round} (after the '{step}' step), so this run ended there. {live} Start "
        "the autopilot again to go on."
    ).format(round=last["round"], step=last["step"], live=live)
    timeline.add_event(ws, run, last["round"], "end", "interrupted", sentence)
    timeline.end_run(ws, run["id"], "interrupted", "interrupted", sentence)
    return timeline.get_run(ws, run["id"])


def _autopilot_job(ws, run_id: int, progress: Progress) -> dict[str, Any]:
    """The job's work: a run that failed fails its job too (with the run's sentence), so the jobs
    table never says "succeeded" for a loop that ended in an error."""
    result = run_autopilot(ws, run_id, progress=progress)
    if result["status"] == "failed":
        raise StudioError(result["sentence"])
    return result


def run_autopilot(ws, run_id: int, *, progress: Progress = no_progress) -> dict[str, Any]:
    """The loop (the job's work), as the automatic actor "autopilot" (on behalf of whoever started it):
    every audit entry it writes names it. Returns {run_id, status, verdict, sentence, rounds, events, live}."""
    with acting_as(automatic("autopilot")):
        return _run_loop(ws, run_id, progress)


def _run_loop(ws, run_id: int, progress: Progress) -> dict[str, Any]:
    run = timeline.get_run(ws, run_id)
    policy: AutopilotPolicy = run["policy"]
    should_stop: Callable[[], bool] = getattr(progress, "should_stop", lambda: False)
    timeline.add_event(
        ws,
        run,
        0,
        "start",
        "started",
        _("Autopilot started. {policy} {live}").format(
            policy=policy.describe(), live=serving.describe_live(ws, run["project_id"])
        ),
    )
    rounds: list[dict[str, Any]] = []
    state: dict[str, Any] = {"windows_since_retraining": 0, "round": 0, "step": "start"}
    status, error = "done", ""
    try:
        for number in range(1, policy.rounds + 1):
            state["round"] = number
            rounds.append(_round(ws, run, policy, number, state, progress, should_stop))
    except _Stopped:
        status = "stopped"
    except StudioError as exc:
        status, error = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - a run ends with a sentence, never silently
        traceback.print_exc()
        status, error = "failed", _("unexpected {kind}: {error}").format(kind=type(exc).__name__, error=exc)
    try:
        live = _settle(ws, run)
    except StudioError as exc:  # the endpoint itself cannot be reset: say so, never hide it
        status, live = (
            "failed",
            _("The endpoint could not be reset to the champion alone ({error}); check the Deploy page.").format(
                error=exc
            ),
        )
    verdict, sentence = _final(rounds, status, state, live, error)
    timeline.add_event(ws, run, state["round"], "end", status, sentence)
    timeline.end_run(ws, run_id, status, verdict, sentence)
    return {
        "run_id": run_id,
        "status": status,
        "verdict": verdict,
        "sentence": sentence,
        "message": sentence,
        "rounds": rounds,
        "events": timeline.get_events(ws, run_id),
        "live": live,
    }


def _round(ws, run, policy: AutopilotPolicy, number: int, state: dict, progress: Progress, should_stop) -> dict:
    pid = run["project_id"]

    def step(name: str, fraction: float, message: str) -> None:
        if should_stop():
            raise _Stopped
        state["step"] = name
        progress(
            ((number - 1) + fraction) / policy.rounds,
            _("Round {n} of {rounds}: {step}").format(n=number, rounds=policy.rounds, step=message),
        )

    def event(name: str, status: str, sentence: str, **links) -> None:
        timeline.add_event(ws, run, number, name, status, sentence, links)

    step("traffic", 0.0, _("sending simulated traffic through the endpoint and monitoring it…"))
    traffic = TrafficConfig(
        scenario=policy.scenario,
        windows=policy.windows,
        rows_per_window=policy.rows_per_window,
        drift_start=policy.drift_start,
        seed=policy.seed + number - 1,
    )
    monitored = stage_monitor(ws, pid, traffic)
    report, version = monitored["report"], monitored["version"]
    label = registry.version_label(version)
    live = serving.get_active_deployment(ws, pid)
    event(
        "traffic",
        "sent",
        _(
            "{rows} simulated rows of the '{scenario}' scenario ({windows} windows) went through the endpoint; "
            "{version} answered them."
        ).format(
            rows=format_count(policy.windows * policy.rows_per_window),
            scenario=policy.scenario,
            windows=policy.windows,
            version=label,
        ),
        model=version["model_name"],
        version=version["version"],
        deployment_id=live["id"] if live else None,
    )
    alerts = len(report.alerts)
    event(
        "report",
        "alert" if report.retrain_recommended else "ok",
        ngettext(
            "Monitoring report {report}: {n} alert. {reason}",
            "Monitoring report {report}: {n} alerts. {reason}",
            alerts,
        ).format(report=monitored["id"], n=alerts, reason=report.reason),
        report_id=monitored["id"],
    )
    state["windows_since_retraining"] += policy.windows
    retrain, why = _decide(policy, report.retrain_recommended, state["windows_since_retraining"])
    event("decision", "retrain" if retrain else "keep", why, report_id=monitored["id"])
    if not retrain:
        return {"round": number, "verdict": "no retraining", "sentence": why}

    step("retrain", 0.3, _("retraining on fresh labelled production rows…"))
    outcome = stage_retrain(ws, pid, monitored["id"])
    state["windows_since_retraining"] = 0
    gate = outcome["gate"]
    metric = gate["metric"]
    event(
        "retrain",
        "trained",
        _(
            "Retrained {model} on its training data plus {train} fresh labelled production rows (experiment "
            "{experiment}); on {eval} other fresh rows its {metric} is {value}, the champion's {champion}."
        ).format(
            model=outcome["champion"]["model"],
            train=format_count(outcome["fresh_rows_train"]),
            experiment=outcome["experiment_id"],
            eval=format_count(outcome["fresh_rows_eval"]),
            metric=get_metric_label(metric),
            value=format_metric_value(metric, outcome["retrained_metric_on_fresh"]),
            champion=format_metric_value(metric, outcome["champion_metric_on_fresh"]),
        ),
        experiment_id=outcome["experiment_id"],
    )
    registered = outcome["registered"]
    bar = _("{metric} {value}, bar {bar}").format(
        metric=get_metric_label(metric),
        value=format_metric_value(metric, gate["value"]),
        bar=format_metric_value(metric, gate["threshold"]),
    )
    if registered is None:
        failed = " ".join(c["sentence"] for c in gate.get("checks", []) if not c["passed"]) or f"{bar}."
        sentence = _(
            "The retrained model does not pass the gate: {failed} Nothing is released; the champion stays."
        ).format(failed=failed)
        event("gate", "failed", sentence, experiment_id=outcome["experiment_id"])
        return {"round": number, "verdict": "gate failed", "sentence": sentence}
    challenger = f"{registered['model']} v{registered['version']}"
    event(
        "gate",
        "passed",
        _("The retrained model passes the gate ({bar}) and is registered as challenger {candidate}.").format(
            bar=bar, candidate=challenger
        ),
        experiment_id=outcome["experiment_id"],
        model=registered["model"],
        version=registered["version"],
    )

    step(
        "release",
        0.6,
        (
            _("releasing {candidate} as a canary…")
            if policy.release == "canary"
            else _("releasing {candidate} as a shadow…")
        ).format(candidate=challenger),
    )
    ramp = "→".join(format_as(s, "g") for s in policy.steps)
    event(
        "release",
        "started",
        _("{candidate} goes out as a canary: {ramp}% of the traffic, each step only while the guardrails hold.").format(
            candidate=challenger, ramp=ramp
        )
        if policy.release == "canary"
        else _("{candidate} goes out as a shadow: it scores every request without answering.").format(
            candidate=challenger
        ),
        model=registered["model"],
        version=registered["version"],
    )
    result = stage_rollout(
        ws,
        pid,
        policy.release,
        model_name=registered["model"],
        steps=policy.steps,
        scenario=policy.scenario,
        seed=policy.seed + 1000 + number,
        progress=lambda f, m: progress(
            ((number - 1) + 0.6 + 0.35 * f) / policy.rounds, _("Round {n}: {step}").format(n=number, step=m)
        ),
    )
    event("evidence", "collected", result["sentence"], deployment_id=result["deployment_id"])
    promoted = _apply_verdict(ws, pid, policy, registered, result)
    live_sentence = _settle(ws, run)  # the next round starts on the champion alone
    if promoted:
        sentence = _("Promoted: {candidate} is the champion now; the next round watches it. {live}").format(
            candidate=challenger, live=live_sentence
        )
    else:
        sentence = (
            _("Rejected by the canary ({verdict}): the champion stays. {live}")
            if policy.release == "canary"
            else _("Rejected by the shadow ({verdict}): the champion stays. {live}")
        ).format(verdict=result["verdict"], live=live_sentence)
    event(
        "verdict",
        "promoted" if promoted else "rejected",
        sentence,
        model=registered["model"],
        version=registered["version"],
        deployment_id=result["deployment_id"],
    )
    return {"round": number, "verdict": "promoted" if promoted else "rejected", "sentence": sentence,
            "version": registered["version"], "rollout_verdict": result["verdict"]}  # fmt: skip


def _decide(policy: AutopilotPolicy, recommended: bool, windows_since: int) -> tuple[bool, str]:
    """Whether this round retrains, and why, in a sentence."""
    if policy.trigger == "manual":
        return False, (
            _(
                "The policy is manual: the autopilot does not retrain by itself although monitoring recommends it; "
                "retrain with the Retrain button."
            )
            if recommended
            else _("The policy is manual: the autopilot does not retrain by itself; retrain with the Retrain button.")
        )
    if policy.trigger == "schedule":
        if windows_since >= policy.every_windows:
            return True, _(
                "{n} windows since the last retraining: the schedule (every {every}) retrains now, whatever "
                "monitoring says."
            ).format(n=windows_since, every=policy.every_windows)
        return False, _("{n} of the {every} windows the schedule waits for before retraining.").format(
            n=windows_since, every=policy.every_windows
        )
    if recommended:
        return True, _("Monitoring recommends retraining, and the policy retrains on alert: retraining now.")
    return False, _("Monitoring does not recommend retraining: the champion keeps serving, the next round watches on.")


def _apply_verdict(ws, project_id: int, policy: AutopilotPolicy, registered: dict, result: dict) -> bool:
    """Act on the rollout's own verdict. A completed canary was promoted by the rollout itself and a
    failed one rolled back; a shadow that would have done better is promoted with its evidence, any
    other shadow verdict rejects the challenger. Returns whether the challenger is champion now."""
    if policy.release == "canary":  # "promoted" is False when the registry's policy held it for a reviewer
        return result["verdict"] == "promote" and result.get("promoted", True)
    if result["verdict"] == "promote the shadow":
        try:
            stage_promote_shadow(ws, project_id, result["deployment_id"], registered["model"])
        except ApprovalRequiredError:  # the registry's policy filed a request a reviewer approves
            return False
        return True
    return False


def _settle(ws, run: dict) -> str:
    """Leave the endpoint serving the registry's champion alone when this run made the live deployment
    (a canary, a shadow) or the live one is not the champion (a promotion cut short). Returns what
    serves now, in a sentence."""
    pid = run["project_id"]
    live = serving.get_active_deployment(ws, pid)
    if live is None:
        return serving.describe_live(ws, pid)
    name = registry.get_version(ws, live["champion_version_id"])["model_name"]
    champion = registry.get_alias_version(ws, pid, name, "champion")
    made_here = run["start_deployment_id"] is None or live["id"] > run["start_deployment_id"]
    if champion is not None and (
        live["champion_version_id"] != champion["id"] or (made_here and live["routing"].strategy != "single")
    ):
        stage_deploy(ws, pid, RoutingConfig("single"), model_name=name, reason="autopilot: the champion alone")
    return serving.describe_live(ws, pid)


#: A round's verdict code (stored, read by the CLI) and how it reads.
ROUND_VERDICTS = {
    "promoted": N_("promoted"),
    "rejected": N_("rejected"),
    "gate failed": N_("gate failed"),
    "no retraining": N_("no retraining"),
}


def _final(rounds: list[dict], status: str, state: dict, live: str, error: str) -> tuple[str, str]:
    """The run's verdict and its sentence."""
    done = "; ".join(
        _("round {n}: {verdict}").format(n=r["round"], verdict=_(ROUND_VERDICTS.get(r["verdict"], r["verdict"])))
        for r in rounds
    )
    done = f" ({done})" if done else ""
    promoted = [r for r in rounds if r["verdict"] == "promoted"]
    if status == "failed":
        return "error", _(
            "The autopilot ended with an error in round {round} at the '{step}' step: {error} Nothing is left "
            "half-done. {live}"
        ).format(round=state["round"], step=state["step"], error=error, live=live)
    if status == "stopped":
        return (
            "stopped",
            ngettext(
                "Stopped on request after {n} full round{done}. {live}",
                "Stopped on request after {n} full rounds{done}. {live}",
                len(rounds),
            ).format(n=len(rounds), done=done, live=live),
        )
    verdict = "promoted" if promoted else (rounds[-1]["verdict"] if rounds else "no retraining")
    return verdict, ngettext(
        "Autopilot finished {n} round{done}. {live}", "Autopilot finished {n} rounds{done}. {live}", len(rounds)
    ).format(n=len(rounds), done=done, live=live)


def with_overrides(policy: AutopilotPolicy, **overrides: Any) -> AutopilotPolicy:
    """The policy with the given fields replaced (None leaves a field as it is), validated."""
    return replace(policy, **{k: v for k, v in overrides.items() if v is not None}).validate()
