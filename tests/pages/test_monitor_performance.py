"""Monitor's performance section: realised against the model's own holdout, the estimate before labels
with its band, the control limit, and which windows are labelled yet."""

import json

import pytest

from core.pipeline import PipelineConfig, run_pipeline
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory
from tests.unit.deployment.endpoint.conftest import make_table


@pytest.fixture(scope="module")
def delayed_workspace(tmp_path_factory):
    path = tmp_path_factory.mktemp("monitor_performance") / "ws"
    summary = run_pipeline(
        Workspace(path),
        make_table(),
        None,
        PipelineConfig(
            target="y", project_name="late labels", cv_folds=3, windows=4, rows_per_window=100, label_delay=2
        ),
    )
    return path, summary


def test_json_performance_says_which_windows_are_labelled(delayed_workspace):
    _, summary = delayed_workspace
    performance = summary["monitoring"]["performance"]
    assert [p["window"] for p in performance] == [1, 2, 3, 4]
    assert [p["labelled"] for p in performance] == [True, True, False, False]
    assert performance[3]["realised"] is None and performance[0]["realised"] is not None
    assert all(p["estimated"] is not None and p["lower"] <= p["estimated"] <= p["upper"] for p in performance)
    json.dumps(summary, allow_nan=False)


def test_monitor_draws_realised_estimate_band_limit_and_unlabelled_windows(delayed_workspace, monkeypatch):
    path, _ = delayed_workspace
    at = project_app_factory(path, monkeypatch)()
    at.run()
    at.switch_page("pages/8_Monitor.py")
    at.run()
    assert not at.exception, at.exception
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "control limit" in c.proto.spec)
    names = {trace.get("name") for trace in spec["data"]}
    assert {"realised (labels arrived)", "estimated (before labels)", "estimate's band"} <= names
    assert len([s for s in spec["layout"]["shapes"] if s.get("type") == "rect"]) == 2  # windows 3 and 4
    captions = [c.value for c in at.caption]
    assert any("windows 3, 4, still without labels" in c for c in captions), captions
    table = next(d.value for d in at.dataframe if "status" in d.value.columns)
    assert table["labels"].tolist()[2:] == ["unlabelled", "unlabelled"]
    assert table["status"].tolist()[2:] == ["unlabelled: estimate only"] * 2
    assert any("as probabilities" in c or "recalibrated" in c or "too small" in c for c in captions), captions


def test_retraining_before_any_label_arrived_says_so(delayed_workspace):
    # (Runs last in this module: it adds a report the tests above would otherwise read.)
    from core.monitoring.simulation import TrafficConfig
    from core.stages.operate import stage_monitor, stage_retrain
    from core.workspace.errors import DataError

    ws = Workspace(delayed_workspace[0])
    report = stage_monitor(ws, 1, TrafficConfig(windows=4, rows_per_window=100, label_delay=4))
    assert not report["report"].performance_windows_df["labelled"].any()
    with pytest.raises(DataError, match="Only 0 production rows have their labels yet .* 4 windows late"):
        stage_retrain(ws, 1, report["id"])
