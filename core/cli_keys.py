"""`mlops-studio keys create|revoke|list --project P` (the endpoint's API keys) and
`mlops-studio password set|clear` (the optional workspace password). A key is printed once, when it is
made; the workspace keeps only its hash. `password set` reads the password from the terminal (or one
line of stdin when it is not a terminal), never from the command line, where `ps` and the shell's
history would show it."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

COMMANDS = ("keys", "password")


def add_parsers(sub: Any) -> None:
    keys = sub.add_parser("keys", help="create, revoke or list a project's API keys for its HTTP endpoint")
    actions = keys.add_subparsers(dest="keys_action", required=True)
    create = actions.add_parser("create", help="make a key (printed once: copy it now)")
    create.add_argument("--name", help="what the key is for (a client, a student)")
    create.add_argument("--rate-limit", help="requests allowed per window, e.g. 600/minute (default 600/minute)")
    revoke = actions.add_parser("revoke", help="revoke a key: the endpoint refuses it from the next request")
    revoke.add_argument("--key-id", required=True, type=int, help="the key's id, as `keys list` shows it")
    listed = actions.add_parser("list", help="the project's keys (never the keys themselves) and their use")
    for parser in (create, revoke, listed):
        parser.add_argument("--project", required=True, help="project name or id, as `run` prints it")
        parser.add_argument("--workspace")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    password = sub.add_parser("password", help="set or clear the workspace password (off by default)")
    steps = password.add_subparsers(dest="password_action", required=True)
    for name, text in (("set", "set or change it: sessions sign in"), ("clear", "remove it: no sign-in")):
        step = steps.add_parser(name, help=text)
        step.add_argument("--workspace")


def run_command(args: argparse.Namespace) -> int:
    from core.workspace.database import Workspace, dumps

    ws = Workspace(args.workspace)
    if args.command == "password":
        return _password(ws, args.password_action)
    from core.security import keys
    from core.workspace.projects import resolve_project

    project = resolve_project(ws, args.project)
    pid = int(project["id"])
    out: dict[str, Any]
    if args.keys_action == "create":
        key, row = keys.create_key(ws, pid, args.name, args.rate_limit)
        out = {"project": project["name"], "key_id": row["id"], "name": row["name"], "key": key,
               "rate_limit": row["rate_limit"]}  # fmt: skip
        text = (
            f"API key {row['id']} ({row['name']}) of project {project['name']}:\n{key}\n"
            "Copy it now: it is not shown again (the workspace keeps only its hash). "
            "Send it as 'Authorization: Bearer <key>'."
        )
    elif args.keys_action == "revoke":
        row = keys.revoke_key(ws, pid, args.key_id)
        out = {"project": project["name"], "key_id": row["id"], "name": row["name"], "revoked": True}
        text = f"API key {row['id']} ({row['name']}) of project {project['name']} is revoked."
    else:
        df = keys.list_keys(ws, pid)
        records = df.to_dict(orient="records")
        out = {"project": project["name"], "keys": records}
        text = (
            "\n".join(
                f"{r['id']:>4}  {r['prefix']}…  {r['name']}  "
                f"{'revoked' if r['revoked_at'] is not None else 'active'}  "
                f"{r['requests']} request(s), {r['rows']} row(s)  limit {r['rate_limit'] or 'default'}"
                for r in records
            )
            or f"Project {project['name']} has no API keys; create one with `mlops-studio keys create`."
        )
    print(dumps(out) if args.json else text)
    return 0


def _password(ws: Any, action: str) -> int:
    from core.security import password

    if action == "clear":
        removed = password.clear_password(ws)
        print("The workspace password is removed." if removed else "The workspace had no password.")
        return 0
    if sys.stdin.isatty():
        first = getpass.getpass("New workspace password: ")
        if getpass.getpass("Again: ") != first:
            from core.workspace.errors import ConfigError

            raise ConfigError("The two passwords differ; nothing was changed.")
    else:
        first = sys.stdin.readline().rstrip("\r\n")
    password.set_password(ws, first)
    print("The workspace password is set: every session of the studio signs in with it.")
    return 0
