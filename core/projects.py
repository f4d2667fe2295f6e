"""Projects: a name, a problem definition, and everything made from them."""
from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from core.errors import ConfigError, NotFoundError
from core.problem import ProblemConfig
from core.workspace import Workspace, now

MAX_NAME = 60
_NAME_RE = re.compile(r"^[\w .\-()]{1,60}$")

STAGES = ("problem", "data", "features", "train", "explain", "registry", "deploy", "monitor")


def validate_project_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME_RE.match(name):
        raise ConfigError(
            f"The project name must be 1 to 60 letters, digits, spaces or . - _ ( ); got {name!r} instead."
        )
    return name


def create_project(ws: Workspace, name: str, source: str = "") -> dict[str, Any]:
    name = validate_project_name(name)
    try:
        return _insert_project(ws, name, source)
    except sqlite3.IntegrityError:
        raise ConfigError(f"A project named '{name}' already exists; open it or choose another name.") from None


def _insert_project(ws: Workspace, name: str, source: str) -> dict[str, Any]:
    with ws.transaction() as conn:
        cur = conn.execute("INSERT INTO projects (name, created_at, source) VALUES (?, ?, ?)", (name, now(), source))
        ws.audit(conn, cur.lastrowid, "project.created", {"name": name})
    return get_project(ws, name)


def project_name_from(text: str) -> str:
    """A valid project name made from free text (a file name, say): invalid characters become
    spaces, the result is cut to fit."""
    cleaned = " ".join(re.sub(r"[^\w .\-()]", " ", text or "").split())[:MAX_NAME]
    return cleaned.strip() or "project"


def _name_candidates(base: str):
    """``base``, ``base (2)``, ``base (3)``…, each cut to stay a valid name."""
    base = project_name_from(base)
    yield base
    n = 2
    while True:
        suffix = f" ({n})"
        yield base[: MAX_NAME - len(suffix)].rstrip() + suffix
        n += 1


def create_unique_project(ws: Workspace, base: str, source: str = "") -> dict[str, Any]:
    """Create a project named ``base`` or the first free ``base (n)``. Claiming the name is the
    insert itself, so two runs started at once (two CLI calls, two students) never collide."""
    taken = {p["name"] for p in list_projects(ws)}
    for name in _name_candidates(base):
        if name in taken:
            continue
        try:
            return _insert_project(ws, name, source)
        except sqlite3.IntegrityError:  # taken between the listing and the insert: try the next one
            taken.add(name)
    raise AssertionError("unreachable: the candidates never run out")


def list_projects(ws: Workspace) -> list[dict[str, Any]]:
    return ws.query("SELECT * FROM projects ORDER BY created_at DESC, id DESC")


def get_project(ws: Workspace, key: int | str) -> dict[str, Any]:
    """By id (an int) or by name (a str: "2024" is a name, not an id)."""
    if isinstance(key, int):
        row = ws.query_one("SELECT * FROM projects WHERE id = ?", (key,))
    else:
        row = ws.query_one("SELECT * FROM projects WHERE name = ?", (key,))
    if row is None:
        raise NotFoundError(f"Project '{key}' does not exist; create it on the Home page or pick another.")
    return row


def set_problem(ws: Workspace, project_id: int, problem: ProblemConfig) -> None:
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE projects SET problem_json = ? WHERE id = ?", (json.dumps(problem.to_dict()), project_id)
        )
        ws.audit(conn, project_id, "problem.set", problem.to_dict())


def get_problem(ws: Workspace, project_id: int) -> ProblemConfig | None:
    row = get_project(ws, project_id)
    return ProblemConfig.from_dict(json.loads(row["problem_json"])) if row["problem_json"] else None


def get_stage_status(ws: Workspace, project_id: int) -> dict[str, bool]:
    """Which stages have produced something for this project (for the pipeline diagram)."""
    def exists(sql: str) -> bool:
        return ws.query_one(sql, (project_id,)) is not None

    return {
        "data": exists("SELECT 1 FROM datasets WHERE project_id = ? AND kind = 'cleaned'"),
        "problem": get_project(ws, project_id)["problem_json"] is not None,
        "features": exists("SELECT 1 FROM feature_sets WHERE project_id = ?"),
        "train": exists("SELECT 1 FROM experiments WHERE project_id = ?"),
        "explain": exists(
            "SELECT 1 FROM explanations e JOIN runs r ON r.id = e.run_id WHERE r.project_id = ?"
        ),
        "registry": exists("SELECT 1 FROM model_versions WHERE project_id = ?"),
        "deploy": exists("SELECT 1 FROM deployments WHERE project_id = ?"),
        "monitor": exists("SELECT 1 FROM monitoring_reports WHERE project_id = ?"),
    }
