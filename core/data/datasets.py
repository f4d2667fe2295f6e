"""Dataset versions (raw uploads and cleaned tables) and cleaning-recipe versions, with lineage."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from core.data.cleaning import CleaningRecipe, StepReport
from core.i18n import _
from core.workspace.database import Workspace, dumps, inserted_id, now


def save_dataset(
    ws: Workspace,
    project_id: int,
    df: pd.DataFrame,
    *,
    kind: str,
    name: str,
    read_info: dict | None = None,
    parent_id: int | None = None,
    recipe_id: int | None = None,
    upload: bytes | None = None,
    rules: dict | None = None,
) -> dict[str, Any]:
    """Save a raw ('raw') or cleaned ('cleaned') table as a new version. ``upload`` keeps the file's
    original bytes as a hashed artifact too (never under the uploaded name: artifacts are named by
    hash); ``rules`` are the validation rules learned from a cleaned version."""
    artifact_id = ws.save_frame(df)
    upload_id = ws.write_artifact("upload", upload, ".bin") if upload is not None else None
    with ws.transaction() as conn:
        version = ws.next_version(conn, "datasets", project_id, kind)  # raw v1, cleaned v1
        cur = conn.execute(
            """INSERT INTO datasets (project_id, version, kind, name, artifact_id, parent_id, recipe_id,
               read_info_json, rows, cols, created_at, upload_artifact_id, rules_json)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            (
                project_id,
                version,
                kind,
                name,
                artifact_id,
                parent_id,
                recipe_id,
                dumps(read_info) if read_info else None,
                len(df),
                df.shape[1],
                now(),
                upload_id,
                dumps(rules) if rules else None,
            ),
        )
        ws.audit(
            conn,
            project_id,
            f"dataset.{kind}",
            {"dataset_id": cur.lastrowid, "name": name, "rows": len(df), "parent_id": parent_id},
        )
        dataset_id = inserted_id(cur)
    return get_dataset(ws, dataset_id)


def get_dataset(ws: Workspace, dataset_id: int) -> dict[str, Any]:
    return ws.get_row(
        "datasets",
        dataset_id,
        _("Dataset {id} does not exist; upload or pick data on the Data page.").format(id=dataset_id),
    )


def load_dataset(ws: Workspace, dataset_id: int) -> pd.DataFrame:
    return ws.load_frame(get_dataset(ws, dataset_id)["artifact_id"])


