"""The simulated endpoint: the champion (and optionally a challenger) behind a routing strategy.

A request is a table of raw rows, exactly as a client would send them (a DataFrame, or JSON rows:
a list of {column: value} objects). The endpoint replays the cleaning recipe's value fixes (never
its row filters), runs the registered pipeline, and logs every prediction with the version that
answered and the latency.

What a client can get wrong is answered, never raised as a traceback:
- a bad *request* (not a table, a column named twice, no rows, a column the model needs is absent)
  raises `RequestError`, a `DataError` whose `problems` name each one;
- a bad *row* (a value the model cannot read as its input's type: a list, text where a number
  belongs, infinity, a number too large to compute with, text that is not a date, nothing at all)
  gets its own `error` and structured `problems` in the answer, and the other rows are scored;
- a value the model can read but that breaks the rules learned from training (out of range, a new
  category, missing) is scored, and `ServedModel.validate` reports it.

The parts: ``request`` reads a request and names its problems, ``served_model`` holds one version
ready to answer, ``routing`` decides which version answers which request, and this module keeps the
deployments, routes a batch and logs its predictions. The names of the parts are handed on here.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import numpy as np
import pandas as pd

from core.deployment.request import REQUEST_PROBLEMS, ROW_PROBLEMS, InputProblem, read_request
from core.deployment.routing import RoutingConfig, route_requests
from core.deployment.served_model import LARGEST_FEATURE, ServedModel, load_served
from core.registry.versions import get_version
from core.workspace.database import Workspace, dumps, inserted_id, now
from core.workspace.errors import ConfigError, DataError, RequestError

__all__ = [
    "ANSWER_COLUMNS",
    "LARGEST_FEATURE",
    "REQUEST_PROBLEMS",
    "ROW_PROBLEMS",
    "InputProblem",
    "RequestError",
    "ServedModel",
    "create_deployment",
    "describe_deployment",
    "describe_live",
    "get_active_deployment",
    "get_deployment",
    "get_prediction_log_df",
    "get_serving_version",
    "get_traffic_summary_df",
    "load_served",
    "predict",
    "read_request",
    "record_feedback",
]

ANSWER_COLUMNS = [
    "request_id",
    "key",
    "arm",
    "prediction",
    "score",
    "version",
    "latency_ms",
    "shadow_prediction",
    "error",
    "problems",
]


def create_deployment(
    ws: Workspace,
    project_id: int,
    routing: RoutingConfig,
    champion_version_id: int,
    challenger_version_id: int | None = None,
    reason: str = "",
    rollout: dict | None = None,
) -> dict[str, Any]:
    """Make a new deployment the project's one live endpoint (the previous one stops serving).
    ``reason`` says why in the audit log (e.g. "rollback of churn"); ``rollout`` is the plan and state
    of a rollout strategy (core.deployment.rollouts), kept in deployments.rollout_json."""
    if routing.strategy != "single" and challenger_version_id is None:
        raise ConfigError(f"The '{routing.strategy}' strategy needs a challenger; register one or choose 'single'.")
    get_version(ws, champion_version_id)
    if challenger_version_id is not None:
        get_version(ws, challenger_version_id)
    with ws.transaction() as conn:
        conn.execute("UPDATE deployments SET active = 0 WHERE project_id = ?", (project_id,))
        dep_id = inserted_id(
            conn.execute(
                """INSERT INTO deployments (project_id, routing_json, champion_version_id, challenger_version_id,
               active, created_at, rollout_json) VALUES (?,?,?,?,1,?,?)""",
                (
                    project_id,
                    dumps(routing.to_dict()),
                    champion_version_id,
                    challenger_version_id,
                    now(),
                    dumps(rollout) if rollout is not None else None,
                ),
            )
        )
        ws.audit(
            conn,
            project_id,
            "deployment.created",
            {
                "deployment_id": dep_id,
                "routing": routing.to_dict(),
                "champion_version_id": champion_version_id,
                "challenger_version_id": challenger_version_id,
                **({"reason": reason} if reason else {}),
            },
        )
    return get_deployment(ws, dep_id)


def get_deployment(ws: Workspace, deployment_id: int) -> dict[str, Any]:
    row = ws.get_row(
        "deployments", deployment_id, f"Deployment {deployment_id} does not exist; deploy a model on the Deploy page."
    )
    row["routing"] = RoutingConfig.from_dict(json.loads(row["routing_json"]))
    return row


def get_active_deployment(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    row = ws.query_one(
        "SELECT id FROM deployments WHERE project_id = ? AND active = 1 ORDER BY id DESC LIMIT 1", (project_id,)
    )
    return get_deployment(ws, row["id"]) if row else None


def get_serving_version(ws: Workspace, deployment: dict[str, Any]) -> dict[str, Any]:
    """The version that answers the deployment's requests: the champion, except in blue-green with
    green live, where the challenger answers every request."""
    routing: RoutingConfig = deployment["routing"]
    if routing.strategy == "blue_green" and routing.active_color == "green" and deployment["challenger_version_id"]:
        return get_version(ws, deployment["challenger_version_id"])
    return get_version(ws, deployment["champion_version_id"])


def describe_deployment(ws: Workspace, deployment: dict[str, Any]) -> str:
    """Which versions a deployment serves, in words: "deployment 4 (single): churn v1 answers every
    request". The Registry, Deploy and Monitor pages all say what is live with this one sentence."""
    routing: RoutingConfig = deployment["routing"]
    champion = get_version(ws, deployment["champion_version_id"])
    challenger = get_version(ws, deployment["challenger_version_id"]) if deployment["challenger_version_id"] else None
    name = f"{champion['model_name']} v{champion['version']}"
    other = f"{challenger['model_name']} v{challenger['version']}" if challenger else ""
    head = f"deployment {deployment['id']} ({routing.strategy.replace('_', '-')})"
    if challenger is None:
        return f"{head}: {name} answers every request"
    if routing.strategy == "canary":
        return f"{head}: {name} answers, {other} gets {routing.challenger_share:.0%} of the requests"
    if routing.strategy == "ab":
        return f"{head}: {name} answers, {other} gets {routing.challenger_share:.0%} of the users"
    if routing.strategy == "shadow":
        return f"{head}: {name} answers every request, {other} scores them silently"
    answering, standby = (other, name) if routing.active_color == "green" else (name, other)
    return f"{head}: {answering} answers every request, {standby} stands by"


