"""API keys of a project's HTTP endpoint, and what each key asked.

A key is ``mls_`` and 43 random URL-safe characters (256 bits), shown once when it is made. The
workspace keeps its SHA-256 (a fast hash is enough for a random secret of that size: nothing to guess),
its first characters to tell keys apart, a name, an optional rate limit, and who made and revoked it.

Every request a key makes is recorded in ``api_key_requests``: time, route, rows, HTTP status and
the request ids of its rows (the ids the prediction log keeps with each row's input). The endpoint
writes them from a background thread, a batch at a time (a transaction per request would cost as
much as the answer itself); ``flush_usage`` writes what waits, and every reader here calls it.

    key, row = create_key(ws, project_id, name="mobile app")   # key: print it now, it is never shown again
    authenticate(ws, project_id, "Bearer " + key)               # -> ApiKey, or KeyRefused
    key_usage(ws, project_id)                                   # one row per request: key, time, rows...
    key_request_inputs(ws, project_id, key_id=3)                # one row per scored row, with its input
"""

from __future__ import annotations

import atexit
import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core.i18n import _
from core.security.ratelimit import check_rate_limit
from core.workspace.actor import current_actor
from core.workspace.database import Workspace, inserted_id, now
from core.workspace.errors import ConfigError, NotFoundError

KEY_PREFIX = "mls_"
SHOWN_CHARS = 8  # of the random part, after the prefix: "mls_AbC123xY…"
MAX_NAME = 60
MAX_HEADER = 200  # an Authorization header longer than any key is refused without hashing it
FLUSH_SECONDS = 0.5
USAGE_COLUMNS = ["request", "key_id", "key_name", "time", "ts", "route", "rows", "status", "request_ids"]


@dataclass(frozen=True)
class ApiKey:
    id: int
    project_id: int
    name: str
    prefix: str
    rate_limit: str | None


class KeyRefused(Exception):
    """The request carries no usable key: the endpoint answers 401 with ``str(exc)``."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(
    ws: Workspace, project_id: int, name: str | None = None, rate_limit: str | None = None
) -> tuple[str, dict[str, Any]]:
    """A new key for the project's endpoint: (the key, to show once; its row, without the key)."""
    _project(ws, project_id)
    name = " ".join(str(name or "").split()) or _("key")
    if len(name) > MAX_NAME:
        raise ConfigError(_("A key's name can have at most {n} characters; got {m}.").format(n=MAX_NAME, m=len(name)))
    limit = check_rate_limit(rate_limit)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    who = current_actor()
    with ws.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO api_keys (project_id, name, prefix, key_hash, rate_limit, created_at, created_by, "
            "created_role) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (project_id, name, key[: len(KEY_PREFIX) + SHOWN_CHARS], hash_key(key), limit, now(), who.name, who.role),
        )
        key_id = inserted_id(cur)
        ws.audit(conn, project_id, "api_key.created", {"key_id": key_id, "name": name, "rate_limit": limit})
    return key, get_key(ws, project_id, key_id)


def get_key(ws: Workspace, project_id: int, key_id: int) -> dict[str, Any]:
    row = ws.query_one(
        "SELECT id, project_id, name, prefix, rate_limit, created_at, created_by, created_role, revoked_at, "
        "revoked_by FROM api_keys WHERE id = ? AND project_id = ?",
        (key_id, project_id),
    )
    if row is None:
        raise NotFoundError(_("The project has no API key {key}; list its keys to see their ids.").format(key=key_id))
    return row


def revoke_key(ws: Workspace, project_id: int, key_id: int) -> dict[str, Any]:
    """Revoke a key: the endpoint refuses it from the next request on. Revoking twice changes nothing."""
    row = get_key(ws, project_id, key_id)
    if row["revoked_at"] is not None:
        return row
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
            (now(), current_actor().name, key_id),
        )
        ws.audit(conn, project_id, "api_key.revoked", {"key_id": key_id, "name": row["name"]})
    return get_key(ws, project_id, key_id)