def latest_dataset(ws: Workspace, project_id: int, kind: str | None = None) -> dict[str, Any] | None:
    if kind:
        return ws.query_one(
            "SELECT * FROM datasets WHERE project_id = ? AND kind = ? ORDER BY id DESC LIMIT 1", (project_id, kind)
        )
    return ws.query_one("SELECT * FROM datasets WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project_id,))


def latest_cleaned_from(ws: Workspace, raw_dataset_id: int) -> dict[str, Any] | None:
    """The newest cleaned version made from this raw version by a recipe (not a retraining set)."""
    return ws.query_one(
        "SELECT * FROM datasets WHERE kind = 'cleaned' AND parent_id = ? ORDER BY id DESC LIMIT 1", (raw_dataset_id,)
    )


def list_datasets(ws: Workspace, project_id: int) -> list[dict[str, Any]]:
    return ws.query("SELECT * FROM datasets WHERE project_id = ? ORDER BY id DESC", (project_id,))


def save_recipe(
    ws: Workspace, project_id: int, recipe: CleaningRecipe, reports: list[StepReport], source_dataset_id: int
) -> dict[str, Any]:
    artifact_id = ws.save_json(recipe.to_dict(), kind="recipe")
    with ws.transaction() as conn:
        version = ws.next_version(conn, "recipes", project_id)
        cur = conn.execute(
            """INSERT INTO recipes (project_id, version, recipe_json, reports_json, source_dataset_id, created_at,
               artifact_id) VALUES (?,?,?,?,?,?,?)""",
            (
                project_id,
                version,
                dumps(recipe.to_dict()),
                dumps([r.__dict__ for r in reports]),
                source_dataset_id,
                now(),
                artifact_id,
            ),
        )
        recipe_id = inserted_id(cur)
    row = get_recipe(ws, recipe_id)
    assert row is not None  # inserted just above
    return row


def get_recipe(ws: Workspace, recipe_id: int) -> dict[str, Any] | None:
    """A recipe version's row (version, recipe_json, reports_json...), or None if there is none."""
    return ws.query_one("SELECT * FROM recipes WHERE id = ?", (recipe_id,))


def get_step_reports(recipe_row: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What each step of a saved recipe did when it made its cleaned version (`StepReport.to_dict()`s)."""
    if not recipe_row or not recipe_row["reports_json"]:
        return []
    return json.loads(recipe_row["reports_json"])


def load_recipe(ws: Workspace, recipe_id: int) -> CleaningRecipe:
    """A recipe version, from its hash-verified artifact when it has one."""
    row = ws.get_row("recipes", recipe_id, _("Cleaning recipe {id} does not exist.").format(id=recipe_id))
    data = ws.load_json(row["artifact_id"]) if row.get("artifact_id") else json.loads(row["recipe_json"])
    return CleaningRecipe.from_dict(data)


def save_recipe_draft(ws: Workspace, project_id: int, raw_dataset_id: int, recipe: CleaningRecipe) -> None:
    """The recipe being edited for a raw version (one draft per version, overwritten on each edit)."""
    with ws.transaction() as conn:
        conn.execute(
            """INSERT INTO recipe_drafts (project_id, raw_dataset_id, recipe_json, updated_at) VALUES (?,?,?,?)
               ON CONFLICT(project_id, raw_dataset_id) DO UPDATE SET recipe_json = excluded.recipe_json,
               updated_at = excluded.updated_at""",
            (project_id, raw_dataset_id, dumps(recipe.to_dict()), now()),
        )


def load_recipe_draft(ws: Workspace, project_id: int, raw_dataset_id: int) -> CleaningRecipe | None:
    row = ws.query_one(
        "SELECT recipe_json FROM recipe_drafts WHERE project_id = ? AND raw_dataset_id = ?",
        (project_id, raw_dataset_id),
    )
    return CleaningRecipe.from_dict(json.loads(row["recipe_json"])) if row else None


def load_upload(ws: Workspace, dataset_id: int) -> bytes | None:
    """The original bytes of a raw upload (None for samples saved before this was kept)."""
    row = get_dataset(ws, dataset_id)
    return ws.read_artifact(row["upload_artifact_id"]) if row.get("upload_artifact_id") else None


def load_read_info(ws: Workspace, dataset_id: int) -> dict | None:
    """How a raw version's file was read (`ReadInfo.to_dict()`: decimal mark, thousands separator...), if known."""
    row = get_dataset(ws, dataset_id)
    return json.loads(row["read_info_json"]) if row.get("read_info_json") else None


def load_rules(ws: Workspace, dataset_id: int) -> dict | None:
    """Validation rules learned from a cleaned dataset version, as saved (a dict)."""
    row = get_dataset(ws, dataset_id)
    return json.loads(row["rules_json"]) if row.get("rules_json") else None


def get_lineage_df(ws: Workspace, project_id: int) -> pd.DataFrame:
    """What was made from what: one row per dataset version."""
    rows = ws.query(
        """SELECT d.version, d.kind, d.name, d.rows, d.cols, p.version AS made_from_version,
                  r.version AS recipe_version, a.sha256
           FROM datasets d LEFT JOIN datasets p ON p.id = d.parent_id
           LEFT JOIN recipes r ON r.id = d.recipe_id JOIN artifacts a ON a.id = d.artifact_id
           WHERE d.project_id = ? ORDER BY d.id""",
        (project_id,),
    )
    df = pd.DataFrame(
        rows, columns=["version", "kind", "name", "rows", "cols", "made_from_version", "recipe_version", "sha256"]
    )
    df["sha256"] = df["sha256"].str[:12]
    return df
