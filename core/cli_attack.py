"""`mlops-studio attack extract --project P [--queries N] [--key K] [--workspace W] [--json]`: the model
extraction demo, headless. It asks the project's endpoint (in process, with its own key) N questions
drawn uniformly over the inputs' ranges, trains a copy on the answers, prints the copy's fidelity on
held-out rows and the extraction monitor's verdict per key. ``--json`` prints one object:
``{"project", "key", "queries", "answered", "fidelity", "majority_share", "flagged", "report": [...]}``.

`mlops-studio attack evasion --project P [--budget F] [--max-rows N] [--json]`: the share of the deployed
model's rejected holdout rows a change of at most F of each mutable number's spread (and any category
change) flips, with the cheapest flip.
"""

from __future__ import annotations

import argparse
from typing import Any

COMMANDS = ("extract", "evasion")


def add_parser(sub: Any) -> None:
    attack = sub.add_parser("attack", help="show an attack on a project's deployed model: extract, evasion")
    kinds = attack.add_subparsers(dest="attack", required=True)
    extract = kinds.add_parser("extract", help="copy the deployed model through its endpoint; show the alert")
    extract.add_argument("--project", required=True, help="project name or id, as `run` prints it")
    extract.add_argument("--queries", type=int, default=2000, help="questions to ask (100-20000; default 2000)")
    extract.add_argument("--key", default="extraction-demo", help="the key the demo asks with")
    evasion = kinds.add_parser("evasion", help="how easily a rejected row flips within a budget")
    evasion.add_argument("--project", required=True, help="project name or id, as `run` prints it")
    evasion.add_argument("--budget", type=float, default=0.1, help="fraction of each number's spread (default 0.1)")
    evasion.add_argument("--max-rows", type=int, default=40, help="rejected rows to try (default 40)")
    evasion.add_argument("--desired", help="the decision the attacker wants (default: the positive class)")
    for command in (extract, evasion):
        command.add_argument("--workspace")
        command.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from core.workspace.database import Workspace
    from core.workspace.jsonable import dumps
    from core.workspace.projects import resolve_project

    ws = Workspace(args.workspace)
    project = resolve_project(ws, args.project)
    if args.attack == "extract":
        result = extract(ws, int(project["id"]), args.queries, args.key)
        result = {"project": project["name"], **result}
        print(dumps(result) if args.json else format_extraction(result))
        return 0
    result = evasion(ws, int(project["id"]), args.budget, args.max_rows, args.desired)
    result = {"project": project["name"], **result}
    print(dumps(result) if args.json else format_evasion(result))
    return 0


def extract(ws: Any, project_id: int, queries: int, key: str) -> dict[str, Any]:
    from core.security.attacks_extraction import run_extraction_demo

    saved = run_extraction_demo(ws, project_id, queries, key=key)
    return {k: saved[k] for k in ("key", "queries", "answered", "fidelity", "majority_share", "flagged", "report")}


def evasion(ws: Any, project_id: int, fraction: float, max_rows: int, desired: str | None) -> dict[str, Any]:
    from core.security import attacks

    deployed = attacks.load_deployed(ws, project_id)
    budget = attacks.suggested_budget(deployed, fraction)
    saved = attacks.stage_evasion(ws, project_id, budget, desired_class=desired, max_rows=max_rows)
    result = saved["result"]
    return {
        "desired": result["desired"],
        "attacked": result["attacked"],
        "tried": result["tried"],
        "flipped": result["flipped"],
        "rate": result["rate"],
        "cheapest": result["flips"][0] if result["flips"] else None,
        "budget": result["budget"],
    }


def format_extraction(result: dict[str, Any]) -> str:
    lines = [
        f"asked {result['answered']} of {result['queries']} questions as key {result['key']}",
        f"copy agrees with the model on {100 * result['fidelity']:.1f}% of held-out rows "
        f"(always answering the commonest decision would agree on {100 * (result['majority_share'] or 0):.1f}%)",
        f"alert for key {result['key']}: {'FIRED' if result['flagged'] else 'not fired'}",
        "",
        *(f"[{row['severity'] or 'ok'}] {row['sentence']}" for row in result["report"]),
    ]
    return "\n".join(lines)


def format_evasion(result: dict[str, Any]) -> str:
    lines = [
        f"{result['flipped']} of {result['tried']} rejected rows tried flip to '{result['desired']}' "
        f"({result['attacked']} rejected in the holdout)"
    ]
    cheapest = result["cheapest"]
    if cheapest:
        changes = ", ".join(f"{f}: {b} -> {a}" for f, b, a in cheapest["changes"])
        lines.append(f"cheapest flip: {changes}")
    return "\n".join(lines)
