"""`mlops-studio erase --project P --column C --value V [--workspace DIR] [--json] [--yes]`: the right to
erasure, headless (core/security/erasure.py): the person whose column C holds V is removed from every
dataset, table artifact and prediction log of the workspace; the output says how many rows went where
and which model versions were trained on data that held them (to retrain: erasure does not). The value
is never printed or stored; the audit entry keeps a keyed hash of it."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    erase = sub.add_parser("erase", help="erase one person (by an id column and its value) from the workspace")
    erase.add_argument("--project", required=True, help="project name or id, as `run` prints it")
    erase.add_argument("--column", required=True, help="the column that identifies the person (e.g. email, cpf)")
    erase.add_argument("--value", required=True, help="the person's value in that column")
    erase.add_argument("--workspace")
    erase.add_argument("--json", action="store_true", help="print one JSON object with the counts")


def run(args: argparse.Namespace) -> int:
    from core.security.erasure import erase_entity
    from core.workspace.database import Workspace
    from core.workspace.jsonable import dumps
    from core.workspace.projects import resolve_project

    ws = Workspace(args.workspace)
    project = resolve_project(ws, args.project)
    result = erase_entity(ws, int(project["id"]), args.column, args.value)
    out = {"project": project["name"], **result.to_dict(), "found": result.found}
    print(dumps(out) if args.json else format_result(out))
    return 0


def format_result(out: dict[str, Any]) -> str:
    if not out["found"]:
        return (
            f"erase: nothing in the workspace holds that {out['column']}; nothing was changed (the request is audited)."
        )
    lines = [
        f"erased the person with that {out['column']} (audit hash {out['value_hash'][:12]}):",
        f"  datasets: {out['dataset_rows']} row(s) from {len(out['datasets'])} version(s)",
        f"  other tables (holdouts, feature store, traffic, uploads): {out['artifact_rows']} row(s)",
        f"  prediction log: {out['log_rows']} row(s) had their inputs erased",
        f"  other text in the database: {out['text_cells']} cell(s)",
    ]
    models = out["models_to_retrain"]
    if models:
        names = ", ".join(
            f"{m['name']} v{m['version']}" + (" (holds the value)" if m["holds_value"] else "") for m in models
        )
        lines.append(f"  trained on data that held them, NOT retrained (retrain to forget them): {names}")
    return "\n".join(lines)
