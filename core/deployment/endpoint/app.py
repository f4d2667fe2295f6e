"""The HTTP endpoint of one project: a FastAPI app serving the project's live deployment (the one
Deploy shows) through ``serving.predict`` with ``source="http"``, the same code path as every other
caller. The deployment is looked up on every request, so a redeploy, a promotion or a blue-green
switch takes effect on the next request without a restart.

Routes: ``GET /health``, ``POST /predict``, ``POST /feedback``, and ``/docs`` + ``/openapi.json``
generated from the served model's input schema. A bad request gets a 422 naming each bad field; an
unexpected failure a JSON 500 that is logged (and a test checks no hostile input reaches it).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from core.deployment import refusals, serving
from core.deployment.endpoint.auth import add_security, install_auth
from core.deployment.endpoint.body import parse_json, problem, read_body, rejected
from core.deployment.endpoint.docs_page import render_docs_html
from core.deployment.endpoint.models import FeedbackRequest, HealthAnswer, PredictAnswer, read_feedback
from core.deployment.endpoint.schema import InputSchema
from core.workspace.database import Workspace
from core.workspace.errors import DataError, NotFoundError, RequestError, StudioError
from core.workspace.jsonable import to_strict_json
from core.workspace.projects import get_project

log = logging.getLogger("mlops_studio.endpoint")
_SCHEMAS_KEPT = 4
# Requests of up to this many rows are answered on the event loop itself: the hop to a worker thread
# and back cost 4-6 ms per request here (measured in tests/bench_endpoint.py: the HTTP layer's p50 went
# from 4.2 to 1.2 ms), more than the whole one-row goal. Bigger batches go to a worker thread so
# /health keeps answering while they are scored.
INLINE_ROWS = 64


class NotServing(Exception):
    """Nothing can answer right now (nothing deployed, a model that cannot be loaded): a 503."""


class LiveDeployment:
    """The project's active deployment, checked on every call, and the input schema of the
    versions that answer it (built once per set of versions).

    The check is one query on a connection each worker thread keeps (a new connection per request
    cost about a millisecond); the deployment is read through ``serving`` again whenever its row
    differs from the one seen last (a redeploy, a promotion, a switch, a changed share)."""

    def __init__(self, ws: Workspace, project_id: int):
        self.ws = ws
        self.project = get_project(ws, project_id)
        self._schemas: dict[tuple[int, ...], InputSchema] = {}
        self._seen: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self._local = threading.local()
        self._lock = threading.Lock()

    def current(self) -> tuple[dict[str, Any], InputSchema]:
        try:
            deployment = self._active()
            if deployment is None:
                raise NotServing(
                    f"Nothing is deployed for project {self.project['name']}; deploy a model on the Deploy page."
                )
            return deployment, self._schema(answering_versions(deployment))
        except StudioError as exc:
            raise NotServing(f"The deployment cannot answer: {exc}") from None

    def _active(self) -> dict[str, Any] | None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = sqlite3.connect(self.ws.db_path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
        row = conn.execute(
            "SELECT * FROM deployments WHERE project_id = ? AND active = 1 ORDER BY id DESC LIMIT 1",
            (self.project["id"],),
        ).fetchone()
        if row is None:
            return None
        seen = self._seen
        if seen is not None and seen[0] == tuple(row):
            return seen[1]
        deployment = serving.get_deployment(self.ws, row[0])
        self._seen = (tuple(row), deployment)
        return deployment

    def _schema(self, version_ids: tuple[int, ...]) -> InputSchema:
        with self._lock:
            schema = self._schemas.get(version_ids)
        if schema is None:
            schema = InputSchema([serving.load_served(self.ws, v) for v in version_ids])
            with self._lock:
                if len(self._schemas) >= _SCHEMAS_KEPT:
                    self._schemas.pop(next(iter(self._schemas)))
                self._schemas[version_ids] = schema
        return schema


def answering_versions(deployment: dict[str, Any]) -> tuple[int, ...]:
    """The versions whose answers a client can get: both arms of a canary or an A/B test, the live
    colour of a blue-green pair, the champion otherwise (a shadow answers nobody)."""
    routing = deployment["routing"]
    champion, challenger = deployment["champion_version_id"], deployment["challenger_version_id"]
    if challenger is None:
        return (champion,)
    if routing.strategy in ("canary", "ab"):
        return (champion, challenger)
    if routing.strategy == "blue_green" and routing.active_color == "green":
        return (challenger,)
    return (champion,)


def answer_rows(live: LiveDeployment, data: Any) -> dict[str, Any]:
    """The /predict answer for a parsed body (runs in a worker thread: it reads the database)."""
    deployment, schema = live.current()
    read = schema.read(data)
    try:
        out = serving.predict(
            live.ws,
            deployment,
            read.rows,
            keys=read.user_ids,
            request_ids=read.request_ids,
            source="http",
            as_columns=True,
        )
    except RequestError as exc:
        raise rejected(*[_request_problem(p) for p in exc.problems]) from None
    except DataError as exc:
        raise rejected(problem(("body",), str(exc), "value_error")) from None
    except StudioError as exc:  # a version gone, an artifact that fails its hash check
        raise NotServing(f"The deployment cannot answer: {exc}") from None
    return {
        "results": results_of(out),
        "ignored_columns": read.ignored_columns,
        "deployment_id": deployment["id"],
    }


def results_of(out: pd.DataFrame | dict[str, Any]) -> list[dict[str, Any]]:
    """One result per row, in order: what the client needs (not the routing key or the shadow's answer).
    ``out``: predict's answers, as a table or as columns (``serving.predict(..., as_columns=True)``)."""
    if "status" in out:
        status = np.asarray(out["status"], dtype=object)
    else:  # before the serving core reports a status: answered or not
        status = np.where(np.asarray(out["error"], dtype=object) == "", "scored", "error")
    scores = np.asarray(out["score"], dtype=float)
    return [
        {
            "request_id": str(request_id),
            "prediction": prediction if prediction != "" else None,
            "score": float(score) if np.isfinite(score) else None,
            "version": version or None,
            "arm": str(arm),
            "status": str(state),
            "problems": to_strict_json(list(problems or [])),
            "score_of": None if of is None or of != of else str(of),
        }
        for request_id, prediction, score, version, arm, state, problems, of in zip(
            out["request_id"],
            out["prediction"],
            scores,
            out["version"],
            out["arm"],
            status,
            out["problems"],
            out["score_of"] if "score_of" in out else [None] * len(scores),
        )
    ]


def _request_problem(p: Any) -> dict[str, Any]:
    loc: tuple[Any, ...] = ("body", "rows")
    if p.row is not None:
        loc += (int(p.row),)
    if p.column is not None:
        loc += (p.column,)
    return problem(loc, p.message, p.problem, p.value)


def log_refusal(live: LiveDeployment, request: Request, exc: RequestValidationError) -> None:
    """Record a refused request (what was read of it: its parsed body, else its size); a failure to
    record is logged and never turns the 422 into a 500."""
    size = getattr(request.state, "body_bytes", None)
    declared = request.headers.get("content-length", "")
    if size is None and declared.isascii() and declared.isdigit() and len(declared) < 19:
        size = int(declared)  # refused before the body was read (too large)
    try:
        refusals.log_refusal(
            live.ws,
            live.project["id"],
            route=request.url.path,
            detail=exc.errors(),
            data=getattr(request.state, "data", None),
            body_bytes=size,
        )
    except Exception:  # noqa: BLE001 - the client still gets its 422
        log.exception("could not record a refused request")


def health_of(live: LiveDeployment) -> dict[str, Any]:
    deployment, schema = live.current()
    return {
        "status": "ready",
        "project": live.project["name"],
        "project_id": live.project["id"],
        "deployment_id": deployment["id"],
        "strategy": deployment["routing"].strategy,
        "versions": schema.labels,
        "live": serving.describe_deployment(live.ws, deployment),
        "columns": [c.name for c in schema.columns],
        "pid": os.getpid(),
        **scores_of(live, deployment),
    }


def scores_of(live: LiveDeployment, deployment: dict[str, Any]) -> dict[str, Any]:
    """What an answer's score is, per answering version: {"positive_class": the first version's
    positive class (a yes/no model; else None), "scores": [{version, task, positive_class, score}]}."""
    models = [serving.load_served(live.ws, v) for v in answering_versions(deployment)]
    scores = [
        {
            "version": m.label,
            "task": m.task,
            "positive_class": serving.positive_class(m),
            "score": score_words(m),
        }
        for m in models
    ]
    return {"positive_class": scores[0]["positive_class"] if scores else None, "scores": scores}


def score_words(model: serving.ServedModel) -> str:
    """What a version's score is, in words."""
    if model.task == "binary":
        return f"the probability of class '{serving.positive_class(model)}' (score_of names it)"
    if model.task == "regression":
        return "the predicted value (score_of is null)"
    return "the probability of the predicted class, the most likely one (score_of names it)"


def create_app(workspace_root: str | Path, project_id: int) -> FastAPI:
    """The endpoint of one project of the workspace at ``workspace_root`` (NotFoundError if the
    project does not exist)."""
    live = LiveDeployment(Workspace(workspace_root), project_id)
    name = live.project["name"]
    app = FastAPI(
        title=f"MLOps Studio endpoint: {name}",
        version="1",
        docs_url="/swagger",  # Swagger UI loads from a CDN; /docs is our own page, drawn without the internet
        description=(
            f"Scores rows with the model deployed for project {name}. The request schema below is the served "
            "model's input schema: each column's type and the range or categories learned from the training data."
        ),
    )

    app.state.live = live  # what answers: the server warms it up before the first request
    install_auth(app, live.ws, project_id)  # /predict and /feedback need an API key; a rate limit per key

    @app.exception_handler(NotServing)
    async def not_serving(request: Request, exc: NotServing) -> JSONResponse:
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)

    @app.exception_handler(RequestValidationError)
    async def refused(request: Request, exc: RequestValidationError) -> JSONResponse:
        """A 422 as FastAPI writes it, after leaving its trace in the workspace."""
        await run_in_threadpool(log_refusal, live, request, exc)
        return await request_validation_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": f"Unexpected {type(exc).__name__} while answering; the endpoint log has the details."},
            status_code=500,
        )

    @app.get("/health", response_model=HealthAnswer, responses={503: {"description": "Nothing can answer yet"}})
    async def health() -> JSONResponse:
        """Ready when the project has a deployment whose models load."""
        return JSONResponse(to_strict_json(await run_in_threadpool(health_of, live)))

    @app.post(
        "/predict", response_model=PredictAnswer, responses={422: {"description": "A field the model cannot take"}}
    )
    async def predict(request: Request) -> JSONResponse:
        """Score rows: one result per row, in order (prediction, score, the version and arm that
        answered, its status under the deployment's validation policy, and the problems found)."""
        body = await read_body(request)
        request.state.body_bytes = len(body)  # what a refused request leaves as its trace
        data = request.state.data = parse_json(body)
        rows = data.get("rows") if isinstance(data, dict) else None
        if isinstance(rows, list) and len(rows) <= INLINE_ROWS:
            answer = answer_rows(live, data)
        else:
            answer = await run_in_threadpool(answer_rows, live, data)
        request.state.request_ids = [r["request_id"] for r in answer["results"]]  # the key's usage record
        return JSONResponse(answer)

    @app.post("/feedback", responses={404: {"description": "No answer has this request id"}})
    async def feedback(request: Request) -> JSONResponse:
        """The true label of an answer, quoted by its request id: how delayed labels reach monitoring."""
        body = await read_body(request)
        request.state.body_bytes = len(body)  # what a refused request leaves as its trace
        data = request.state.data = parse_json(body)
        request_id, label = read_feedback(data)
        try:
            labelled = await run_in_threadpool(serving.record_feedback, live.ws, live.project["id"], request_id, label)
        except NotFoundError as exc:
            return JSONResponse({"detail": str(exc), "request_id": request_id}, status_code=404)
        except DataError as exc:  # a label the answering model cannot be judged by
            raise rejected(problem(("body", "label"), str(exc), "value_error", label)) from None
        return JSONResponse({"request_id": request_id, "labelled": labelled})

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        """The OpenAPI schema as a plain page: routes, each column's type and what training taught."""
        return HTMLResponse(render_docs_html(app.openapi()))

    def openapi() -> dict[str, Any]:
        """The schema of the versions live now (rebuilt when they change)."""
        description = app.description
        try:
            deployment, schema = live.current()
            scores = scores_of(live, deployment)["scores"]
            description += " Each result's score is, " + "; ".join(f"for {s['version']}, {s['score']}" for s in scores)
            description += "."
        except NotServing:
            schema = None
        spec = get_openapi(title=app.title, version=app.version, description=description, routes=app.routes)
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        bodies = {"/feedback": FeedbackRequest.model_json_schema(ref_template="#/components/schemas/{model}")}
        if schema is not None:
            bodies["/predict"] = schema.request_model.model_json_schema(ref_template="#/components/schemas/{model}")
        for path, body in bodies.items():
            components.update(body.pop("$defs", {}))
            components[body["title"]] = body
            spec["paths"][path]["post"]["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body['title']}"}}},
            }
        return add_security(spec)

    app.openapi = openapi  # type: ignore[method-assign]
    return app


__all__ = ["LiveDeployment", "NotServing", "RequestValidationError", "create_app"]
