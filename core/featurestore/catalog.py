"""The catalog of feature definitions: stored in the workspace (shared by every project), versioned
by name, and which project uses which. One ``BEGIN IMMEDIATE`` transaction per operation.

Registering a definition whose content equals the newest version of its name returns that version
(registering twice is not a change); any difference makes the next version. A version never changes.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from core.featurestore.definitions import FeatureDefinition, definition_from_dict, validate_definition
from core.i18n import _
from core.workspace.database import Workspace, dumps, inserted_id, now
from core.workspace.errors import ConfigError, NotFoundError


def register_definition(ws: Workspace, definition: FeatureDefinition) -> dict[str, Any]:
    """Store ``definition`` (validated; its source dataset must exist and hold the columns it reads)
    as the next version of its name. Returns the stored row (``get_definition``)."""
    definition = validate_definition(definition)
    if definition.source_dataset_id is None:
        raise ConfigError(
            _(
                "The 'source_dataset_id' of feature definition '{name}' must be the id of a dataset "
                "version in the workspace; got None instead."
            ).format(name=definition.name)
        )
    source = _source_dataset(ws, definition)
    text = dumps(definition.to_dict(), sort_keys=True)
    with ws.transaction() as conn:
        newest = conn.execute(
            "SELECT id, definition_json FROM feature_definitions WHERE name = ? ORDER BY version DESC LIMIT 1",
            (definition.name,),
        ).fetchone()
        if newest is not None and newest["definition_json"] == text:
            return get_definition_by_id(ws, int(newest["id"]))
        version = int(
            conn.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM feature_definitions WHERE name = ?", (definition.name,)
            ).fetchone()[0]
        )
        cur = conn.execute(
            """INSERT INTO feature_definitions (name, version, entity, timestamp_column, definition_json, owner,
               description, source_dataset_id, source_artifact_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)""",
            (
                definition.name,
                version,
                definition.entity,
                definition.timestamp,
                text,
                definition.owner,
                definition.description,
                definition.source_dataset_id,
                source["artifact_id"],
                now(),
            ),
        )
        definition_id = inserted_id(cur)
        ws.audit(
            conn, None, "feature.defined", {"definition_id": definition_id, "name": definition.name, "version": version}
        )
    return get_definition_by_id(ws, definition_id)


def _source_dataset(ws: Workspace, definition: FeatureDefinition) -> dict[str, Any]:
    row = ws.query_one("SELECT * FROM datasets WHERE id = ?", (definition.source_dataset_id,))
    if row is None:
        raise NotFoundError(
            _(
                "The 'source_dataset_id' of feature definition '{name}' names dataset {id}, which does not exist "
                "in this workspace; pick a dataset version from the Data page."
            ).format(name=definition.name, id=definition.source_dataset_id)
        )
    columns = list(ws.load_frame(int(row["artifact_id"])).columns)  # hash-verified, like every load
    for field_name, column in _columns_by_field(definition):
        if column not in columns:
            raise ConfigError(
                _(
                    "The '{field}' of feature definition '{name}' names the column '{column}', which dataset "
                    "{id} does not have; its columns are: {columns}."
                ).format(
                    field=field_name,
                    name=definition.name,
                    column=column,
                    id=row["id"],
                    columns=", ".join(map(str, columns)),
                )
            )
    return row


def _columns_by_field(definition: FeatureDefinition) -> list[tuple[str, str]]:
    pairs = [("entity", definition.entity), ("timestamp", definition.timestamp)]
    if definition.expression is not None:
        pairs += [("expression.columns", c) for c in definition.expression.columns]
    return pairs


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(row["definition_json"])
    return {**row, "definition": definition_from_dict(data)}


def get_definition_by_id(ws: Workspace, definition_id: int) -> dict[str, Any]:
    row = ws.get_row(
        "feature_definitions",
        definition_id,
        _("Feature definition {id} does not exist; pick one from the feature catalog.").format(id=definition_id),
    )
    return _stored(row)


def get_definition(ws: Workspace, name: str, version: int | None = None) -> dict[str, Any]:
    """The stored definition ``name`` at ``version`` (default: the newest), with ``definition`` parsed."""
    if version is None:
        row = ws.query_one("SELECT * FROM feature_definitions WHERE name = ? ORDER BY version DESC LIMIT 1", (name,))
    else:
        row = ws.query_one("SELECT * FROM feature_definitions WHERE name = ? AND version = ?", (name, version))
    if row is None:
        missing = (
            _("Feature '{name}' does not exist in the feature catalog; define it first.")
            if version is None
            else _("Feature '{name}' version {version} does not exist; the catalog lists its versions.")
        )
        raise NotFoundError(missing.format(name=name, version=version))
    return _stored(row)


def list_definitions(ws: Workspace, search: str = "") -> pd.DataFrame:
    """The newest version of every feature (name, version, entity, aggregate, window, owner, description,
    projects using any of its versions), optionally only those whose name, description or owner contain
    ``search`` (case-insensitive)."""
    rows = ws.query(
        """SELECT d.* FROM feature_definitions d
           WHERE d.version = (SELECT MAX(version) FROM feature_definitions e WHERE e.name = d.name) ORDER BY d.name"""
    )
    needle = search.strip().lower()
    records = []
    for row in rows:
        if needle and not any(needle in str(row[k]).lower() for k in ("name", "description", "owner")):
            continue
        definition = _stored(row)["definition"]
        records.append(
            {
                "name": row["name"],
                "version": row["version"],
                "entity": row["entity"],
                "expression": definition.expression.describe() if definition.expression else "",
                "aggregate": definition.aggregate,
                "window": definition.window or "",
                "owner": row["owner"],
                "description": row["description"],
                "source_dataset_id": row["source_dataset_id"],
                "used_by": ", ".join(users_of(ws, row["name"])),
            }
        )
    columns = ["name", "version", "entity", "expression", "aggregate", "window", "owner", "description"]
    return pd.DataFrame(records, columns=[*columns, "source_dataset_id", "used_by"])


def users_of(ws: Workspace, name: str) -> list[str]:
    """Names of the projects using any version of feature ``name``."""
    rows = ws.query(
        """SELECT DISTINCT p.name FROM feature_usage u JOIN feature_definitions d ON d.id = u.definition_id
           JOIN projects p ON p.id = u.project_id WHERE d.name = ? ORDER BY p.name""",
        (name,),
    )
    return [r["name"] for r in rows]


def use_in_project(ws: Workspace, project_id: int, definition_id: int) -> None:
    """Add a catalog definition to a project's feature set (again: nothing changes)."""
    get_definition_by_id(ws, definition_id)
    if ws.query_one("SELECT id FROM projects WHERE id = ?", (project_id,)) is None:
        raise NotFoundError(_("Project {id} does not exist; pick a project first.").format(id=project_id))
    with ws.transaction() as conn:
        cur = conn.execute(
            "INSERT OR IGNORE INTO feature_usage (project_id, definition_id, added_at) VALUES (?, ?, ?)",
            (project_id, definition_id, now()),
        )
        if cur.rowcount:
            ws.audit(conn, project_id, "feature.used", {"definition_id": definition_id})


def stop_using(ws: Workspace, project_id: int, definition_id: int) -> None:
    with ws.transaction() as conn:
        cur = conn.execute(
            "DELETE FROM feature_usage WHERE project_id = ? AND definition_id = ?", (project_id, definition_id)
        )
        if cur.rowcount:
            ws.audit(conn, project_id, "feature.unused", {"definition_id": definition_id})


def project_definitions(ws: Workspace, project_id: int) -> list[dict[str, Any]]:
    """The stored definitions a project uses, in the order it added them."""
    rows = ws.query(
        """SELECT d.* FROM feature_usage u JOIN feature_definitions d ON d.id = u.definition_id
           WHERE u.project_id = ? ORDER BY u.added_at, d.id""",
        (project_id,),
    )
    return [_stored(row) for row in rows]


def load_source(ws: Workspace, stored: dict[str, Any]) -> pd.DataFrame:
    """The source table of a stored definition (hash-verified), as it was when the definition was made."""
    return ws.load_frame(int(stored["source_artifact_id"]))
