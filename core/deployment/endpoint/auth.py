"""The endpoint's front gate: an API key on every scoring route, a rate limit per key, and a record of
what each key asked (core.security.keys, core.security.ratelimit).

``/predict`` and ``/feedback`` need ``Authorization: Bearer <key>`` with a live key of the project:
missing, malformed, unknown, another project's or revoked → 401 with a JSON problem (RFC 9457) and
``WWW-Authenticate: Bearer``. Over the key's limit → 429 with ``Retry-After``. ``/health`` (the
studio's own liveness check), ``/docs`` and the OpenAPI schema stay open: they show the model's input
schema, never a prediction. The studio's own traffic (the Deploy page's rows, the monitoring simulator,
rollouts) goes through ``serving.predict`` in-process and never through this gate.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from core.security import keys
from core.security.ratelimit import DEFAULT_RATE_LIMIT, KeyRateLimiter
from core.workspace.database import Workspace

log = logging.getLogger("mlops_studio.endpoint")
PROTECTED = ("/predict", "/feedback")
SCHEME = "bearer"


def problem_response(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        headers=headers,
        media_type="application/problem+json",
    )


def install_auth(app: FastAPI, ws: Workspace, project_id: int, default_limit: str = DEFAULT_RATE_LIMIT) -> None:
    """Put the gate in front of ``app``'s scoring routes."""
    store = keys.KeyStore(ws.db_path)
    limiter = app.state.rate_limiter = KeyRateLimiter(default_limit)

    @app.middleware("http")
    async def require_key(request: Request, call_next: Any) -> Any:
        route = request.url.path
        if route not in PROTECTED:
            return await call_next(request)
        try:
            key = keys.authenticate(store, project_id, request.headers.get("authorization"))
        except keys.KeyRefused as exc:
            return problem_response(401, "Unauthorized", str(exc), {"WWW-Authenticate": 'Bearer realm="mlops-studio"'})
        wait = limiter.hit(key.id, key.rate_limit)
        if wait is not None:
            keys.record_request(ws.db_path, key, route, 0, 429)
            return problem_response(
                429,
                "Too Many Requests",
                f"This API key made more requests than its limit ({key.rate_limit or limiter.default}); "
                f"try again in {int(wait)} s.",
                {"Retry-After": str(int(wait))},
            )
        response = await call_next(request)
        state = request.state
        data = getattr(state, "data", None)
        rows = data.get("rows") if isinstance(data, dict) else None
        ids = getattr(state, "request_ids", None)
        if ids is None and route == "/feedback" and isinstance(data, dict) and data.get("request_id") is not None:
            ids = [str(data["request_id"])]
        try:
            keys.record_request(
                ws.db_path, key, route, len(rows) if isinstance(rows, list) else 1, response.status_code, ids
            )
        except Exception:  # noqa: BLE001 - the client still gets its answer
            log.exception("could not record a request's key")
        return response


def add_security(spec: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI schema says which routes need the key, and how to send it."""
    spec.setdefault("components", {}).setdefault("securitySchemes", {})["apiKey"] = {
        "type": "http",
        "scheme": SCHEME,
        "description": "An API key of the project (Deploy page, or `mlops-studio keys create --project P`), "
        "sent as 'Authorization: Bearer <key>'.",
    }
    for path in PROTECTED:
        for operation in spec.get("paths", {}).get(path, {}).values():
            operation["security"] = [{"apiKey": []}]
            operation.setdefault("responses", {}).update(
                {
                    "401": {"description": "No API key, or one that is unknown or revoked"},
                    "429": {"description": "Over the key's rate limit (Retry-After says when to try again)"},
                }
            )
    return spec
