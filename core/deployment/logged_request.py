"""One served answer found in the prediction log by its request id: when it was given, by which
version, what it said, and the inputs it was given (read through ``prediction_log.fill_input_json``,
so batches that store their inputs once read the same). What a right-to-explanation letter starts from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.deployment.prediction_log import fill_input_json
from core.workspace.database import Workspace
from core.workspace.errors import NotFoundError

MAX_REQUEST_ID_CHARS = 200


@dataclass(frozen=True)
class LoggedRequest:
    request_id: str
    ts: float  # seconds since the epoch (UTC)
    deployment_id: int
    version_id: int
    status: str  # scored | flagged | review | rejected | error
    prediction: str | None
    score: float | None
    inputs: dict[str, Any]  # the row as sent (text cut to the log's cap)
    truncated: bool  # True when the log cut the row's inputs


def get_logged_request(ws: Workspace, project_id: int, request_id: str) -> LoggedRequest:
    """The answer the project's endpoint gave to ``request_id`` (the newest, should a client have
    reused an id). Raises NotFoundError when no answer of this project has that id."""
    request_id = str(request_id).strip()
    if not request_id:
        raise NotFoundError("Type the request id of a prediction; the endpoint returns it with every answer.")
    if len(request_id) > MAX_REQUEST_ID_CHARS:
        raise NotFoundError(f"A request id has at most {MAX_REQUEST_ID_CHARS} characters; check the id you pasted.")
    rows = ws.query(
        """SELECT p.id, p.ts, p.deployment_id, p.version_id, p.status, p.prediction, p.score, p.input_json
           FROM predictions p JOIN deployments d ON d.id = p.deployment_id
           WHERE p.request_id = ? AND d.project_id = ? ORDER BY p.id DESC LIMIT 1""",
        (request_id, project_id),
    )
    if not rows:
        raise NotFoundError(
            f"No prediction with request id '{request_id}' was logged for this project; "
            "copy the request_id the endpoint returned with the prediction."
        )
    row = fill_input_json(ws, pd.DataFrame(rows)).iloc[0]
    inputs = json.loads(row["input_json"]) if isinstance(row["input_json"], str) else {}
    truncated = bool(inputs.pop("_truncated", False))
    return LoggedRequest(
        request_id=request_id,
        ts=float(row["ts"]),
        deployment_id=int(row["deployment_id"]),
        version_id=int(row["version_id"]),
        status=str(row["status"]),
        prediction=None if pd.isna(row["prediction"]) else str(row["prediction"]),
        score=None if pd.isna(row["score"]) else float(row["score"]),
        inputs=inputs,
        truncated=truncated,
    )
