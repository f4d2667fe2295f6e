"""A new project from a spec, as if its choices had been made in the UI: the table read with the spec's
options, the cleaning recipe applied, the problem, the feature set, the alert rules and the retraining
policy saved. Nothing is trained (the Train page, or ``run_spec``, does that)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core.data import datasets
from core.data.reader import ReadInfo, read_path, read_table
from core.i18n import _
from core.monitoring import autopilot
from core.monitoring.rule_store import save_rules
from core.spec import convert
from core.spec.errors import SpecError
from core.spec.io import spec_to_dict
from core.spec.models import PipelineSpec, UploadSource
from core.stages.data import stage_clean, stage_features, stage_ingest, stage_problem
from core.workspace import projects
from core.workspace.database import Workspace
from core.workspace.errors import StudioError

#: The audit-log action that keeps the spec a project was made from (its deployment strategy, description
#: and training settings live there until the project chooses otherwise).
APPLIED_ACTION = "spec.applied"


@dataclass(frozen=True)
class SpecData:
    """The table a spec reads: its rows, how it was read and the name it is saved under."""

    df: pd.DataFrame
    info: ReadInfo
    source_name: str
    path: Path
    upload: bytes | None = None  # an uploaded file's own bytes (kept with the raw dataset, as the Data page does)
    note: str | None = None  # e.g. the table given is not the uploaded file the spec was made from


def read_spec_data(
    spec: PipelineSpec,
    data_path: str | Path | None = None,
    *,
    data_bytes: bytes | None = None,
    data_name: str | None = None,
) -> SpecData:
    """The spec's table: an uploaded file's ``data_bytes`` (named ``data_name``) or ``data_path`` when given
    (a CI job's new data), else ``data.source`` (a path or ``sample:<name>``), read with the spec's options.
    A spec made from an uploaded file (``source: {upload, sha256}``) needs the table given; one with other
    contents than the upload's is read, with a ``note`` saying so."""
    options = convert.read_options(spec)
    source = spec.data.source
    if data_bytes is not None:
        name = data_name or "uploaded table"
        df, info = read_table(data_bytes, options)
        return SpecData(df, info, name, Path(name), upload=data_bytes, note=_upload_note(source, data_bytes, name))
    if data_path is not None:
        path = Path(data_path)
    elif isinstance(source, UploadSource):
        raise SpecError(
            _(
                "data.source: this spec was made from an uploaded file ({name}), which is not a path to read; "
                "give the table with --data."
            ).format(name=source.upload),
            "data.source",
        )
    elif source:
        path = convert.sample_path(source) or Path(source)
    else:
        raise SpecError(_("data.source: is empty; name the table in the spec or give it with --data."), "data.source")
    df, info = read_path(path, options)
    note = _upload_note(source, path.read_bytes(), path.name) if isinstance(source, UploadSource) else None
    return SpecData(df, info, path.name, path, note=note)


def _upload_note(source: Any, content: bytes, name: str) -> str | None:
    """A sentence when the table given is not the uploaded file the spec was made from (its hash differs)."""
    if not isinstance(source, UploadSource) or source.sha256 is None:
        return None
    digest = hashlib.sha256(content).hexdigest()
    if digest == source.sha256:
        return None
    return _(
        "The spec was made from the uploaded file {upload} (SHA-256 {expected}…); {name} has other contents "
        "(SHA-256 {actual}…): the spec is replayed on it."
    ).format(upload=source.upload, expected=source.sha256[:12], name=name, actual=digest[:12])


def require_target(spec: PipelineSpec, df: pd.DataFrame) -> str:
    target = spec.problem.target
    if not target:
        raise SpecError(_("problem.target: is required (or give --target)."), "problem.target")
    if target not in df.columns:
        raise SpecError(
            _("problem.target: {value} is not a column of the table; its columns are {columns}.").format(
                value=repr(target), columns=", ".join(map(str, df.columns[:30]))
            ),
            "problem.target",
        )
    return target


def project_name(spec: PipelineSpec, data: SpecData, name: str | None = None) -> str:
    return name or spec.project.name or data.path.stem


def record_applied(ws: Workspace, project_id: int, spec: PipelineSpec) -> None:
    """Keep the spec in the project's audit log, and save what it sets beyond the data: the alert rules
    and the retraining policy."""
    rules = convert.alert_rules(spec)
    if rules is not None:
        save_rules(ws, project_id, rules)
    autopilot.save_policy(ws, project_id, convert.autopilot_policy(spec))
    with ws.transaction() as conn:
        ws.audit(conn, project_id, APPLIED_ACTION, {"spec": spec_to_dict(spec)})


def get_applied_spec(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    """The spec the project was made from (as a dict), or None."""
    import json

    row = ws.query_one(
        "SELECT detail_json FROM audit_log WHERE project_id = ? AND action = ? ORDER BY id DESC LIMIT 1",
        (project_id, APPLIED_ACTION),
    )
    if row is None:
        return None
    detail = json.loads(row["detail_json"] or "{}")
    return detail.get("spec") if isinstance(detail, dict) else None


def create_project_from_spec(
    ws: Workspace,
    spec: PipelineSpec,
    *,
    name: str | None = None,
    data_path: str | Path | None = None,
    data_bytes: bytes | None = None,
    data_name: str | None = None,
) -> int:
    """Read the data (the spec's source, or ``data_path``, or an uploaded file's ``data_bytes`` named
    ``data_name``), make a new project named ``name`` (else the spec's, else the file's; the first free
    "name (n)"), and apply the cleaning, the problem, the feature set, the alert rules and the retraining
    policy as if chosen in the UI. Trains nothing. Returns the project's id. A spec that does not fit the
    table raises ``SpecError`` and leaves no project behind."""
    convert.check_spec(spec)
    data = read_spec_data(spec, data_path, data_bytes=data_bytes, data_name=data_name)
    target = require_target(spec, data.df)
    convert.check_against(spec, data.df, target)
    project = projects.create_unique_project(ws, project_name(spec, data, name), source=data.source_name)
    pid = int(project["id"])
    try:
        raw_id = stage_ingest(ws, pid, data.df, data.info, data.source_name, upload=data.upload)["id"]
        cleaned = stage_clean(ws, pid, raw_id, convert.cleaning_recipe(spec), target=target)
        dataset_id = cleaned["dataset"]["id"]
        clean_df = datasets.load_dataset(ws, dataset_id)
        problem = convert.problem_config(spec, clean_df, target)
        with convert.at("problem"):
            stage_problem(ws, pid, dataset_id, problem)
        with convert.at("features"):
            stage_features(ws, pid, dataset_id, convert.feature_config(spec, clean_df, problem))
        record_applied(ws, pid, spec)
    except (StudioError, KeyError, ValueError):
        _forget(ws, pid)
        raise
    return pid


def _forget(ws: Workspace, project_id: int) -> None:
    """Remove a project a spec could not be applied to (a half-made project is not left in the list)."""
    try:
        projects.delete_project(ws, project_id)
    except StudioError:
        pass
