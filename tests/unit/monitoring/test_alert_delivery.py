"""A project's alert rules and webhook in the workspace, the outbox, and webhook delivery against a
local receiver (http.server in a thread): success, a 500 then success, a timeout, an unreachable host."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.monitoring import delivery, rule_store
from core.monitoring.alerts import Alert
from core.monitoring.delivery import DeliveryPolicy, deliver_outbox, post_json, start_delivery
from core.monitoring.rules import get_default_rules, with_changes
from core.workspace.database import now
from core.workspace.errors import ConfigError
from core.workspace.projects import create_project

FAST = DeliveryPolicy(timeout=0.5, attempts=3, backoff=0.01)


class Receiver:
    """A local webhook: answers each POST with the next planned status (200 once the plan runs out);
    a status of 'slow' answers 200 after longer than the client's timeout."""

    def __init__(self, plan=()):
        self.plan, self.bodies = list(plan), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                step = receiver.plan.pop(0) if receiver.plan else 200
                if step == "slow":
                    time.sleep(1.0)
                    step = 200
                receiver.bodies.append((step, body))
                self.send_response(step)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(plan=()):
        made.append(Receiver(plan))
        return made[-1]

    yield make
    for r in made:
        r.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ALERTS = [
    Alert("critical", 2, "new_values", "In window 2, plan has a value never seen.", "new_values", "Values never seen",
          {"window": 2, "rows": 500, "value": 0.4, "threshold": 0.05}, "drift_heatmap"),
    Alert("warning", 3, "prediction_drift", "In window 3, the model's scores shifted.", "prediction_drift",
          "Scores shifted", {"window": 3, "rows": 500, "value": 0.3, "threshold": 0.25}, "prediction_drift"),
]  # fmt: skip


@pytest.fixture
def project(ws):
    pid = create_project(ws, "alerts [demo]")["id"]
    artifact = ws.save_json({}, kind="monitoring")
    with ws.transaction() as conn:
        report_id = conn.execute(
            """INSERT INTO monitoring_reports (project_id, traffic_json, report_artifact_id, retrain_recommended,
               created_at) VALUES (?, '{}', ?, 0, ?)""",
            (pid, artifact, now()),
        ).lastrowid
        assert rule_store.add_to_outbox(conn, pid, report_id, ALERTS) == 2
        assert rule_store.add_to_outbox(conn, pid, report_id, ALERTS) == 0  # once per report, rule and window
    return pid, report_id


def test_post_succeeds_at_once(receiver):
    r = receiver()
    assert post_json(r.url, {"a": 1}, FAST) == (True, 1, "")
    assert r.bodies == [(200, {"a": 1})]


def test_a_500_is_retried_then_succeeds(receiver):
    r = receiver([500, 200])
    assert post_json(r.url, {"a": 1}, FAST) == (True, 2, "")
    assert [status for status, _ in r.bodies] == [500, 200]


def test_a_400_is_not_retried(receiver):
    r = receiver([400])
    sent, attempts, error = post_json(r.url, {"a": 1}, FAST)
    assert (sent, attempts) == (False, 1) and "400" in error


def test_a_receiver_slower_than_the_timeout_fails_after_every_attempt(receiver):
    r = receiver(["slow", "slow"])
    sent, attempts, error = post_json(r.url, {"a": 1}, DeliveryPolicy(timeout=0.2, attempts=2, backoff=0.01))
    assert (sent, attempts) == (False, 2) and "did not answer within 0.2 s" in error


def test_an_unreachable_webhook_fails_with_the_reason():
    sent, attempts, error = post_json(f"http://127.0.0.1:{free_port()}/hook", {"a": 1}, FAST)
    assert (sent, attempts) == (False, 3) and error.startswith("could not reach the webhook")


