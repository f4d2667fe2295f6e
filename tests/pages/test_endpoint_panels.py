"""Deploy's endpoint panel (start, URL, health, curl, stop) and Monitor's live-traffic panel."""

import json
import urllib.request

import pytest

from core.deployment.endpoint import process
from core.pipeline import PipelineConfig, run_pipeline
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory
from tests.unit.deployment.endpoint.conftest import api_key_headers, make_table


@pytest.fixture(scope="module")
def small_workspace(tmp_path_factory):
    path = tmp_path_factory.mktemp("endpoint_pages") / "ws"
    ws = Workspace(path)
    run_pipeline(
        ws,
        make_table(),
        None,
        PipelineConfig(target="y", project_name="serve", cv_folds=3, windows=2, rows_per_window=100),
    )
    yield path
    process.stop_endpoint(ws, 1)


def _open(make, page: str):
    at = make()
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def test_deploy_starts_shows_and_stops_the_endpoint(small_workspace, monkeypatch):
    ws = Workspace(small_workspace)
    make = project_app_factory(small_workspace, monkeypatch)
    at = _open(make, "pages/7_Deploy.py")
    assert any(s.value == "HTTP endpoint" for s in at.subheader)
    try:
        at.button(key="start_endpoint").click().run()
        assert not at.exception, at.exception
        row = process.get_endpoint(ws, 1)
        assert row["status"] == "running"
        assert any(row["url"] in s.value and "ready" in s.value for s in at.success), [s.value for s in at.success]
        curl = next(c.value for c in at.code if "/predict" in c.value)
        body = json.loads(curl.split("-d '", 1)[1].rstrip("'"))
        assert set(body["rows"][0]) == {"x1", "x2", "color"}
        request = urllib.request.Request(
            row["url"] + "/predict",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **api_key_headers(ws, 1)},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert json.loads(resp.read())["results"][0]["status"] == "scored"
        at.button(key="stop_endpoint").click().run()
        assert not at.exception
        assert process.get_endpoint(ws, 1)["status"] == "stopped"
        assert at.button(key="start_endpoint")
    finally:
        process.stop_endpoint(ws, 1)


def test_monitor_shows_live_traffic_per_version_and_source(small_workspace, monkeypatch):
    from fastapi.testclient import TestClient

    from core.deployment.endpoint import create_app

    client = TestClient(create_app(small_workspace, 1), headers=api_key_headers(small_workspace, 1))
    answer = client.post(
        "/predict", json={"rows": [{"x1": 1, "x2": 2, "color": "red"}] * 4, "request_ids": list("abcd")}
    )
    assert answer.status_code == 200
    prediction = answer.json()["results"][0]["prediction"]
    assert client.post("/feedback", json={"request_id": "a", "label": prediction}).status_code == 200
    at = _open(project_app_factory(small_workspace, monkeypatch), "pages/8_Monitor.py")
    assert any(s.value == "Live traffic" for s in at.subheader)
    table = next(d.value for d in at.dataframe if "source" in d.value.columns)
    http = table[table["source"] == "http"].iloc[0]
    assert http["answers"] >= 4 and http["requests"] >= 1 and http["metric"] == "accuracy"
    captions = [c.value for c in at.caption]
    assert any("over HTTP:" in c and "labelled so far" in c and "accuracy 1.00 on those 1" in c for c in captions), (
        captions
    )


def test_monitor_and_deploy_follow_each_arm(small_workspace, monkeypatch):
    from fastapi.testclient import TestClient

    from core.deployment.endpoint import create_app
    from core.deployment.routing import RoutingConfig
    from core.pipeline import stage_deploy, stage_register
    from core.training import tracking

    ws = Workspace(small_workspace)
    experiment = tracking.latest_experiment(ws, 1)
    runs = tracking.get_runs_df(ws, 1, experiment["id"])
    other = runs[(runs["run"] != experiment["best_run_id"]) & (runs["key"] != "baseline")]
    challenger = stage_register(ws, 1, int(other.iloc[0]["run"]), alias="challenger", override_reason="test")
    stage_deploy(ws, 1, RoutingConfig("canary", 0.5))
    rows = make_table(120, seed=5).drop(columns=["y", "cust_id"]).to_dict(orient="records")
    client = TestClient(create_app(small_workspace, 1), headers=api_key_headers(small_workspace, 1))
    assert client.post("/predict", json={"rows": rows}).status_code == 200
    at = _open(project_app_factory(small_workspace, monkeypatch), "pages/8_Monitor.py")
    assert any(s.value == "Each version on live traffic" for s in at.subheader)
    table = next(d.value for d in at.dataframe if "p95 ms per request" in d.value.columns)
    assert f"{challenger['model_name']} v{challenger['version']}" in set(table["version"])
    assert {"champion", "challenger"} <= set(table["answered as"])
    captions = [c.value for c in at.caption]
    assert any("(answered as the challenger):" in c and "request" in c for c in captions), captions
    at = _open(project_app_factory(small_workspace, monkeypatch), "pages/7_Deploy.py")
    assert any(s.value == "Champion vs challenger on this deployment's traffic" for s in at.subheader)
    assert any("(answered as the challenger) against" in c.value for c in at.caption), [c.value for c in at.caption]