def list_keys(ws: Workspace, project_id: int) -> pd.DataFrame:
    """The project's keys, newest first, with their request counts (never the keys themselves)."""
    flush_usage(ws.db_path)
    rows = ws.query(
        """SELECT k.id, k.name, k.prefix, k.rate_limit, k.created_at, k.created_by, k.revoked_at, k.revoked_by,
                  COUNT(r.id) AS requests, COALESCE(SUM(r.rows), 0) AS rows, MAX(r.ts) AS last_used_at
           FROM api_keys k LEFT JOIN api_key_requests r ON r.key_id = k.id
           WHERE k.project_id = ? GROUP BY k.id ORDER BY k.id DESC""",
        (project_id,),
    )
    columns = [
        "id", "name", "prefix", "rate_limit", "created_at", "created_by", "revoked_at", "revoked_by",
        "requests", "rows", "last_used_at",
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=columns)
    return df.astype(object).where(df.notna(), None)


def _project(ws: Workspace, project_id: int) -> dict[str, Any]:
    from core.workspace.projects import get_project

    return get_project(ws, project_id)


# -- the endpoint's side -----------------------------------------------------------------------------


class KeyStore:
    """Finds the key a request presents, on a connection each thread keeps (the endpoint checks a key on
    every request: a new connection per request would cost a millisecond)."""

    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        self._local = threading.local()

    def find(self, key_hash: str) -> tuple | None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
        return conn.execute(
            "SELECT id, project_id, name, prefix, rate_limit, revoked_at FROM api_keys WHERE key_hash = ?",
            (key_hash,),
        ).fetchone()


def read_bearer(header: str | None) -> str:
    """The key in an ``Authorization: Bearer <key>`` header; KeyRefused saying what is wrong."""
    if not header:
        raise KeyRefused(
            "This endpoint needs an API key: send it as 'Authorization: Bearer <key>' "
            "(create one on the Deploy page or with `mlops-studio keys create --project P`)."
        )
    scheme, _sep, key = header.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise KeyRefused("The Authorization header must be 'Bearer <key>'.")
    if len(key) > MAX_HEADER or not key.isascii():
        raise KeyRefused("The API key is not valid for this endpoint.")
    return key


def authenticate(store: KeyStore | Workspace, project_id: int, header: str | None) -> ApiKey:
    """The key an ``Authorization`` header presents, if it is a live key of this project; else
    KeyRefused (missing, malformed, unknown, another project's, or revoked)."""
    key = read_bearer(header)
    if isinstance(store, Workspace):
        store = KeyStore(store.db_path)
    row = store.find(hash_key(key))
    if row is None or int(row[1]) != int(project_id):
        raise KeyRefused("The API key is not valid for this endpoint.")
    if row[5] is not None:
        raise KeyRefused("This API key was revoked; ask for a new one.")
    return ApiKey(id=int(row[0]), project_id=int(row[1]), name=row[2], prefix=row[3], rate_limit=row[4])


# -- usage: written in batches by a background thread -------------------------------------------------

_pending: dict[Path, list[tuple]] = {}
_pending_lock = threading.Lock()
_flush_lock = threading.Lock()
_writer: threading.Thread | None = None
_wake = threading.Event()


def record_request(
    db_path: Path,
    key: ApiKey,
    route: str,
    rows: int,
    status: int,
    request_ids: Iterable[str] | None = None,
) -> None:
    """Queue one request of ``key`` for the usage table (written within FLUSH_SECONDS)."""
    ids = list(request_ids) if request_ids else None
    record = (key.id, key.project_id, now(), route, int(rows), int(status), json.dumps(ids) if ids else None)
    with _pending_lock:
        _pending.setdefault(Path(db_path), []).append(record)
    _start_writer()


def flush_usage(db_path: Path | None = None) -> None:
    """Write the queued usage of ``db_path`` (every database when None)."""
    with _flush_lock:
        with _pending_lock:
            paths = [Path(db_path)] if db_path is not None else list(_pending)
            batches = {p: _pending.pop(p, []) for p in paths}
        for path, batch in batches.items():
            if batch:
                _write_batch(path, batch)


