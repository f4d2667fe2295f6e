"""Monitor's system-health sections: the report's latency and error/rejection charts per window, and
real traffic by time window with the performance on answers labelled through /feedback."""

import json

import pytest

from core.deployment import serving
from core.pipeline import PipelineConfig, run_pipeline
from core.style import unwrap_title
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory
from tests.unit.deployment.endpoint.conftest import make_table


@pytest.fixture(scope="module")
def health_workspace(tmp_path_factory):
    path = tmp_path_factory.mktemp("monitor_system") / "ws"
    ws = Workspace(path)
    config = PipelineConfig(target="y", project_name="health", cv_folds=3, windows=3, rows_per_window=60)
    summary = run_pipeline(ws, make_table(), None, config)
    table = make_table(40, seed=9)
    ids = [f"r{i}" for i in range(40)]
    deployment = serving.get_active_deployment(ws, 1)
    for start in range(0, 40, 10):
        serving.predict(
            ws, deployment, table.drop(columns=["y"]).iloc[start : start + 10], request_ids=ids[start : start + 10]
        )
    for request_id, label in zip(ids[:25], table["y"][:25]):
        serving.record_feedback(ws, 1, request_id, label)
    return path, summary


def test_json_system_has_each_windows_latency_throughput_and_rates(health_workspace):
    _, summary = health_workspace
    system = summary["monitoring"]["system"]
    assert [s["window"] for s in system] == [1, 2, 3]
    for record in system:
        assert {"latency_p50_ms", "latency_p95_ms", "throughput_rps", "error_rate", "rejection_rate"} <= set(record)
        assert record["latency_p50_ms"] > 0 and record["throughput_rps"] > 0 and record["rows"] == 60
    json.dumps(summary, allow_nan=False)


def test_monitor_shows_system_health_of_the_report_and_of_live_traffic(health_workspace, monkeypatch):
    path, _ = health_workspace
    at = project_app_factory(path, monkeypatch)()
    at.run()
    at.switch_page("pages/8_Monitor.py")
    at.run()
    assert not at.exception, at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [unwrap_title(s["layout"].get("title", {}).get("text")) for s in specs]
    assert titles.count("Latency per window") == 2 and titles.count("Errors and rejections per window") == 2
    report_latency = next(s for s in specs if s["layout"].get("title", {}).get("text") == "Latency per window")
    names = {trace["name"] for trace in report_latency["data"]}
    assert any(n.endswith("· p50") for n in names) and any(n.endswith("· p95") for n in names)
    captions = [c.value for c in at.caption]
    assert any("requests (180 rows): in a typical window half of them" in c for c in captions), captions
    assert any("Every request was answered" in c for c in captions), captions
    # the live section: 4 requests from the app, 25 of their 40 answers labelled through /feedback
    assert any("25 of 40 answers (62%) have their true label from /feedback" in c for c in captions), captions
    performance = next(d.value for d in at.dataframe if {"labels", "version"} <= set(d.value.columns))
    assert "25 of 40" in performance["labels"].tolist()