def describe_live(ws: Workspace, project_id: int) -> str:
    """What the project's endpoint serves right now, in one sentence."""
    live = get_active_deployment(ws, project_id)
    if live is None:
        return "Nothing is deployed: the endpoint serves no model yet."
    return f"Live now: {describe_deployment(ws, live)}."


def predict(
    ws: Workspace,
    deployment: dict[str, Any],
    rows: pd.DataFrame,
    *,
    keys: list[str] | None = None,
    request_ids: list[str] | None = None,
    source: str = "ui",
    seed: int | None = None,
    log: bool = True,
) -> pd.DataFrame:
    """Answer a batch of requests through the deployment's routing and log every prediction.
    ``keys`` are the routing keys (an A/B test's user ids); ``request_ids`` name each answer so a
    client can send its true label later (`record_feedback`); without them each row gets a fresh one.
    ``source`` says who asked (ui | http | simulator | cli). ``seed`` fixes the canary's random draws
    (simulations pass one); live calls draw afresh, except A/B, whose assignment is salted with the
    deployment so a user keeps their arm across calls."""
    rows = read_request(rows).reset_index(drop=True)
    keys = [str(k) for k in keys] if keys is not None else [str(i) for i in range(len(rows))]
    if len(keys) != len(rows):
        raise DataError(f"The request has {len(rows)} rows but {len(keys)} keys; give one key per row.")
    if request_ids is None:
        request_ids = [uuid.uuid4().hex for _ in range(len(rows))]
    request_ids = [str(r) for r in request_ids]
    if len(request_ids) != len(rows):
        raise DataError(f"The request has {len(rows)} rows but {len(request_ids)} request ids; give one per row.")
    routing: RoutingConfig = deployment["routing"]
    if seed is None:
        seed = deployment["id"] if routing.strategy == "ab" else int(np.random.default_rng().integers(2**31))
    decisions = route_requests(keys, routing, seed=seed)
    arms = {"champion": load_served(ws, deployment["champion_version_id"])}
    if deployment["challenger_version_id"]:
        arms["challenger"] = load_served(ws, deployment["challenger_version_id"])
    serve = np.array([d["serve"] for d in decisions])
    shadow = np.array([d["shadow"] or "" for d in decisions])
    out = pd.DataFrame(
        {
            "request_id": request_ids,
            "key": keys,
            "arm": serve,
            "prediction": "",
            "score": np.nan,
            "version": "",
            "latency_ms": np.nan,
            "shadow_prediction": None,
            "error": "",
            "problems": None,
        }
    )
    out["problems"] = [[] for _ in range(len(out))]
    for arm, model in arms.items():
        mask = serve == arm
        if mask.any():
            start = time.perf_counter()
            answered = model.answer(rows.loc[mask])
            per_row = (time.perf_counter() - start) * 1000 / mask.sum()
            for column in ("prediction", "score", "error"):
                out.loc[mask, column] = answered[column].to_numpy()
            out.loc[mask, "problems"] = pd.Series(answered["problems"].to_list(), index=out.index[mask], dtype=object)
            out.loc[mask, "version"] = model.label
            out.loc[mask, "latency_ms"] = per_row
        shadow_mask = shadow == arm
        if shadow_mask.any():
            out.loc[shadow_mask, "shadow_prediction"] = _shadow_predictions(model, rows.loc[shadow_mask])
    if log:
        answered_rows = (out["error"] == "").to_numpy()
        _log_predictions(ws, deployment, rows[answered_rows], out[answered_rows], arms, source)
    return out


