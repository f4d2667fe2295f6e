"""`mlops-studio deploy | promote | rollback`: the Deploy stage headless. core/cli.py holds the
parsers' lines and hands these commands here.

- `deploy --project P --strategy canary|ab|shadow|blue_green|single [--steps 5,25,50,100] [--share X]
  [--policy reject|flag|review] [--simulate N] [--scenario S] [--json]`: deploys the champion (and the
  challenger) with that strategy and validation policy (by default the live one's, else flag); with
  --simulate N, runs the strategy on N simulated requests with delayed labels and prints its verdict
  and evidence (the rollout keeps the live policy).
- `register --project P --run R [--alias challenger|champion|none] [--reason TEXT] [--json]`: registers
  a run (its id, or its model's name or key in the latest experiment) as a new version with that alias
  (challenger by default); a run that is not the gate's passing best needs a written --reason.
- `promote --project P [--model M] [--json]`: the challenger becomes champion and serves at once; when
  the project's registry policy asks for a reviewer's approval (the default), only a challenger with an
  approved promotion request (requested and approved on the Registry page) is promoted, else exit 2.
- Each takes `--as NAME`: who does it, for the audit log (default: the operating-system user).
- `rollback --project P [--model M] [--json]`: undo the last change of what answers: a blue-green
  deployment with green live switches back to blue; a canary or A/B test goes back to the champion
  alone; otherwise the previous champion is champion again.
"""

from __future__ import annotations

import argparse
from typing import Any

COMMANDS = ("deploy", "register", "promote", "rollback")
POLICY_CHOICES = ["reject", "flag", "review"]
ALIAS_CHOICES = ["challenger", "champion", "none"]
SCENARIO_CHOICES = ["none", "gradual", "sudden", "new_category", "concept", "bad_challenger"]


def add_parsers(sub: Any) -> None:
    """The three commands' arguments (called by core.cli.build_parser)."""
    deploy = sub.add_parser("deploy", help="deploy with a strategy; --simulate N runs it to a verdict")
    _common(deploy)
    deploy.add_argument(
        "--strategy", required=True, choices=["canary", "ab", "shadow", "blue_green", "single"], help="routing strategy"
    )
    deploy.add_argument("--steps", help="canary ramp, percent of traffic per step (default 5,25,50,100)")
    deploy.add_argument("--share", type=float, help="A/B: share of users for the challenger (default 0.5)")
    deploy.add_argument("--simulate", type=int, metavar="N", help="run the strategy on N simulated requests")
    deploy.add_argument(
        "--scenario", default="none", choices=SCENARIO_CHOICES, help="simulated traffic (bad_challenger: a weak one)"
    )
    deploy.add_argument("--label-delay", type=int, default=2, help="batches before a true label arrives (default 2)")
    deploy.add_argument("--label-share", type=float, default=0.6, help="share of answers that get a label (0.6)")
    deploy.add_argument("--seed", type=int, default=0)
    deploy.add_argument(
        "--policy",
        choices=POLICY_CHOICES,
        help="what a row breaking a rule learned from training gets (default: the live deployment's, else flag)",
    )
    register = sub.add_parser("register", help="register a trained run as a new version (challenger by default)")
    _common(register, model=False)
    register.add_argument(
        "--run", required=True, help="the run's id, or its model's name or key in the latest experiment"
    )
    register.add_argument("--alias", default="challenger", choices=ALIAS_CHOICES, help="alias of the new version")
    register.add_argument("--reason", default="", help="why, when the run is not the gate's passing best (audited)")
    for name, text in (("promote", "the challenger becomes champion"), ("rollback", "undo the last change")):
        _common(sub.add_parser(name, help=text))


def _common(parser: argparse.ArgumentParser, model: bool = True) -> None:
    parser.add_argument("--project", required=True, help="project name or id, as `run` prints it")
    if model:
        parser.add_argument("--model", help="model name (default: the model of the project's problem)")
    parser.add_argument("--workspace")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--as", dest="as_name", metavar="NAME", help="who does it, for the audit log (default: the OS user)"
    )


def run_command(args: argparse.Namespace) -> dict[str, Any]:
    """Run deploy, promote or rollback; returns the JSON-able result (see the README's CLI section)."""
    from core.workspace.database import Workspace
    from core.workspace.projects import resolve_project

    ws = Workspace(args.workspace)
    project = resolve_project(ws, args.project)
    if args.command == "deploy":
        result = _deploy(ws, project["id"], args)
    elif args.command == "register":
        result = _register(ws, project["id"], args)
    elif args.command == "promote":
        result = _promote(ws, project["id"], args.model)
    else:
        result = _rollback(ws, project["id"], args.model)
    return {"project": project["name"], **result}


