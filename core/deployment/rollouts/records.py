"""A rollout's records: its plan and state in deployments.rollout_json, each decision it takes as a
rollout_events row with its evidence, and the same decision in the audit log, in one transaction."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from core.deployment.routing import RoutingConfig
from core.workspace.database import Workspace, dumps, inserted_id, now


def get_rollout(deployment: dict[str, Any]) -> dict[str, Any] | None:
    """The rollout plan and state a deployment carries, or None (a plain deployment)."""
    raw = deployment.get("rollout_json")
    return json.loads(raw) if raw else None


def record_event(
    ws: Workspace,
    deployment: dict[str, Any],
    kind: str,
    decision: str,
    evidence: dict[str, Any],
    *,
    share: float | None = None,
    routing: RoutingConfig | None = None,
    rollout: dict[str, Any] | None = None,
) -> int:
    """One decision of a rollout: a rollout_events row and an audit entry ('rollout.<kind>'), and, when
    given, the deployment's new routing (a canary step, a blue-green switch) and rollout state, all in
    one transaction, so the log never shows a decision the endpoint did not take, or the reverse."""
    with ws.transaction() as conn:
        if routing is not None:
            conn.execute(
                "UPDATE deployments SET routing_json = ? WHERE id = ?", (dumps(routing.to_dict()), deployment["id"])
            )
        if rollout is not None:
            conn.execute("UPDATE deployments SET rollout_json = ? WHERE id = ?", (dumps(rollout), deployment["id"]))
        event_id = inserted_id(
            conn.execute(
                """INSERT INTO rollout_events (deployment_id, ts, kind, share, decision, evidence_json)
                   VALUES (?,?,?,?,?,?)""",
                (deployment["id"], now(), kind, share, decision, dumps(evidence)),
            )
        )
        ws.audit(
            conn,
            deployment["project_id"],
            f"rollout.{kind}",
            {"deployment_id": deployment["id"], "event_id": event_id, "decision": decision, "share": share, **evidence},
        )
    return event_id


def get_events_df(ws: Workspace, deployment_id: int) -> pd.DataFrame:
    """A deployment's rollout decisions, oldest first, with their evidence (a dict per row)."""
    rows = ws.query(
        "SELECT id, ts, kind, share, decision, evidence_json FROM rollout_events WHERE deployment_id = ? ORDER BY id",
        (deployment_id,),
    )
    df = pd.DataFrame(rows, columns=["id", "ts", "kind", "share", "decision", "evidence_json"])
    df["evidence"] = [json.loads(e) if e else {} for e in df["evidence_json"]]
    df["ts"] = pd.to_datetime(df["ts"], unit="s")
    return df.drop(columns=["evidence_json"])
