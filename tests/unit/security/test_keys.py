"""API keys on the HTTP endpoint: required, stored hashed, revocable, and every request recorded per key."""

import json

import pytest
from fastapi.testclient import TestClient

from core.cli import main
from core.deployment.endpoint import create_app
from core.security import keys
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.projects import create_project

ROW = {"x1": 0.5, "x2": 3.0, "color": "red"}


@pytest.fixture
def served(rollout_copy):
    """(workspace, project id, client without a key) of a trained, deployed project."""
    ws = Workspace(rollout_copy)
    return ws, 1, TestClient(create_app(ws.root, 1), raise_server_exceptions=False)


def _bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_the_key_is_shown_once_and_only_its_hash_is_kept(ws):
    pid = create_project(ws, "p")["id"]
    key, row = keys.create_key(ws, pid, name="  mobile   app ")
    assert key.startswith("mls_") and len(key) > 40 and row["name"] == "mobile app"
    assert "key" not in row and row["prefix"] == key[:12]
    assert ws.query_one("SELECT key_hash FROM api_keys")["key_hash"] == keys.hash_key(key)
    dump = "\n".join(ws._reader().iterdump())  # the whole database, every table
    assert key not in dump and key[12:] not in dump
    assert keys.list_keys(ws, pid).columns.tolist()[:3] == ["id", "name", "prefix"]
    with pytest.raises(ConfigError, match="600/minute"):
        keys.create_key(ws, pid, rate_limit="lots")
    with pytest.raises(NotFoundError):
        keys.revoke_key(ws, pid, 999)


def test_predict_requires_a_key_of_this_project(served):
    ws, pid, client = served
    missing = client.post("/predict", json={"rows": [ROW]})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].lower().startswith("bearer")
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["status"] == 401 and "Authorization: Bearer" in missing.json()["detail"]
    assert client.post("/predict", json={"rows": [ROW]}, headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.post("/predict", json={"rows": [ROW]}, headers=_bearer("mls_guessed")).status_code == 401
    other = create_project(ws, "other")["id"]
    foreign, _row = keys.create_key(ws, other)
    assert client.post("/predict", json={"rows": [ROW]}, headers=_bearer(foreign)).status_code == 401
    assert client.post("/feedback", json={"request_id": "x", "label": "yes"}).status_code == 401
    key, _row = keys.create_key(ws, pid)
    answer = client.post("/predict", json={"rows": [ROW]}, headers=_bearer(key))
    assert answer.status_code == 200 and answer.json()["results"][0]["prediction"] in ("yes", "no")
    assert client.get("/health").status_code == 200  # the studio's liveness check needs no key


def test_a_revoked_key_is_refused_from_the_next_request(served):
    ws, pid, client = served
    key, row = keys.create_key(ws, pid, name="student 7")
    assert client.post("/predict", json={"rows": [ROW]}, headers=_bearer(key)).status_code == 200
    keys.revoke_key(ws, pid, row["id"])
    refused = client.post("/predict", json={"rows": [ROW]}, headers=_bearer(key))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    audit = [r["action"] for r in ws.query("SELECT action FROM audit_log WHERE action LIKE 'api_key.%'")]
    assert audit == ["api_key.created", "api_key.revoked"]


def test_every_request_is_recorded_per_key_with_its_inputs(served):
    ws, pid, client = served
    a, row_a = keys.create_key(ws, pid, name="a")
    b, row_b = keys.create_key(ws, pid, name="b")
    rows = [ROW, {**ROW, "x1": -2.0}, {**ROW, "color": "blue"}]
    sent = client.post("/predict", json={"rows": rows, "request_ids": ["a-1", "a-2", "a-3"]}, headers=_bearer(a))
    assert sent.status_code == 200
    assert client.post("/predict", json={"rows": [{**ROW, "x2": "many"}]}, headers=_bearer(b)).status_code == 422
    assert client.post("/feedback", json={"request_id": "a-1", "label": "yes"}, headers=_bearer(a)).status_code == 200
    usage = keys.key_usage(ws, pid)
    assert usage.columns.tolist() == keys.USAGE_COLUMNS
    assert usage[["key_id", "route", "rows", "status"]].values.tolist() == [
        [row_a["id"], "/predict", 3, 200],
        [row_b["id"], "/predict", 1, 422],
        [row_a["id"], "/feedback", 1, 200],
    ]
    assert usage["request_ids"].iloc[0] == ["a-1", "a-2", "a-3"]
    assert str(usage["time"].dt.tz) == "UTC"
    inputs = keys.key_request_inputs(ws, pid, key_id=row_a["id"])
    scored = inputs[inputs["request"] == usage["request"].iloc[0]]
    assert scored["request_id"].tolist() == ["a-1", "a-2", "a-3"]
    assert [r["x1"] for r in scored["input"]] == [0.5, -2.0, 0.5]
    assert set(scored["prediction"]) <= {"yes", "no"}
    listed = keys.list_keys(ws, pid).set_index("id")
    assert listed.loc[row_a["id"], "requests"] == 2 and listed.loc[row_b["id"], "rows"] == 1


def test_docs_and_schema_say_how_to_send_the_key(served):
    _ws, _pid, client = served
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert spec["paths"]["/predict"]["post"]["security"] == [{"apiKey": []}]
    assert "401" in spec["paths"]["/predict"]["post"]["responses"]
    assert "security" not in spec["paths"]["/health"]["get"]
    assert "Authorization: Bearer &lt;key&gt;" in client.get("/docs").text


def test_cli_creates_lists_and_revokes_keys(served, capsys):
    ws, pid, client = served
    root = str(ws.root)
    assert main(["keys", "create", "--project", "roll", "--workspace", root, "--name", "ci", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert client.post("/predict", json={"rows": [ROW]}, headers=_bearer(made["key"])).status_code == 200
    assert main(["keys", "list", "--project", "1", "--workspace", root]) == 0
    listed = capsys.readouterr().out
    assert "ci" in listed and "active" in listed and made["key"] not in listed and made["key"][:12] in listed
    assert main(["keys", "revoke", "--project", "roll", "--workspace", root, "--key-id", str(made["key_id"])]) == 0
    assert "revoked" in capsys.readouterr().out
    assert client.post("/predict", json={"rows": [ROW]}, headers=_bearer(made["key"])).status_code == 401
    assert main(["keys", "revoke", "--project", "roll", "--workspace", root, "--key-id", "99"]) == 2
    assert capsys.readouterr().err.startswith("error: The project has no API key 99")