def parse_steps(text: str | None) -> tuple[float, ...]:
    from core.deployment.rollouts.canary import DEFAULT_STEPS
    from core.workspace.errors import ConfigError

    if not text:
        return DEFAULT_STEPS
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(
            f"--steps must be percentages separated by commas, such as 5,25,50,100; got {text!r}."
        ) from None


def _check_strategy_flags(args: argparse.Namespace) -> None:
    """A flag the chosen strategy does not read is an error, not silently ignored: `--share 0.3` with a canary
    would otherwise deploy the ramp's first step, and the user would believe 30% goes to the challenger."""
    from core.workspace.errors import ConfigError

    if args.steps is not None and args.strategy != "canary":
        raise ConfigError(f"--steps sets a canary's ramp; the {args.strategy} strategy has none. Drop --steps.")
    if args.share is not None and args.strategy != "ab":
        hint = " (a canary's traffic comes from --steps)" if args.strategy == "canary" else ""
        raise ConfigError(
            f"--share sets an A/B test's split; the {args.strategy} strategy has none{hint}. Drop --share."
        )
    if args.share is not None and not 0 < args.share < 1:
        raise ConfigError(f"--share must be a number between 0 and 1 (exclusive), such as 0.5; got {args.share:g}.")


def _deploy(ws, project_id: int, args: argparse.Namespace) -> dict[str, Any]:
    from core.deployment import serving
    from core.deployment.rollouts.canary import CanaryPlan
    from core.deployment.rollouts.traffic import LabelPlan
    from core.deployment.routing import RoutingConfig
    from core.stages.release import stage_deploy
    from core.stages.rollout import stage_rollout

    _check_strategy_flags(args)
    steps = parse_steps(args.steps)
    share = 0.5 if args.share is None else args.share
    if args.simulate is not None and args.policy is not None:
        from core.workspace.errors import ConfigError

        raise ConfigError(
            "--policy sets the policy of the deployment made without --simulate; a simulated rollout keeps the "
            "live policy. Deploy with --policy first, then run the simulation."
        )
    if args.simulate is not None:
        summary = stage_rollout(
            ws,
            project_id,
            args.strategy,
            model_name=args.model,
            steps=steps,
            share=share,
            requests=args.simulate,
            scenario=args.scenario,
            labels=LabelPlan(delay=args.label_delay, share=args.label_share),
            seed=args.seed,
        )
        return {**summary, "simulated": True}
    rollout = None
    if args.strategy == "canary":
        plan = CanaryPlan(steps=steps).validate()
        share = steps[0] / 100
        rollout = {"strategy": "canary", "plan": plan.to_dict(), "state": {"step": 0, "status": "deployed"}}
    elif args.strategy != "single":
        rollout = {"strategy": args.strategy, "state": {"status": "deployed"}}
    deployment = stage_deploy(
        ws,
        project_id,
        RoutingConfig(args.strategy, share if args.strategy in ("canary", "ab") else 0.1),
        model_name=args.model,
        reason="deployed from the command line",
        rollout=rollout,
        validation_policy=args.policy,
    )
    sentence = f"Deployed: {serving.describe_deployment(ws, deployment)}."
    return {
        "strategy": args.strategy,
        "scenario": None,
        "simulated": False,
        "verdict": "deployed",
        "sentence": sentence,
        "deployment_id": deployment["id"],
        "live": serving.describe_live(ws, project_id),
        "rollout": rollout,
        "validation_policy": deployment["validation_policy"],
    }


def _register(ws, project_id: int, args: argparse.Namespace) -> dict[str, Any]:
    from core import registry
    from core.stages.release import stage_register

    run = find_run(ws, project_id, args.run)
    existing = registry.get_version_of_run(ws, project_id, int(run["run"]))
    if existing is not None:
        return _alias_existing(ws, project_id, existing, run, args)
    version = stage_register(
        ws, project_id, int(run["run"]), alias=None if args.alias == "none" else args.alias, override_reason=args.reason
    )
    label = registry.version_label(version)
    alias = f" as {args.alias}" if args.alias != "none" else " without an alias"
    return {
        "action": "registered",
        "model": version["model_name"],
        "version": version["version"],
        "alias": None if args.alias == "none" else args.alias,
        "run": int(run["run"]),
        "run_model": run["model"],
        "message": f"Registered run {int(run['run'])} ({run['model']}) as {label}{alias}.",
    }


def _alias_existing(ws, project_id: int, version: dict[str, Any], run: dict[str, Any], args) -> dict[str, Any]:
    """A run registered before (say, a challenger that was promoted and rolled back) is made challenger
    again by pointing the alias at its version: registering it twice would make two versions of one model."""
    from core import registry
    from core.workspace.errors import ConfigError

    label = registry.version_label(version)
    if args.alias == "none":
        raise ConfigError(f"Run {int(run['run'])} ({run['model']}) is already registered as {label}; nothing to do.")
    registry.set_alias(
        ws,
        project_id,
        version["model_name"],
        args.alias,
        version["id"],
        reason=args.reason or "set from the command line",
    )
    return {
        "action": "alias set",
        "model": version["model_name"],
        "version": version["version"],
        "alias": args.alias,
        "run": int(run["run"]),
        "run_model": run["model"],
        "message": f"Run {int(run['run'])} ({run['model']}) was already {label}; {label} is the {args.alias} now.",
    }