def test_the_outbox_is_delivered_with_the_contract_payload_and_each_state_recorded(ws, project, receiver):
    pid, report_id = project
    assert [row["status"] for row in rule_store.get_outbox(ws, pid)] == ["pending", "pending"]
    r = receiver([200, 500, 500, 500])
    assert deliver_outbox(ws, pid, r.url, policy=FAST) == {"sent": 1, "failed": 1}
    first = r.bodies[0][1]
    assert first == {
        "project": "alerts [demo]",
        "rule": "new_values",
        "window": 2,
        "severity": "critical",
        "sentence": "In window 2, plan has a value never seen.",
        "evidence": {"window": 2, "rows": 500, "value": 0.4, "threshold": 0.05, "rule_name": "Values never seen"},
        "report_id": report_id,
    }
    rows = {row["rule_id"]: row for row in rule_store.get_outbox(ws, pid)}
    assert (rows["new_values"]["status"], rows["new_values"]["attempts"]) == ("sent", 1)
    failed = rows["prediction_drift"]
    assert (failed["status"], failed["attempts"]) == ("failed", 3) and "500" in failed["last_error"]
    assert rule_store.count_outbox(ws, pid) == {"pending": 0, "sent": 1, "failed": 1}
    # Sending again retries only what was not sent.
    assert deliver_outbox(ws, pid, r.url, policy=FAST) == {"sent": 1, "failed": 0}
    assert rule_store.get_outbox_df(ws, pid)["status"].tolist() == ["sent", "sent"]


def test_background_delivery_returns_at_once_and_can_be_waited_for(ws, project, receiver):
    pid, _ = project
    r = receiver(["slow"])
    started = time.monotonic()
    thread = start_delivery(ws, pid, r.url, policy=DeliveryPolicy(timeout=3.0, attempts=1, backoff=0.01))
    assert time.monotonic() - started < 0.5 and thread.is_alive()
    assert delivery.wait_for_deliveries(10.0)
    assert rule_store.count_outbox(ws, pid)["sent"] == 2


def test_a_delivery_is_waited_for_once_so_exit_waits_stay_bounded(ws, project, receiver):
    pid, _ = project
    r = receiver(["slow", "slow"])
    thread = start_delivery(ws, pid, r.url, policy=DeliveryPolicy(timeout=3.0, attempts=1, backoff=0.01))
    assert not delivery.wait_for_deliveries(0.1)  # still sending: the wait gave up
    assert thread.is_alive() and delivery.wait_for_deliveries(0.1)  # already waited for once: not again
    thread.join(10.0)
    assert rule_store.count_outbox(ws, pid)["sent"] == 2


@pytest.mark.parametrize(
    "url, words",
    [
        ("ftp://example.com/x", "must start with http:// or https://"),
        ("file:///etc/passwd", "must start with http:// or https://"),
        ("hooks.example.com/x", "must start with http:// or https://"),
        ("http:///nohost", "has no host name"),
        ("http://example.com:99999/x", "port that is not a number"),
        ("http://exa mple.com/", "without spaces"),
    ],
)
def test_a_url_that_is_not_http_is_a_clear_error(ws, project, url, words):
    pid, _ = project
    with pytest.raises(ConfigError, match=words):
        rule_store.set_webhook(ws, pid, url)
    with pytest.raises(ConfigError, match=words):
        start_delivery(ws, pid, url)


def test_webhook_is_stored_per_project_and_removable(ws, project):
    pid, _ = project
    assert rule_store.get_webhook(ws, pid) is None
    assert rule_store.set_webhook(ws, pid, "  https://hooks.example.com/a?b=1 ") == "https://hooks.example.com/a?b=1"
    assert rule_store.get_webhook(ws, pid) == "https://hooks.example.com/a?b=1"
    assert rule_store.set_webhook(ws, pid, "") is None and rule_store.get_webhook(ws, pid) is None


def test_rules_are_stored_per_project_in_order_and_reset_to_the_defaults(ws, project):
    pid, _ = project
    defaults = get_default_rules("regression", "rmse")
    assert rule_store.get_rules(ws, pid, task="regression", metric="rmse") == defaults
    edited = [with_changes(r, threshold=0.5) if r.id == "prediction_drift" else r for r in defaults][::-1]
    rule_store.save_rules(ws, pid, edited)
    assert rule_store.get_rules(ws, pid, task="regression", metric="rmse") == edited
    with pytest.raises(ConfigError, match="at least one alert rule"):
        rule_store.save_rules(ws, pid, [])
    rule_store.reset_rules(ws, pid)
    assert rule_store.get_rules(ws, pid, task="binary", metric="roc_auc") == get_default_rules("binary", "roc_auc")
    actions = [r["action"] for r in ws.query("SELECT action FROM audit_log WHERE project_id = ?", (pid,))]
    assert "alerts.rules_saved" in actions and "alerts.rules_reset" in actions
