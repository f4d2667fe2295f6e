"""What a model card is built from, as one digest: the same digest means the same card, so the page builds
a card once per version, content and language instead of on every rerun (the cache lives in ui/)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from core.workspace.database import Workspace

# What a card reads, for its cache key (``card_state``): the project's rows in these tables are counted
# (an insert or delete changes the count or the largest rowid), and those rows that are updated in place
# are hashed whole. A new table the card reads must be added here (tests/pages/test_card_cache.py).
_COUNTED = (
    "datasets", "recipes", "feature_sets", "experiments", "runs", "model_versions", "aliases", "audit_log",
    "deployments", "monitoring_reports", "retrainings", "alert_outbox", "promotion_requests",
)  # fmt: skip
_HASHED = ("model_versions", "aliases", "deployments", "experiments", "promotion_requests", "alert_outbox")
_GLOBAL = ("explanations", "evaluation_checks", "rollout_events")  # no project column: counted in all


def card_state(ws: Workspace, project_id: int, version_id: int) -> str:
    """A digest of everything the card of ``version_id`` is built from (a few indexed queries, ~ms):
    the same digest means the same card, so it is built once per version, content and language rather
    than on every rerun (it took half of Registry's rerun)."""
    parts: list[list[Any]] = [ws.query("SELECT * FROM projects WHERE id = ?", (project_id,))]
    for table in _COUNTED:
        parts.append(
            ws.query(f"SELECT COUNT(*) AS n, MAX(rowid) AS top FROM {table} WHERE project_id = ?", (project_id,))
        )  # noqa: S608 - our table names
    for table in _HASHED:
        parts.append(ws.query(f"SELECT * FROM {table} WHERE project_id = ? ORDER BY rowid", (project_id,)))  # noqa: S608
    for table in _GLOBAL:
        parts.append(ws.query(f"SELECT COUNT(*) AS n, MAX(rowid) AS top FROM {table}"))  # noqa: S608
    # The project's logged predictions, through the deployment index (predictions have no project column).
    parts.append(
        ws.query(
            "SELECT COUNT(*) AS n, MAX(id) AS top FROM predictions"
            " WHERE deployment_id IN (SELECT id FROM deployments WHERE project_id = ?)",
            (project_id,),
        )
    )
    text = json.dumps([[dict(r) for r in rows] for rows in parts], sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