def find_run(ws, project_id: int, key: str) -> dict[str, Any]:
    """A run of the project: by id (plain digits), else by its model's name or key in the newest
    experiment (the leaderboard `run` printed)."""
    from core.training import tracking
    from core.workspace.database import parse_id
    from core.workspace.errors import NotFoundError

    runs = tracking.get_runs_df(ws, project_id)
    if runs.empty:
        raise NotFoundError("The project has no trained runs; run the pipeline or train on the Train page first.")
    run_id = parse_id(key)
    if run_id is not None:
        found = runs[runs["run"] == run_id]
    else:
        latest = runs[runs["experiment"] == runs["experiment"].max()]
        wanted = str(key).strip().casefold()
        found = latest[(latest["model"].str.casefold() == wanted) | (latest["key"].str.casefold() == wanted)]
    if found.empty:
        names = ", ".join(runs[runs["experiment"] == runs["experiment"].max()]["key"].astype(str))
        raise NotFoundError(
            f"The project has no run {key!r}; give a run id or one of the newest experiment's models ({names})."
        )
    return found.iloc[0].to_dict()


def _model(ws, project_id: int, model: str | None) -> str:
    from core import registry
    from core.workspace.errors import NotFoundError

    name = model or registry.get_model_name(ws, project_id)
    if name is None:
        raise NotFoundError("The project has no registered model; run the pipeline or register one first.")
    return name


def _promote(ws, project_id: int, model: str | None) -> dict[str, Any]:
    from core.deployment import serving
    from core.stages.release import stage_promote

    name = _model(ws, project_id, model)
    done = stage_promote(ws, project_id, name, reason="promoted from the command line")
    return {
        "action": "promoted",
        "model": name,
        "version": done["version"]["version"],
        "deployment_id": done["deployment"]["id"] if done["deployment"] else None,
        "message": done["message"],
        "live": serving.describe_live(ws, project_id),
    }


def _rollback(ws, project_id: int, model: str | None) -> dict[str, Any]:
    from core import registry
    from core.deployment import serving
    from core.deployment.rollouts import blue_green
    from core.deployment.routing import RoutingConfig
    from core.stages.release import stage_rollback

    name = _model(ws, project_id, model)
    live = serving.get_active_deployment(ws, project_id)
    if live is not None and registry.get_version(ws, live["champion_version_id"])["model_name"] != name:
        live = None  # the endpoint serves another model: roll back this model's champion only
    result: dict[str, Any] = {"model": name, "deployment_id": None, "version": None}
    if live is not None and live["routing"].strategy == "blue_green" and live["routing"].active_color == "green":
        evidence = blue_green.switch(ws, project_id, "blue", reason="rollback from the command line")
        result |= {
            "action": "switched back",
            "deployment_id": live["id"],
            "message": f"Switched back to blue in {evidence['switch_ms']:.1f} ms: the champion answers every request.",
        }
    elif live is not None and live["routing"].strategy in ("canary", "ab"):
        back = serving.create_deployment(
            ws,
            project_id,
            RoutingConfig("single"),
            live["champion_version_id"],
            None,
            reason=f"rollback of {live['routing'].strategy} deployment {live['id']} from the command line",
        )
        result |= {
            "action": "champion alone",
            "deployment_id": back["id"],
            "message": f"The {live['routing'].strategy} test stopped: the champion answers every request again.",
        }
    else:
        done = stage_rollback(ws, project_id, name, reason="rollback from the command line")
        result |= {
            "action": "previous champion",
            "version": done["version"]["version"],
            "deployment_id": done["deployment"]["id"] if done["deployment"] else None,
            "message": done["message"],
        }
    result["live"] = serving.describe_live(ws, project_id)
    return result


def format_result(result: dict[str, Any]) -> str:
    """The plain-text answer: the verdict sentence, then what serves now."""
    lines = [f"{result.get('verdict') or result.get('action')}: {result.get('sentence') or result.get('message')}"]
    for step in (result.get("evidence") or {}).get("steps", []):
        checks = "; ".join(f"{c['guardrail']} {'ok' if c['holds'] else 'FAILED'}" for c in step["checks"])
        lines.append(f"  step {step['step']} at {step['share']:g}%: {step['requests']} requests; {checks}")
    lines.append(result.get("live", ""))
    return "\n".join(line for line in lines if line)
