"""Where a problem definition is kept: the project's current one, and the one an experiment was
trained on (a model version's is frozen in the registry: registry.get_version_problem)."""

from __future__ import annotations

import json
from typing import Any

from core.problem.definition import ProblemConfig
from core.workspace.database import Workspace
from core.workspace.projects import get_project


def set_problem(ws: Workspace, project_id: int, problem: ProblemConfig) -> None:
    """Save the project's problem definition (the audit log keeps every change)."""
    with ws.transaction() as conn:
        conn.execute("UPDATE projects SET problem_json = ? WHERE id = ?", (json.dumps(problem.to_dict()), project_id))
        ws.audit(conn, project_id, "problem.set", problem.to_dict())


def get_problem(ws: Workspace, project_id: int) -> ProblemConfig | None:
    """The project's current problem definition, or None before one is set."""
    row = get_project(ws, project_id)
    return ProblemConfig.from_dict(json.loads(row["problem_json"])) if row["problem_json"] else None


def get_experiment_problem(experiment: dict[str, Any]) -> ProblemConfig:
    """The problem an experiment was trained on (an experiment row from core.training.tracking)."""
    return ProblemConfig.from_dict(json.loads(experiment["problem_json"]))