def _shadow_predictions(model: ServedModel, rows: pd.DataFrame) -> pd.Series:
    """The silent arm's answers; where it cannot answer (a row it cannot take, a column only it
    needs) it has none, and the answer the client gets is not affected."""
    try:
        answered = model.answer(rows)
    except RequestError:
        return pd.Series(None, index=rows.index, dtype=object)
    return answered["prediction"].where(answered["error"] == "", None).astype(object)


def _log_predictions(ws, deployment, rows, out, arms, source) -> None:
    version_ids = {arm: m.version["id"] for arm, m in arms.items()}
    inputs = rows.astype(str).to_dict(orient="records")
    ts = now()
    records = [
        (
            deployment["id"],
            ts,
            o.key,
            o.arm,
            version_ids[o.arm],
            o.prediction,
            None if pd.isna(o.score) else float(o.score),
            version_ids.get("challenger") if o.shadow_prediction is not None else None,
            o.shadow_prediction,
            float(o.latency_ms),
            json.dumps(inp),
            o.request_id,
            source,
        )
        for o, inp in zip(out.itertuples(index=False), inputs)
    ]
    with ws.transaction() as conn:
        conn.executemany(
            """INSERT INTO predictions (deployment_id, ts, request_key, arm, version_id, prediction, score,
               shadow_version_id, shadow_prediction, latency_ms, input_json, request_id, source)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            records,
        )


def record_feedback(ws: Workspace, project_id: int, request_id: str, label: Any) -> int:
    """The true label of an answer the project's endpoint gave, quoted by its request id: how
    delayed labels reach monitoring. Returns how many logged answers it labels (one, unless a client
    reused an id); a label sent again replaces the earlier one."""
    request_id = str(request_id)
    if label is None or (isinstance(label, float) and not np.isfinite(label)) or str(label).strip() == "":
        raise DataError(f"The label for request '{request_id}' is empty; send the true outcome of that request.")
    with ws.transaction() as conn:
        labelled = conn.execute(
            """UPDATE predictions SET label = ?, labelled_at = ? WHERE request_id = ? AND deployment_id IN
               (SELECT id FROM deployments WHERE project_id = ?)""",
            (str(label), now(), request_id, project_id),
        ).rowcount
    if not labelled:
        raise DataError(
            f"No answer with request id '{request_id}' was logged for this project; "
            "send the request_id the endpoint returned with its prediction."
        )
    return labelled


def get_prediction_log_df(ws: Workspace, deployment_id: int, limit: int = 200) -> pd.DataFrame:
    rows = ws.query(
        """SELECT p.id, p.ts, p.request_key, p.arm, v.model_name || ' v' || v.version AS version, p.prediction,
                  p.score, p.shadow_prediction, p.latency_ms
           FROM predictions p JOIN model_versions v ON v.id = p.version_id
           WHERE p.deployment_id = ? ORDER BY p.id DESC LIMIT ?""",
        (deployment_id, limit),
    )
    df = pd.DataFrame(
        rows,
        columns=["id", "ts", "request_key", "arm", "version", "prediction", "score", "shadow_prediction", "latency_ms"],
    )
    df["ts"] = pd.to_datetime(df["ts"], unit="s")
    return df


def get_traffic_summary_df(ws: Workspace, deployment_id: int) -> pd.DataFrame:
    """Requests, share and latency per arm: what the routing actually did."""
    rows = ws.query(
        """SELECT p.arm, v.model_name || ' v' || v.version AS version, COUNT(*) AS requests,
                  AVG(p.latency_ms) AS mean_latency_ms
           FROM predictions p JOIN model_versions v ON v.id = p.version_id WHERE p.deployment_id = ?
           GROUP BY p.arm, version ORDER BY requests DESC""",
        (deployment_id,),
    )
    df = pd.DataFrame(rows, columns=["arm", "version", "requests", "mean_latency_ms"])
    if not df.empty:
        df["share"] = df["requests"] / df["requests"].sum()
    return df
