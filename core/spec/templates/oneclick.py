"""One-click deploy (the case study's): a spec run to a monitored deployment in the project Home made
from it with ``create_project_from_spec``, on the table that project holds.

``core.spec.run_spec`` replays a spec in a NEW project from the spec's file; Home makes the project
first (so the running job belongs to it and a refresh finds it) and the table may have been uploaded
(no file is left on the server). This runs the same replay — the pipeline's steps with the spec's
choices (``core.spec.replay.spec_steps``) — in that project, on its newest raw table, which it reuses
instead of saving the table again (cleaning runs again: the summary reports what it did).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core import pipeline
from core.data import datasets
from core.data.reader import ReadInfo
from core.i18n import _
from core.problem.store import get_problem
from core.spec import convert
from core.spec.apply import require_target
from core.spec.models import PipelineSpec
from core.spec.replay import pipeline_config, spec_steps
from core.workspace import projects
from core.workspace.database import Workspace
from core.workspace.errors import NotFoundError
from core.workspace.progress import Progress, no_progress


def run_in_project(
    ws: Workspace, spec: PipelineSpec, project_id: int, *, progress: Progress = no_progress
) -> dict[str, Any]:
    """Train, tune, gate, register, deploy and monitor as ``spec`` says, in ``project_id`` on its newest
    raw table (a spec without a target, the blank template's, takes the project's). Returns the
    pipeline's JSON summary (as ``run_spec``)."""
    convert.check_spec(spec)
    project = projects.get_project(ws, project_id)
    raw = datasets.latest_dataset(ws, project_id, "raw")
    if raw is None:
        raise NotFoundError(
            _("Project {name} has no table yet; load one on the Data page first.").format(name=project["name"])
        )
    df = datasets.load_dataset(ws, raw["id"])
    read_info = datasets.load_read_info(ws, raw["id"])
    info = ReadInfo.from_dict(read_info) if read_info else None
    if not spec.problem.target:  # the blank template: the target was chosen when the project was made
        problem = get_problem(ws, project_id)
        if problem is not None:
            spec = spec.model_copy(update={"problem": spec.problem.model_copy(update={"target": problem.target})})
    target = require_target(spec, df)
    convert.check_against(spec, df, target)

    def reuse_raw(run: pipeline.PipelineRun) -> None:  # the table is in the project already
        run.raw_id = int(raw["id"])

    steps = tuple(replace(step, work=reuse_raw) if step.key == "data" else step for step in spec_steps(spec, target))
    return pipeline.run_pipeline(
        ws,
        df,
        info,
        pipeline_config(spec, target, project["name"]),
        progress=progress,
        source_name=raw["name"],
        recipe=convert.cleaning_recipe(spec),
        project_id=project_id,
        steps=steps,
        train_config=convert.train_config(spec),
    )
