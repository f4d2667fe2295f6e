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


def test_a_key_probing_the_endpoint_raises_a_security_alert(rollout_copy):
    from fastapi.testclient import TestClient

    from core.deployment.endpoint.app import create_app
    from core.security.keys import create_key
    from core.security.security_alerts import get_refusals_df

    ws = Workspace(rollout_copy)
    secret, _row = create_key(ws, 1, name="prober")
    honest, _other = create_key(ws, 1, name="honest")
    with TestClient(create_app(ws.root, 1)) as client:
        for i in range(25):  # a column missing, then text in a number: each a 422
            row = {"x1": "lots", "x2": 1.0, "color": "red"} if i % 2 else {"x2": 1.0}
            answer = client.post("/predict", json={"rows": [row]}, headers={"Authorization": f"Bearer {secret}"})
            assert answer.status_code == 422
        answer = client.post(
            "/predict",
            json={"rows": [{"x1": 0.1, "x2": 1.0, "color": "red"}]},
            headers={"Authorization": f"Bearer {honest}"},
        )
        assert answer.status_code == 200
    refusals = get_refusals_df(ws, 1, since=0)
    assert (refusals["key"] == "prober").sum() == 25 and "honest" not in set(refusals["key"])
    alerts = [a for a in get_security_alerts(ws, 1) if a.kind == "probing"]
    assert [a.evidence["key"] for a in alerts] == ["prober"]
    assert "Key prober sent 25 requests the endpoint refused" in alerts[0].message
