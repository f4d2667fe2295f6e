"""A request refused with 422 leaves a trace: one row in refused_requests (route, request ids, what was
wrong, rows, body size), capped; Deploy's sentence and Monitor's count read it."""

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from core.deployment.charts import caption_refused_requests
from core.deployment.endpoint import create_app
from core.deployment.refusals import MAX_DETAIL_CHARS, MAX_IDS, capped_detail, get_refused_requests_df
from core.deployment.routing import RoutingConfig
from core.monitoring.charts_live import caption_refused
from core.monitoring.live import count_refused_requests
from core.pipeline import stage_deploy
from tests.unit.deployment.endpoint.conftest import api_key_headers

GOOD = {"x1": 0.5, "x2": 3.0, "color": "red"}


@pytest.fixture
def client(trained):
    ws, pid, _ = trained
    stage_deploy(ws, pid, RoutingConfig("single"))
    with ws.transaction() as conn:
        conn.execute("DELETE FROM refused_requests")
    return TestClient(create_app(ws.root, pid), raise_server_exceptions=False, headers=api_key_headers(ws, pid))


def test_a_refused_predict_is_recorded_with_its_ids_detail_rows_and_size(client, trained):
    ws, pid, _ = trained
    body = json.dumps({"rows": [GOOD, {"x1": "abc", "x2": 1.0, "color": "red"}], "request_ids": ["a-1", "a-2"]})
    answer = client.post("/predict", content=body)
    assert answer.status_code == 422
    refused = get_refused_requests_df(ws, pid)
    assert len(refused) == 1
    row = refused.iloc[0]
    assert (row["route"], row["source"], row["rows"], row["body_bytes"]) == ("/predict", "http", 2, len(body))
    assert row["request_ids"] == "a-1, a-2"
    assert "x1 must be a number" in row["problems"] and "abc" in row["problems"]
    assert count_refused_requests(ws, pid) == {"requests": 1, "rows": 2}
    assert caption_refused(count_refused_requests(ws, pid)).startswith(
        "1 request was refused with 422, holding 2 rows,"
    )
    assert "The latest, on /predict: x1 must be a number" in caption_refused_requests(refused)
    # an answered request leaves no such row
    assert client.post("/predict", json={"rows": [GOOD]}).status_code == 200
    assert len(get_refused_requests_df(ws, pid)) == 1


def test_bodies_refused_before_they_are_read_are_recorded_too(client, trained):
    ws, pid, _ = trained
    assert client.post("/predict", content=b"{not json").status_code == 422
    assert client.post("/feedback", json={"request_id": "x", "label": None}).status_code == 422
    too_large = client.post("/predict", content=b"x", headers={"content-length": "2000000"})
    assert too_large.status_code == 422
    refused = get_refused_requests_df(ws, pid)
    assert list(refused["route"]) == ["/predict", "/feedback", "/predict"]
    assert refused.iloc[0]["body_bytes"] == 2_000_000 and "limit" in refused.iloc[0]["problems"]
    assert "JSON decode error" in refused.iloc[2]["problems"] and pd.isna(refused.iloc[2]["rows"])
    assert refused.iloc[2]["body_bytes"] == len(b"{not json")
    assert count_refused_requests(ws, pid)["requests"] == 3


def test_what_is_stored_is_capped():
    detail = [{"type": "x", "loc": ["body", "rows", i], "msg": "m" * 1000} for i in range(500)]
    text = capped_detail(detail)
    assert len(text) <= MAX_DETAIL_CHARS
    kept = json.loads(text)
    assert kept[-1]["more"] == 500 - (len(kept) - 1) and all(len(e["msg"]) == 300 for e in kept[:-1])


def test_request_ids_are_capped(client, trained):
    ws, pid, _ = trained
    ids = [f"{i}-" + "z" * 500 for i in range(100)]
    answer = client.post("/predict", json={"rows": [GOOD] * 100, "request_ids": ids})
    assert answer.status_code == 422  # ids longer than 200 characters
    stored = ws.query_one("SELECT request_ids_json FROM refused_requests")["request_ids_json"]
    assert len(json.loads(stored)) == MAX_IDS and all(len(i) == 200 for i in json.loads(stored))


def test_refusals_with_and_without_request_ids_read_back_together(client, trained):
    """The usual mix: one refused request carried ids, another none (a NULL beside text in the column)."""
    ws, pid, _ = trained
    bad = {"x1": "abc", "x2": 1.0, "color": "red"}
    assert client.post("/predict", json={"rows": [bad]}).status_code == 422
    assert client.post("/predict", json={"rows": [bad], "request_ids": ["r1"]}).status_code == 422
    refused = get_refused_requests_df(ws, pid)
    assert list(refused["request_ids"]) == ["r1", ""]
