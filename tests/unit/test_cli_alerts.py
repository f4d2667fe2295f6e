"""`run --json` lists the alerts under `monitoring.alerts` ({rule, window, severity, sentence}), and
`--webhook URL` sends each of them to a local receiver and keeps the URL on the project."""

import json
import os
import subprocess
import sys

import pytest

from core.monitoring import rule_store
from core.workspace.database import Workspace
from core.workspace.projects import get_project
from tests.unit.monitoring.test_alert_delivery import Receiver
from tests.unit.test_cli import ROOT, _table


@pytest.mark.slow
def test_run_json_lists_the_alerts_and_the_webhook_receives_each(tmp_path):
    _table(400, 0, "A").to_csv(tmp_path / "shifted.csv", index=False)
    receiver = Receiver()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "core", "run", "--data", str(tmp_path / "shifted.csv"), "--target", "y"]
            + ["--scenario", "sudden", "--webhook", receiver.url, "--json"],
            cwd=ROOT,
            env={**os.environ, "MLOPS_STUDIO_WORKSPACE": str(tmp_path / "ws")},
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        receiver.close()
    assert proc.returncode == 0, proc.stderr
    monitoring = json.loads(proc.stdout)["monitoring"]
    alerts = monitoring["alerts"]
    assert alerts, monitoring["reason"]
    assert all(set(a) == {"rule", "window", "severity", "sentence"} for a in alerts)
    assert all(a["sentence"].startswith(f"In window {a['window']},") for a in alerts)
    assert monitoring["alerts_outbox"] == {"pending": 0, "sent": len(alerts), "failed": 0, "last_error": None}
    received = sorted((b["rule"], b["window"], b["severity"], b["sentence"]) for _, b in receiver.bodies)
    assert received == sorted((a["rule"], a["window"], a["severity"], a["sentence"]) for a in alerts)
    assert {b["project"] for _, b in receiver.bodies} == {"shifted"}
    ws = Workspace(tmp_path / "ws")
    assert rule_store.get_webhook(ws, get_project(ws, "shifted")["id"]) == receiver.url
