"""The simulated endpoint: the champion (and optionally a challenger) behind a routing strategy.

A request is a table of raw rows, exactly as a client would send them. The endpoint replays the
cleaning recipe's value fixes (never its row filters), runs the registered pipeline, and logs every
prediction with the version that answered and the latency.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any

import numpy as np
import pandas as pd

from core.cleaning import apply_recipe
from core.datasets import load_recipe, load_rules
from core.errors import ConfigError, DataError
from core.registry import get_decision_threshold, get_version, load_version_model
from core.routing import RoutingConfig, route_requests
from core.validation import ValidationRules, Violation, check_rows
from core.workspace import Workspace, dumps, now

# Loaded pipelines keyed by artifact hash; shared read-only by every session and job.
_model_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


def create_deployment(
    ws: Workspace, project_id: int, routing: RoutingConfig, champion_version_id: int,
    challenger_version_id: int | None = None, reason: str = "",
) -> dict[str, Any]:
    """Make a new deployment the project's one live endpoint (the previous one stops serving).
    ``reason`` says why in the audit log (e.g. "rollback of churn")."""
    if routing.strategy != "single" and challenger_version_id is None:
        raise ConfigError(f"The '{routing.strategy}' strategy needs a challenger; register one or choose 'single'.")
    get_version(ws, champion_version_id)
    if challenger_version_id is not None:
        get_version(ws, challenger_version_id)
    with ws.transaction() as conn:
        conn.execute("UPDATE deployments SET active = 0 WHERE project_id = ?", (project_id,))
        dep_id = conn.execute(
            """INSERT INTO deployments (project_id, routing_json, champion_version_id, challenger_version_id,
               active, created_at) VALUES (?,?,?,?,1,?)""",
            (project_id, dumps(routing.to_dict()), champion_version_id, challenger_version_id, now()),
        ).lastrowid
        ws.audit(conn, project_id, "deployment.created",
                 {"deployment_id": dep_id, "routing": routing.to_dict(), "champion_version_id": champion_version_id,
                  "challenger_version_id": challenger_version_id, **({"reason": reason} if reason else {})})
    return get_deployment(ws, dep_id)


def get_deployment(ws: Workspace, deployment_id: int) -> dict[str, Any]:
    row = ws.get_row("deployments", deployment_id,
                     f"Deployment {deployment_id} does not exist; deploy a model on the Deploy page.")
    row["routing"] = RoutingConfig.from_dict(json.loads(row["routing_json"]))
    return row


def get_active_deployment(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    row = ws.query_one("SELECT id FROM deployments WHERE project_id = ? AND active = 1 ORDER BY id DESC LIMIT 1",
                       (project_id,))
    return get_deployment(ws, row["id"]) if row else None


def get_serving_version(ws: Workspace, deployment: dict[str, Any]) -> dict[str, Any]:
    """The version that answers the deployment's requests: the champion, except in blue-green with
    green live, where the challenger answers every request."""
    routing: RoutingConfig = deployment["routing"]
    if (routing.strategy == "blue_green" and routing.active_color == "green"
            and deployment["challenger_version_id"]):
        return get_version(ws, deployment["challenger_version_id"])
    return get_version(ws, deployment["champion_version_id"])


def describe_deployment(ws: Workspace, deployment: dict[str, Any]) -> str:
    """Which versions a deployment serves, in words: "deployment 4 (single): churn v1 answers every
    request". The Registry, Deploy and Monitor pages all say what is live with this one sentence."""
    routing: RoutingConfig = deployment["routing"]
    champion = get_version(ws, deployment["champion_version_id"])
    challenger = (get_version(ws, deployment["challenger_version_id"])
                  if deployment["challenger_version_id"] else None)
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


