"""`mlops-studio autopilot --project P [--rounds N] [--scenario S] [--release shadow|canary]
[--trigger alert|schedule|manual] [--json] [--stop]`: the retraining loop run unattended, its timeline
printed as it happens (with --json: one object, the events and the final verdict, at the end). Ctrl-C
stops the run after its current step, cleanly; --stop asks a run started elsewhere (the app) to stop."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from core.workspace.jsonable import dumps

POLL_SECONDS = 0.5


def add_parser(sub: Any) -> None:
    from core.monitoring.autopilot import RELEASES, TRIGGERS
    from core.monitoring.simulation import SCENARIOS

    parser = sub.add_parser("autopilot", help="run the retraining loop unattended and print its timeline")
    parser.add_argument("--project", required=True, help="project name or id, as `run` prints it")
    parser.add_argument("--workspace")
    parser.add_argument("--rounds", type=int, help="rounds at most (default: the project's policy, else 2)")
    parser.add_argument("--scenario", choices=list(SCENARIOS), help="traffic scenario (default: the policy's)")
    parser.add_argument("--release", choices=list(RELEASES), help="release the challenger as (default: the policy's)")
    parser.add_argument("--trigger", choices=list(TRIGGERS), help="when to retrain (default: the policy's)")
    parser.add_argument("--stop", action="store_true", help="ask the project's running autopilot to stop, and exit")
    parser.add_argument("--json", action="store_true", help="print one JSON object: events and the final verdict")


def run(args: argparse.Namespace) -> int:
    from core.monitoring import autopilot as timeline
    from core.stages.autopilot import get_autopilot, start_autopilot, stop_autopilot, with_overrides
    from core.workspace import jobs
    from core.workspace.database import Workspace
    from core.workspace.projects import resolve_project

    if args.rounds is not None and not 1 <= args.rounds <= timeline.MAX_ROUNDS:
        from core.workspace.errors import ConfigError

        raise ConfigError(f"--rounds must be a whole number from 1 to {timeline.MAX_ROUNDS}; got {args.rounds}.")
    ws = Workspace(args.workspace)
    project = resolve_project(ws, args.project)
    pid = project["id"]
    if args.stop:
        sentence = stop_autopilot(ws, pid)
        print(dumps({"project": project["name"], "message": sentence}) if args.json else sentence)
        return 0
    policy = with_overrides(
        timeline.get_policy(ws, pid),
        rounds=args.rounds,
        scenario=args.scenario,
        release=args.release,
        trigger=args.trigger,
    )
    run_row = start_autopilot(ws, pid, policy)
    shown = 0
    while True:
        try:
            job = jobs.get_job(ws, run_row["job_id"])
            events = timeline.get_events(ws, run_row["id"])
            if not args.json:
                for event in events[shown:]:
                    print(format_event(event), flush=True)
            shown = len(events)
            if job["status"] != "running":
                break
            time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:  # stop cleanly after the current step, then print how it ended
            jobs.request_stop(ws, run_row["job_id"])
            print("Stopping after the current step…", file=sys.stderr)
    final = get_autopilot(ws, pid) or run_row
    events = timeline.get_events(ws, run_row["id"])
    if not args.json:
        for event in events[shown:]:
            print(format_event(event))
    else:
        print(
            dumps(
                {
                    "project": project["name"],
                    "run_id": final["id"],
                    "status": final["status"],
                    "verdict": final["verdict"],
                    "sentence": final["sentence"],
                    "policy": policy.to_dict(),
                    "events": events,
                }
            )
        )
    if final["status"] == "failed":
        print(f"error: {final['sentence']}", file=sys.stderr)
        return 2
    return 0


def format_event(event: dict[str, Any]) -> str:
    from core.monitoring.autopilot import describe_links

    links = describe_links(event["links"])
    return f"round {event['round']} {event['step']:<8} {event['status']:<11} {event['sentence']}" + (
        f"  [{links}]" if links else ""
    )
