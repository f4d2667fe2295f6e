"""Requests the endpoint refused with 422: they never reach a model, so the prediction log has no row
for them; each leaves one row in ``refused_requests`` instead (when, from where, which route, the
request ids it carried, what was wrong, how many rows, how large its body), capped in size so a
hostile body cannot grow the database. Deploy lists them; Monitor counts them beside the answers."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from core.workspace.database import Workspace, now

MAX_DETAIL_CHARS = 2000  # the 422's detail as stored: whole entries while they fit
MAX_IDS = 20  # request ids kept per refusal
MAX_ID_CHARS = 200

REFUSED_COLUMNS = ["id", "ts", "source", "route", "rows", "body_bytes", "request_ids", "problems"]


def capped_detail(detail: Any) -> str:
    """The 422's detail list as JSON of at most MAX_DETAIL_CHARS: its first entries that fit, each with
    its message cut to 300 characters, and ``{"more": n}`` naming how many were left out."""
    entries = detail if isinstance(detail, list) else [detail]
    kept: list[Any] = []
    for i, entry in enumerate(entries):
        if isinstance(entry, dict):
            entry = {k: (str(v)[:300] if k in ("msg", "input") else v) for k, v in entry.items() if k != "ctx"}
        candidate = [*kept, entry, {"more": len(entries) - i - 1}]
        if len(json.dumps(candidate, default=str)) > MAX_DETAIL_CHARS:
            return json.dumps([*kept, {"more": len(entries) - i}], default=str)
        kept.append(entry)
    return json.dumps(kept, default=str)


def capped_request_ids(data: Any) -> str | None:
    """The request ids a refused body carried (its first MAX_IDS, each cut to MAX_ID_CHARS), as JSON."""
    ids = data.get("request_ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not ids:
        return None
    return json.dumps([str(i)[:MAX_ID_CHARS] for i in ids[:MAX_IDS]])


def rows_of(data: Any) -> int | None:
    """How many rows a refused body held (None when it had no list of rows)."""
    rows = data.get("rows") if isinstance(data, dict) else None
    return len(rows) if isinstance(rows, list) else None


def log_refusal(
    ws: Workspace,
    project_id: int,
    *,
    route: str,
    detail: Any,
    data: Any = None,
    body_bytes: int | None = None,
    source: str = "http",
) -> None:
    """Record one refused request (``data``: its parsed body when it could be read)."""
    with ws.transaction() as conn:
        conn.execute(
            """INSERT INTO refused_requests (project_id, ts, source, route, request_ids_json, detail_json, rows,
               body_bytes) VALUES (?,?,?,?,?,?,?,?)""",
            (project_id, now(), source, route, capped_request_ids(data), capped_detail(detail), rows_of(data),
             body_bytes),
        )  # fmt: skip


def get_refused_requests_df(ws: Workspace, project_id: int, limit: int = 200) -> pd.DataFrame:
    """The project's latest refused requests, newest first; ``problems`` says in words what was wrong."""
    rows = ws.query(
        """SELECT id, ts, source, route, rows, body_bytes, request_ids_json, detail_json FROM refused_requests
           WHERE project_id = ? ORDER BY id DESC LIMIT ?""",
        (project_id, limit),
    )
    df = pd.DataFrame(rows, columns=["id", "ts", "source", "route", "rows", "body_bytes", "request_ids_json",
                                     "detail_json"])  # fmt: skip
    df["ts"] = pd.to_datetime(df["ts"], unit="s")
    # A column mixing text and NULL reads back with NaN (pandas 3's string dtype) where no id was sent.
    df["request_ids"] = [", ".join(json.loads(t)) if isinstance(t, str) and t else "" for t in df["request_ids_json"]]
    df["problems"] = [_detail_words(t) for t in df["detail_json"]]
    return df[REFUSED_COLUMNS]


def _detail_words(detail_json: str) -> str:
    """A stored detail in words: each problem's message, and how many more were left out."""
    words = []
    for entry in json.loads(detail_json):
        if isinstance(entry, dict) and "more" in entry and len(entry) == 1:
            if entry["more"]:
                words.append(f"(and {entry['more']} more)")
        elif isinstance(entry, dict):
            words.append(str(entry.get("msg", "")))
        else:
            words.append(str(entry))
    return " ".join(w for w in words if w)
