"""Sending the alert outbox to a project's webhook: one HTTP POST of JSON per alert ({project, rule,
window, severity, sentence, evidence, report_id}), with a timeout and retries with exponential backoff
(a connection error, a timeout, a 5xx or 429 answer is retried; another 4xx is not), in a background
thread so neither the app nor the CLI waits for it. The CLI waits a short, bounded time at exit
(``wait_for_deliveries``); what is not sent by then stays pending in the outbox and can be sent again.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.monitoring import rule_store
from core.workspace.database import Workspace

TIMEOUT_SECONDS = 3.0
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5  # waits 0.5 s, then 1 s, between the three attempts
EXIT_WAIT_SECONDS = 5.0
_threads: list[threading.Thread] = []
_lock = threading.Lock()


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout: float = TIMEOUT_SECONDS
    attempts: int = ATTEMPTS
    backoff: float = BACKOFF_SECONDS


def post_json(url: str, payload: dict[str, Any], policy: DeliveryPolicy = DeliveryPolicy()) -> tuple[bool, int, str]:
    """POST ``payload`` to ``url`` until it is accepted (2xx) or the attempts run out. Returns (sent,
    attempts made, the last error in words, '' when sent)."""
    body = json.dumps(payload, allow_nan=False).encode()
    error = ""
    for attempt in range(1, policy.attempts + 1):
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json", "User-Agent": "mlops-studio"}
        )
        retry = True
        try:
            with urllib.request.urlopen(request, timeout=policy.timeout) as response:  # noqa: S310 - http(s) only
                response.read(1024)
            return True, attempt, ""
        except urllib.error.HTTPError as exc:
            error = f"the webhook answered {exc.code} {exc.reason}"
            retry = exc.code >= 500 or exc.code == 429
        except TimeoutError:
            error = f"the webhook did not answer within {policy.timeout:g} s"
        except urllib.error.URLError as exc:
            reason = exc.reason
            error = (
                f"the webhook did not answer within {policy.timeout:g} s"
                if isinstance(reason, TimeoutError)
                else f"could not reach the webhook ({reason})"
            )
        except OSError as exc:
            error = f"could not reach the webhook ({exc})"
        if not retry:
            return False, attempt, error
        if attempt < policy.attempts:
            time.sleep(policy.backoff * 2 ** (attempt - 1))
    return False, policy.attempts, error


def deliver_outbox(
    ws: Workspace,
    project_id: int,
    url: str,
    ids: Sequence[int] | None = None,
    policy: DeliveryPolicy = DeliveryPolicy(),
) -> dict[str, int]:
    """Send the project's pending and failed alerts (or only ``ids``) to ``url``, recording each attempt.
    Returns how many were sent and how many failed."""
    url = rule_store.validate_webhook_url(url)
    project = ws.query_one("SELECT name FROM projects WHERE id = ?", (project_id,))
    name = project["name"] if project else str(project_id)
    rows = [
        r
        for r in rule_store.get_outbox(ws, project_id)
        if r["status"] != "sent" and (ids is None or r["id"] in set(ids))
    ]
    counts = {"sent": 0, "failed": 0}
    for row in sorted(rows, key=lambda r: r["id"]):
        payload = {
            "project": name,
            "rule": row["rule_id"],
            "window": row["alert_window"],
            "severity": row["severity"],
            "sentence": row["sentence"],
            "evidence": row["evidence"],
            "report_id": row["report_id"],
        }
        sent, attempts, error = post_json(url, payload, policy)
        rule_store.record_attempt(ws, row["id"], "sent" if sent else "failed", attempts, error or None)
        counts["sent" if sent else "failed"] += 1
    return counts


def start_delivery(
    ws: Workspace,
    project_id: int,
    url: str,
    ids: Sequence[int] | None = None,
    policy: DeliveryPolicy = DeliveryPolicy(),
) -> threading.Thread:
    """``deliver_outbox`` in a background (daemon) thread; returns at once. The URL is checked first, so
    a bad one is an error here, not a silent failure later."""
    url = rule_store.validate_webhook_url(url)
    thread = threading.Thread(
        target=_deliver_quietly, args=(ws, project_id, url, ids, policy), name="alert-webhook", daemon=True
    )
    with _lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()
    return thread


def _deliver_quietly(
    ws: Workspace, project_id: int, url: str, ids: Sequence[int] | None, policy: DeliveryPolicy
) -> None:
    try:
        deliver_outbox(ws, project_id, url, ids, policy)
    except Exception:  # noqa: BLE001 - a background sender never takes the app down; the outbox keeps the state
        pass


def wait_for_deliveries(timeout: float = EXIT_WAIT_SECONDS) -> bool:
    """Wait at most ``timeout`` seconds in all for background deliveries; True when none is left running.
    A delivery is waited for once: a later call does not wait for it again (the CLI's waits add up to at
    most one ``timeout``)."""
    deadline = time.monotonic() + timeout
    with _lock:
        threads = list(_threads)
        _threads.clear()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threads)
