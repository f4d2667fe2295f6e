"""Live traffic from the prediction log: per model version and per source (http, ui, simulator,
cli), how many answers, how fast (latency p50/p95 per request: a batch of many rows is one request,
timed whole, see ``get_request_latency_df``), what share the validation policy rejected or
flagged or could not answer, how many answers have their true label so far and the metric on those.
Computed from the ``predictions`` table alone, so real HTTP traffic shows as soon as it is logged.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from core.workspace.database import Workspace

LIVE_COLUMNS = [
    "version",
    "source",
    "requests",
    "calls",
    "latency_p50_ms",
    "latency_p95_ms",
    "rejected_share",
    "flagged_share",
    "error_share",
    "labelled",
    "labelled_share",
    "metric",
    "metric_value",
]


def get_live_traffic_df(ws: Workspace, project_id: int, since: float | None = None) -> pd.DataFrame:
    """One row per (version, source) of the project's logged answers (since ``since``, a timestamp,
    when given), most requests first. Rows logged before statuses existed count as scored, and before
    sources existed as 'ui'. ``requests`` counts answers (rows), ``calls`` the requests they came in
    (the latency is per call). ``metric`` is accuracy (classification) or MAE (regression), on the
    labelled answers only; NaN when none is labelled yet."""
    rows = ws.query(
        """SELECT v.model_name || ' v' || v.version AS version, v.lineage_json, COALESCE(p.source, 'ui') AS source,
                  COALESCE(p.status, 'scored') AS status, p.latency_ms, p.prediction, p.label,
                  p.deployment_id, p.ts, p.arm, p.version_id
           FROM predictions p JOIN deployments d ON d.id = p.deployment_id JOIN model_versions v ON v.id = p.version_id
           WHERE d.project_id = ? AND p.ts >= ?""",
        (project_id, since if since is not None else 0.0),
    )
    if not rows:
        return pd.DataFrame(columns=LIVE_COLUMNS)
    log = pd.DataFrame(rows)
    tasks = {
        v: json.loads(lin or "{}").get("task", "regression") for v, lin in zip(log["version"], log["lineage_json"])
    }
    out = []
    for (version, source), group in log.groupby(["version", "source"], sort=False):
        calls = get_request_latency_df(group)
        latency = calls["latency_ms"].astype(float)
        labelled = group[group["label"].notna()]
        metric, value = labelled_metric(tasks[version], labelled)
        out.append(
            {
                "version": version,
                "source": source,
                "requests": len(group),  # answers (rows); a batch of many rows is one of the calls
                "calls": len(calls),
                "latency_p50_ms": float(latency.quantile(0.5)) if len(latency) else np.nan,
                "latency_p95_ms": float(latency.quantile(0.95)) if len(latency) else np.nan,
                "rejected_share": float((group["status"] == "rejected").mean()),
                "flagged_share": float((group["status"] == "flagged").mean()),
                "error_share": float((group["status"] == "error").mean()),
                "labelled": len(labelled),
                "labelled_share": len(labelled) / len(group),
                "metric": metric,
                "metric_value": value,
            }
        )
    return pd.DataFrame(out, columns=LIVE_COLUMNS).sort_values("requests", ascending=False, ignore_index=True)


def count_refused_requests(ws: Workspace, project_id: int, since: float | None = None) -> dict[str, int]:
    """Requests the endpoint refused with 422 (they reach no model, so they are not in the log):
    {"requests": how many, "rows": the rows they held}, since ``since`` when given."""
    row = ws.query_one(
        "SELECT COUNT(*) AS requests, COALESCE(SUM(rows), 0) AS rows FROM refused_requests WHERE project_id = ? AND ts >= ?",
        (project_id, since if since is not None else 0.0),
    )
    return {"requests": int(row["requests"]), "rows": int(row["rows"])} if row else {"requests": 0, "rows": 0}


def get_request_latency_df(log: pd.DataFrame) -> pd.DataFrame:
    """One row per request and arm of the log (columns deployment_id, ts, arm, version_id,
    latency_ms per row): version_id, rows, latency_ms (the whole request's time for that arm).

    The log has a row per answer; every row of one call shares the call's timestamp and, per arm, one
    latency (the arm's time for the batch divided by its rows). A request is the group of rows with
    the same deployment, timestamp, arm and latency; its time is that latency times its rows. Read per
    row, a 10,000-row batch answered in half a second would read "within 0.05 ms". Rows without a
    latency (a shadow's silent answers) are left out."""
    timed = log[log["latency_ms"].notna()]
    if timed.empty:
        return pd.DataFrame(columns=["version_id", "rows", "latency_ms"])
    keys = ["deployment_id", "ts", "arm", "version_id", "latency_ms"]
    requests = timed.groupby(keys, sort=False).size().rename("rows").reset_index()
    requests["latency_ms"] = requests["latency_ms"].astype(float) * requests["rows"]
    return requests[["version_id", "rows", "latency_ms"]]


def labelled_metric(task: str, labelled: pd.DataFrame) -> tuple[str, float]:
    """(name, value) of the metric on answers whose label arrived; answers without a prediction are left out."""
    answered = labelled[labelled["prediction"].notna() & (labelled["prediction"] != "")]
    if task == "regression":
        predicted = pd.to_numeric(answered["prediction"], errors="coerce")
        truth = pd.to_numeric(answered["label"], errors="coerce")
        errors = (predicted - truth).abs().dropna()
        return "MAE", float(errors.mean()) if len(errors) else np.nan
    hits = answered["prediction"].astype(str).str.strip() == answered["label"].astype(str).str.strip()
    return "accuracy", float(hits.mean()) if len(hits) else np.nan