def _write_batch(db_path: Path, batch: list[tuple]) -> None:
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO api_key_requests (key_id, project_id, ts, route, rows, status, request_ids_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def _start_writer() -> None:
    global _writer
    if _writer is not None and _writer.is_alive():
        return
    with _pending_lock:
        if _writer is not None and _writer.is_alive():
            return
        _writer = threading.Thread(target=_write_loop, name="api-key-usage", daemon=True)
        _writer.start()


def _write_loop() -> None:
    import logging

    while True:
        _wake.wait(FLUSH_SECONDS)
        try:
            flush_usage()
        except Exception:  # noqa: BLE001 - a locked or vanished database: the next round tries again
            logging.getLogger("mlops_studio.security").exception("could not record API key usage")


atexit.register(flush_usage)


def key_usage(ws: Workspace, project_id: int, key_id: int | None = None) -> pd.DataFrame:
    """One row per request made with a key of the project, oldest first: ``request`` (its id here),
    ``key_id``, ``key_name``, ``time`` (UTC timestamp), ``ts`` (seconds), ``route``, ``rows``, ``status``
    (HTTP: 200 answered, 422 refused, 429 over the limit...) and ``request_ids`` (the ids of its rows
    in the prediction log; ``key_request_inputs`` gives their inputs)."""
    flush_usage(ws.db_path)
    sql = """SELECT r.id AS request, r.key_id, k.name AS key_name, r.ts, r.route, r.rows, r.status,
                    r.request_ids_json FROM api_key_requests r JOIN api_keys k ON k.id = r.key_id
             WHERE r.project_id = ?"""
    params: list[Any] = [project_id]
    if key_id is not None:
        sql += " AND r.key_id = ?"
        params.append(key_id)
    rows = ws.query(sql + " ORDER BY r.ts, r.id", params)
    df = pd.DataFrame(
        rows, columns=["request", "key_id", "key_name", "ts", "route", "rows", "status", "request_ids_json"]
    )
    df["time"] = pd.to_datetime(df["ts"], unit="s", utc=True)
    df["request_ids"] = [json.loads(t) if isinstance(t, str) else [] for t in df["request_ids_json"]]
    return df[USAGE_COLUMNS]


def key_request_inputs(ws: Workspace, project_id: int, key_id: int | None = None) -> pd.DataFrame:
    """One row per row a key had scored: ``key_id``, ``request`` (as in key_usage), ``request_id``,
    ``time``, ``input`` (the row as the prediction log kept it, a dict; None if it kept none),
    ``prediction`` and ``score``."""
    from core.deployment.prediction_log import fill_input_json

    usage = key_usage(ws, project_id, key_id)
    pairs = [(r.key_id, r.request, rid) for r in usage.itertuples() for rid in r.request_ids]
    columns = ["key_id", "request", "request_id", "time", "input", "prediction", "score"]
    if not pairs:
        return pd.DataFrame(columns=columns)
    wanted = pd.DataFrame(pairs, columns=["key_id", "request", "request_id"])
    logged = []
    ids = wanted["request_id"].unique().tolist()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        logged += ws.query(
            f"""SELECT p.id, p.request_id, p.ts, p.prediction, p.score, p.input_json FROM predictions p
                JOIN deployments d ON d.id = p.deployment_id
                WHERE d.project_id = ? AND p.request_id IN ({",".join("?" * len(chunk))})""",
            [project_id, *chunk],
        )
    log = pd.DataFrame(logged, columns=["id", "request_id", "ts", "prediction", "score", "input_json"])
    log = fill_input_json(ws, log).drop_duplicates("request_id", keep="last")
    out = wanted.merge(log, on="request_id", how="left")
    out["time"] = pd.to_datetime(out["ts"], unit="s", utc=True)
    out["input"] = [json.loads(t) if isinstance(t, str) else None for t in out["input_json"]]
    return out[columns]
