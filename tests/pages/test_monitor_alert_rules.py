"""Monitor's alert rules section: edit a rule's threshold and the next report's alerts follow it; the
webhook refuses a URL that is not http(s); the outbox lists each alert with its status; rule names a
user typed are never rendered as Markdown."""

import pytest

from core.monitoring import rule_store
from core.pipeline import PipelineConfig, latest_monitoring, run_pipeline
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory
from tests.unit.deployment.endpoint.conftest import make_table


@pytest.fixture
def monitored(tmp_path):
    path = tmp_path / "ws"
    run_pipeline(
        Workspace(path),
        make_table(),
        None,
        PipelineConfig(target="y", project_name="alerting", cv_folds=3, windows=3, rows_per_window=100),
    )
    return path


def open_monitor(path, monkeypatch):
    at = project_app_factory(path, monkeypatch)()
    at.run()
    at.switch_page("pages/8_Monitor.py")
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.slow
def test_editing_a_threshold_changes_the_next_reports_alerts(monitored, monkeypatch):
    ws = Workspace(monitored)
    before = latest_monitoring(ws, 1)["report"]
    assert not [a for a in before.alerts if a.kind == "prediction_drift"]  # no drift scenario: scores stay put
    at = open_monitor(monitored, monkeypatch)
    rules_table = next(d.value for d in at.dataframe if "retrain reason" in d.value.columns)
    assert "id" not in rules_table.columns  # rule ids are keys for the CLI, not words people read
    assert at.selectbox(key="alert_rule_pick").format_func("prediction_drift") == "The model's scores shifted"
    at.selectbox(key="alert_rule_pick").set_value("prediction_drift").run()
    at.number_input(key="alert_threshold_prediction_drift").set_value(0.0).run()  # every window's PSI is >= 0
    at.button(key="alert_rule_save").click().run()
    assert not at.exception, at.exception
    saved = {r.id: r for r in rule_store.get_saved_rules(ws, 1) or []}
    assert saved["prediction_drift"].threshold == 0.0
    at.slider(key="windows").set_value(3).run()
    at.slider(key="rows_per_window").set_value(100).run()
    at.button(key="simulate").click().run()
    assert not at.exception, at.exception
    after = latest_monitoring(ws, 1)
    drift = [a for a in after["report"].alerts if a.kind == "prediction_drift"]
    assert [a.window for a in drift] == [1, 2, 3] and all(a.rule == "prediction_drift" for a in drift)
    outbox = next(d.value for d in at.dataframe if "status" in d.value.columns and "sentence" in d.value.columns)
    mine = outbox[outbox["report"] == after["id"]]
    assert set(mine["rule"]) >= {"prediction_drift"} and set(mine["status"]) == {"pending"}  # no webhook set
    assert any("pending" in c.value for c in at.caption)
    # each alert links to its chart, and the chart has the anchor the link names
    assert any("[See the prediction drift chart](#prediction_drift)" in c.value for c in at.caption)
    assert any('<div id="prediction_drift"></div>' == m.value for m in at.markdown)


@pytest.mark.slow
def test_rules_can_be_added_reset_and_a_bad_webhook_is_refused(monitored, monkeypatch):
    ws = Workspace(monitored)
    at = open_monitor(monitored, monkeypatch)
    at.text_input(key="alert_new_name").set_value("**Bold** [link](http://x)").run()
    at.selectbox(key="alert_new_signal").set_value("latency_p95_ms").run()
    at.number_input(key="alert_new_threshold").set_value(800.0).run()
    at.button(key="alert_rule_add").click().run()
    assert not at.exception, at.exception
    added = (rule_store.get_saved_rules(ws, 1) or [])[-1]
    assert (added.signal, added.threshold, added.name) == ("latency_p95_ms", 800.0, "**Bold** [link](http://x)")
    # The typed name reaches Markdown only escaped (the flash and the selectbox label are plain text).
    assert not any("[link](http://x)" in s.value and "\\[" not in s.value for s in at.success)
    at.text_input(key="alert_webhook_url").set_value("ftp://hooks.example.com/x").run()
    at.button(key="alert_webhook_save").click().run()
    assert any("The webhook URL must start with http" in e.value for e in at.error)
    assert rule_store.get_webhook(ws, 1) is None
    at.button(key="alert_rules_reset").click().run()
    assert rule_store.get_saved_rules(ws, 1) is None
    assert any("back to the defaults" in s.value for s in at.success)
