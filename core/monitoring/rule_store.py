"""A project's alert rules, its webhook URL and its alert outbox, in the workspace database.

A project without edited rules uses the defaults for its problem (``get_default_rules``); saving stores
the whole list in order, resetting removes it. Each alert a report fires goes into the outbox once
(per report, rule and window) with its delivery state: pending, sent or failed, the attempts and the
last error. Sending is ``delivery``'s job.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from core.i18n import _
from core.monitoring.alerts import Alert
from core.monitoring.rules import AlertRule, get_default_rules, validate_rules
from core.workspace.database import Workspace, now
from core.workspace.errors import ConfigError
from core.workspace.jsonable import dumps

OUTBOX_STATUSES = ("pending", "sent", "failed")
MAX_URL_LENGTH = 2000


def get_rules(
    ws: Workspace, project_id: int, *, task: str, metric: str, labels_delayed: bool = False
) -> list[AlertRule]:
    """The project's rules in order: its saved ones, else the defaults for its problem."""
    saved = get_saved_rules(ws, project_id)
    return saved if saved is not None else get_default_rules(task, metric, labels_delayed=labels_delayed)


def get_saved_rules(ws: Workspace, project_id: int) -> list[AlertRule] | None:
    rows = ws.query("SELECT rule_json FROM alert_rules WHERE project_id = ? ORDER BY position", (project_id,))
    return [AlertRule.from_dict(json.loads(r["rule_json"])) for r in rows] if rows else None


def save_rules(ws: Workspace, project_id: int, rules: Sequence[AlertRule]) -> list[AlertRule]:
    """Store the whole list (each rule valid, ids unique), replacing what was saved; in the audit log."""
    rules = validate_rules(list(rules))
    if not rules:
        raise ConfigError(_("Keep at least one alert rule (switch rules off instead), or reset to the defaults."))
    with ws.transaction() as conn:
        conn.execute("DELETE FROM alert_rules WHERE project_id = ?", (project_id,))
        conn.executemany(
            "INSERT INTO alert_rules (project_id, rule_id, position, rule_json, updated_at) VALUES (?,?,?,?,?)",
            [(project_id, r.id, i, dumps(r.to_dict()), now()) for i, r in enumerate(rules)],
        )
        ws.audit(conn, project_id, "alerts.rules_saved", {"rules": [r.to_dict() for r in rules]})
    return rules


def reset_rules(ws: Workspace, project_id: int) -> None:
    """Back to the defaults for the project's problem."""
    with ws.transaction() as conn:
        removed = conn.execute("DELETE FROM alert_rules WHERE project_id = ?", (project_id,)).rowcount
        ws.audit(conn, project_id, "alerts.rules_reset", {"removed": removed})


def validate_webhook_url(url: str) -> str:
    """An http(s) URL with a host, else ConfigError saying what is wrong."""
    text = url.strip() if isinstance(url, str) else url
    if not isinstance(text, str) or not text:
        raise ConfigError(_("The webhook URL is empty; give an http:// or https:// address, or remove the webhook."))
    if len(text) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in text):
        raise ConfigError(
            _("The webhook URL must be one address of at most {n} characters without spaces; check it.").format(
                n=MAX_URL_LENGTH
            )
        )
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise ConfigError(
            _(
                "The webhook URL must start with http:// or https://; got '{got}' instead. Alerts are sent as an "
                "HTTP POST of JSON."
            ).format(got=parts.scheme or text)
        )
    try:
        host, _port = parts.hostname, parts.port  # a port that is not a number raises here
    except ValueError:
        raise ConfigError(_("The webhook URL has a port that is not a number from 0 to 65535; check it.")) from None
    if not host:
        raise ConfigError(_("The webhook URL has no host name (e.g. https://hooks.example.com/alerts); add it."))
    return text


def get_webhook(ws: Workspace, project_id: int) -> str | None:
    row = ws.query_one("SELECT alert_webhook FROM projects WHERE id = ?", (project_id,))
    return row["alert_webhook"] if row else None


def set_webhook(ws: Workspace, project_id: int, url: str | None) -> str | None:
    """Set (validated) or remove (None or blank) the project's webhook; in the audit log."""
    value = validate_webhook_url(url) if url is not None and url.strip() else None
    with ws.transaction() as conn:
        conn.execute("UPDATE projects SET alert_webhook = ? WHERE id = ?", (value, project_id))
        ws.audit(conn, project_id, "alerts.webhook", {"url": value})
    return value


def add_to_outbox(conn: sqlite3.Connection, project_id: int, report_id: int | None, alerts: Sequence[Alert]) -> int:
    """Put a report's alerts in the outbox, inside the caller's transaction (once per rule and window)."""
    rows = [
        (
            project_id,
            report_id,
            a.rule or a.kind,
            int(a.window),
            a.level,
            a.message,
            dumps({**a.evidence, "rule_name": a.rule_name}),
            a.chart,
            now(),
            now(),
        )
        for a in alerts
    ]
    before = conn.total_changes
    conn.executemany(
        """INSERT OR IGNORE INTO alert_outbox (project_id, report_id, rule_id, alert_window, severity, sentence,
           evidence_json, chart, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)""",
        rows,
    )
    return conn.total_changes - before


def get_outbox(ws: Workspace, project_id: int, report_id: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """The outbox's rows, newest report first, then by window (each with its evidence as a dict)."""
    where, params = ("AND report_id = ?", (project_id, report_id)) if report_id is not None else ("", (project_id,))
    rows = ws.query(
        f"""SELECT * FROM alert_outbox WHERE project_id = ? {where}
            ORDER BY report_id DESC, alert_window, id LIMIT {int(limit)}""",
        params,
    )
    for row in rows:
        row["evidence"] = json.loads(row.pop("evidence_json"))
    return rows


def get_outbox_df(ws: Workspace, project_id: int, report_id: int | None = None) -> pd.DataFrame:
    """The outbox as Monitor shows it: report, window, severity, rule, sentence, status, attempts, last error."""
    rows = get_outbox(ws, project_id, report_id)
    columns = ["report", "window", "severity", "rule", "sentence", "status", "attempts", "last error"]
    return pd.DataFrame(
        [
            [
                r["report_id"],
                r["alert_window"],
                r["severity"],
                r["rule_id"],
                r["sentence"],
                r["status"],
                r["attempts"],
                r["last_error"] or "",
            ]
            for r in rows
        ],
        columns=columns,
    )


def record_attempt(ws: Workspace, outbox_id: int, status: str, attempts: int, error: str | None) -> None:
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE alert_outbox SET status = ?, attempts = attempts + ?, last_error = ?, updated_at = ? WHERE id = ?",
            (status, attempts, error, now(), outbox_id),
        )


def count_outbox(ws: Workspace, project_id: int) -> dict[str, int]:
    """How many alerts are pending, sent and failed."""
    rows = ws.query(
        "SELECT status, COUNT(*) AS n FROM alert_outbox WHERE project_id = ? GROUP BY status", (project_id,)
    )
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    counts.update({r["status"]: int(r["n"]) for r in rows})
    return counts
