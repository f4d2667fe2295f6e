"""The extraction demo end to end: it copies the deployed model through the endpoint, the copy agrees
with it well beyond chance, and the monitor's alert fires for the demo's key (CLI and Monitor alerts)."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from core.security.attacks_extraction import get_requests_df, get_saved_extraction, run_extraction_demo
from core.security.security_alerts import get_security_alerts
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError

pytestmark = pytest.mark.slow


def test_the_demo_copies_the_model_and_fires_the_alert(rollout_copy):
    ws = Workspace(rollout_copy)
    result = run_extraction_demo(ws, 1, 600, key="thief")
    assert result["answered"] == 600 and result["flagged"]
    assert result["fidelity"] > max(0.8, result["majority_share"])
    requests = get_requests_df(ws, 1)
    assert (requests["key"] == "thief").sum() == 600
    assert get_saved_extraction(ws, result["run_id"])["fidelity"] == result["fidelity"]
    alerts = [a for a in get_security_alerts(ws, 1) if a.evidence.get("key") == "thief"]
    assert alerts and alerts[0].kind == "extraction" and alerts[0].level == "critical"
    with pytest.raises(ConfigError, match="between 100 and"):
        run_extraction_demo(ws, 1, 5)


def test_the_cli_runs_the_demo(rollout_copy, capsys):
    code = main(
        ["attack", "extract", "--project", "roll", "--queries", "300", "--workspace", str(rollout_copy), "--json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["project"] == "roll" and out["answered"] == 300 and out["flagged"]
    code = main(["attack", "extract", "--project", "roll", "--queries", "3", "--workspace", str(rollout_copy)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
