"""A small feature store: versioned feature-set definitions tied to the dataset version they describe.

A feature set stores its configuration (which transformations) and a description per column; the
transformation itself is fitted inside every model pipeline, so training and serving apply exactly
the same code to raw rows.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from core.features.preprocessing import FeatureConfig, describe_feature_set
from core.i18n import _
from core.problem.definition import ProblemConfig
from core.workspace.database import Workspace, dumps, inserted_id, now


def save_feature_set(
    ws: Workspace, project_id: int, dataset_id: int, df: pd.DataFrame, problem: ProblemConfig, config: FeatureConfig
) -> dict[str, Any]:
    description = describe_feature_set(df, problem, config)
    with ws.transaction() as conn:
        version = ws.next_version(conn, "feature_sets", project_id)
        cur = conn.execute(
            """INSERT INTO feature_sets (project_id, version, dataset_id, config_json, description_json, created_at)
               VALUES (?,?,?,?,?,?)""",
            (project_id, version, dataset_id, dumps(config.to_dict()), description.to_json(orient="records"), now()),
        )
        ws.audit(
            conn,
            project_id,
            "feature_set.saved",
            {"feature_set_id": cur.lastrowid, "version": version, "dataset_id": dataset_id},
        )
        fs_id = inserted_id(cur)
    return get_feature_set(ws, fs_id)


def get_feature_set(ws: Workspace, feature_set_id: int) -> dict[str, Any]:
    return ws.get_row(
        "feature_sets",
        feature_set_id,
        _("Feature set {id} does not exist; save one on the Features page.").format(id=feature_set_id),
    )


def load_feature_config(ws: Workspace, feature_set_id: int) -> FeatureConfig:
    return FeatureConfig.from_dict(json.loads(get_feature_set(ws, feature_set_id)["config_json"]))


def get_feature_description_df(ws: Workspace, feature_set_id: int) -> pd.DataFrame:
    return pd.DataFrame(json.loads(get_feature_set(ws, feature_set_id)["description_json"] or "[]"))


def latest_feature_set(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    return ws.query_one("SELECT * FROM feature_sets WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project_id,))


def list_feature_sets(ws: Workspace, project_id: int) -> pd.DataFrame:
    rows = ws.query(
        """SELECT f.id, f.version, d.version AS dataset_version, f.config_json, f.created_at
           FROM feature_sets f JOIN datasets d ON d.id = f.dataset_id WHERE f.project_id = ? ORDER BY f.id DESC""",
        (project_id,),
    )
    return pd.DataFrame(rows, columns=["id", "version", "dataset_version", "config_json", "created_at"])