class ServedModel:
    """One registered version ready to answer: its recipe, pipeline, and how to turn scores into labels."""

    def __init__(self, ws: Workspace, version_id: int):
        self.version = get_version(ws, version_id)
        lineage = json.loads(self.version["lineage_json"] or "{}")
        self.label = f"{self.version['model_name']} v{self.version['version']}"
        self.classes: list[str] = lineage.get("classes") or []
        self.task: str = lineage.get("task", "regression")
        self.threshold = get_decision_threshold(self.version)
        self.recipe = load_recipe(ws, lineage["recipe_id"]) if lineage.get("recipe_id") else None
        rules = load_rules(ws, lineage["dataset_id"]) if lineage.get("dataset_id") else None
        self.rules = ValidationRules.from_dict(rules) if rules else None
        with _cache_lock:
            pipeline = _model_cache.get(self.version["sha256"])
        if pipeline is None:
            pipeline = load_version_model(ws, version_id)
            with _cache_lock:
                _model_cache[self.version["sha256"]] = pipeline
        self.pipeline = pipeline
        self.input_columns: list[str] = list(getattr(pipeline, "feature_names_in_", []))
        self.required_columns: list[str] = _used_columns(pipeline) or self.input_columns

    def prepare(self, rows: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.required_columns if c not in rows.columns]
        if missing:
            raise DataError(f"The request is missing column(s) {', '.join(missing)} that {self.label} needs; "
                            f"send these columns: {', '.join(self.required_columns)}.")
        prepared = apply_recipe(rows, self.recipe, training=False)[0] if self.recipe else rows.copy()
        for column in self.input_columns:  # columns the model ignores (IDs…) need not be sent
            if column not in prepared.columns:
                prepared[column] = np.nan
        return prepared[self.input_columns] if self.input_columns else prepared

    def validate(self, rows: pd.DataFrame) -> list[Violation]:
        """What in these rows breaks the rules learned from the training data (after the recipe's
        value fixes, as the model will see them)."""
        if self.rules is None:
            return []
        prepared = apply_recipe(rows, self.recipe, training=False)[0] if self.recipe else rows
        return check_rows(prepared, self.rules)

    def score(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(labels, scores): scores are P(positive) for binary, max class probability for multiclass,
        the predicted value for regression."""
        X = self.prepare(rows)
        if self.task == "regression":
            values = np.asarray(self.pipeline.predict(X), dtype=float)
            return values.round(4).astype(str), values
        proba = self.pipeline.predict_proba(X)
        if self.task == "binary":
            pos = proba[:, 1]
            labels = np.where(pos >= self.threshold, self.classes[1] if len(self.classes) > 1 else "1",
                              self.classes[0] if self.classes else "0")
            return labels.astype(str), pos
        predicted = np.asarray(self.pipeline.classes_)[proba.argmax(axis=1)]
        return predicted.astype(str), proba.max(axis=1)


def _used_columns(pipeline) -> list[str]:
    """Input columns the fitted preprocessor actually transforms (not the ones it drops)."""
    preprocess = getattr(pipeline, "named_steps", {}).get("preprocess")
    used: list[str] = []
    for _, transformer, columns in getattr(preprocess, "transformers_", []):
        if transformer == "drop" or isinstance(columns, slice):
            continue
        used += [c for c in np.atleast_1d(columns).tolist() if isinstance(c, str)]
    return list(dict.fromkeys(used))


def load_served(ws: Workspace, version_id: int) -> ServedModel:
    return ServedModel(ws, version_id)


def predict(
    ws: Workspace, deployment: dict[str, Any], rows: pd.DataFrame, *, keys: list[str] | None = None,
    seed: int | None = None, log: bool = True,
) -> pd.DataFrame:
    """Answer a batch of requests through the deployment's routing and log every prediction.
    ``seed`` fixes the canary's random draws (simulations pass one); live calls draw afresh, except
    A/B, whose assignment is salted with the deployment so a user keeps their arm across calls."""
    if rows.empty:
        raise DataError("The request has no rows; send at least one row.")
    keys = keys or [str(i) for i in range(len(rows))]
    routing: RoutingConfig = deployment["routing"]
    if seed is None:
        seed = deployment["id"] if routing.strategy == "ab" else int(np.random.default_rng().integers(2**31))
    decisions = route_requests(keys, routing, seed=seed)
    arms = {"champion": load_served(ws, deployment["champion_version_id"])}
    if deployment["challenger_version_id"]:
        arms["challenger"] = load_served(ws, deployment["challenger_version_id"])
    serve = np.array([d["serve"] for d in decisions])
    shadow = np.array([d["shadow"] or "" for d in decisions])
    out = pd.DataFrame({"key": keys, "arm": serve, "prediction": "", "score": np.nan, "version": "",
                        "latency_ms": np.nan, "shadow_prediction": None}, index=rows.index)
    for arm, model in arms.items():
        mask = serve == arm
        if mask.any():
            start = time.perf_counter()
            labels, scores = model.score(rows.loc[mask])
            per_row = (time.perf_counter() - start) * 1000 / mask.sum()
            out.loc[mask, "prediction"] = labels
            out.loc[mask, "score"] = scores
            out.loc[mask, "version"] = model.label
            out.loc[mask, "latency_ms"] = per_row
        shadow_mask = shadow == arm
        if shadow_mask.any():
            out.loc[shadow_mask, "shadow_prediction"] = model.score(rows.loc[shadow_mask])[0]
    if log:
        _log_predictions(ws, deployment, rows, out, arms)
    return out.reset_index(drop=True)


def _log_predictions(ws, deployment, rows, out, arms) -> None:
    version_ids = {arm: m.version["id"] for arm, m in arms.items()}
    inputs = rows.astype(str).to_dict(orient="records")
    ts = now()
    records = [
        (deployment["id"], ts, o.key, o.arm, version_ids[o.arm], o.prediction,
         None if pd.isna(o.score) else float(o.score),
         version_ids.get("challenger") if o.shadow_prediction is not None else None,
         o.shadow_prediction, float(o.latency_ms), json.dumps(inp))
        for o, inp in zip(out.itertuples(index=False), inputs)
    ]
    with ws.transaction() as conn:
        conn.executemany(
            """INSERT INTO predictions (deployment_id, ts, request_key, arm, version_id, prediction, score,
               shadow_version_id, shadow_prediction, latency_ms, input_json) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
            records,
        )


def get_prediction_log_df(ws: Workspace, deployment_id: int, limit: int = 200) -> pd.DataFrame:
    rows = ws.query(
        """SELECT p.id, p.ts, p.request_key, p.arm, v.model_name || ' v' || v.version AS version, p.prediction,
                  p.score, p.shadow_prediction, p.latency_ms
           FROM predictions p JOIN model_versions v ON v.id = p.version_id
           WHERE p.deployment_id = ? ORDER BY p.id DESC LIMIT ?""",
        (deployment_id, limit),
    )
    df = pd.DataFrame(rows, columns=["id", "ts", "request_key", "arm", "version", "prediction", "score",
                                     "shadow_prediction", "latency_ms"])
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
