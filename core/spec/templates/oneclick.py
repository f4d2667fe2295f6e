"""One-click deploy (the case study's): a spec run to a monitored deployment in the project Home made
from it with ``create_project_from_spec``, on the table that project holds — one call,
``run_spec(..., project_id=)``, which reuses the project's raw and cleaned versions instead of saving
them again.
"""

from __future__ import annotations

from typing import Any

from core.spec.models import PipelineSpec
from core.spec.replay import run_spec
from core.workspace.database import Workspace
from core.workspace.progress import Progress, no_progress


def run_in_project(
    ws: Workspace, spec: PipelineSpec, project_id: int, *, progress: Progress = no_progress
) -> dict[str, Any]:
    """Train, tune, gate, register, deploy and monitor as ``spec`` says, in ``project_id`` on its newest
    raw table (a spec without a target, the blank template's, takes the project's). Returns the
    pipeline's JSON summary (as ``run_spec``)."""
    return run_spec(ws, spec, project_id=project_id, progress=progress)
