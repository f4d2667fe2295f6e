"""Monitor's performance section on a multi-class and a regression project whose labels arrive late:
the estimate before labels (its trace, band and sentence), and ``run --json``'s performance keys."""

import json

import numpy as np
import pandas as pd
import pytest

from core.pipeline import PipelineConfig, run_pipeline
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory

pytestmark = pytest.mark.slow  # two full pipeline runs


def tiers(n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "z": rng.normal(size=n), "plan": rng.choice(["a", "b"], n)})
    df["tier"] = np.where(x + rng.normal(scale=0.6, size=n) > 0.5, "gold", np.where(x < -0.5, "bronze", "silver"))
    return df


def spend(n: int = 800) -> pd.DataFrame:
    """A regression whose errors grow with x: they show in the inputs, so they can be estimated."""
    rng = np.random.default_rng(2)
    x = rng.uniform(-2, 2, n)
    return pd.DataFrame({"x": x, "z": rng.normal(size=n), "spend": 3 * x + rng.normal(size=n) * (0.2 + np.abs(x))})


@pytest.fixture(scope="module", params=["tiers", "spend"])
def late_project(request, tmp_path_factory):
    path = tmp_path_factory.mktemp(request.param) / "ws"
    table, target = (tiers(), "tier") if request.param == "tiers" else (spend(), "spend")
    summary = run_pipeline(
        Workspace(path),
        table,
        None,
        PipelineConfig(
            target=target, project_name=request.param, cv_folds=3, windows=4, rows_per_window=100, label_delay=2
        ),
    )
    return path, summary


def test_json_estimates_every_window_with_its_band(late_project):
    performance = late_project[1]["monitoring"]["performance"]
    assert [p["labelled"] for p in performance] == [True, True, False, False]
    assert all(p["realised"] is not None for p in performance[:2]) and performance[2]["realised"] is None
    assert all(p["estimated"] is not None and p["lower"] <= p["estimated"] <= p["upper"] for p in performance)
    json.dumps(late_project[1], allow_nan=False)


def test_monitor_draws_the_estimate_and_says_how_it_was_made(late_project, monkeypatch):
    path, summary = late_project
    at = project_app_factory(path, monkeypatch)()
    at.run()
    at.switch_page("pages/8_Monitor.py")
    at.run()
    assert not at.exception, at.exception
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "control limit" in c.proto.spec)
    names = {trace.get("name") for trace in spec["data"]}
    assert {"realised (labels arrived)", "estimated (before labels)", "estimate's band"} <= names
    captions = [c.value for c in at.caption]
    source = "a model of its errors" if summary["task"] == "regression" else "the model's confidence"
    assert any(f"windows 3, 4, still without labels, {source} estimates" in c for c in captions), captions
    how = "direct loss estimation" if summary["task"] == "regression" else "class probabilities"
    assert any(how in c for c in captions), captions
    table = next(d.value for d in at.dataframe if "status" in d.value.columns)
    assert table["status"].tolist()[2:] == ["unlabelled: estimate only"] * 2


def test_live_traffic_of_a_multiclass_or_regression_model_is_estimated_from_its_logged_inputs(late_project):
    """Real requests (source http) with labels from /feedback: the live section estimates each window from
    the inputs the log kept (it used to raise 'no row reader' and break the Monitor page)."""
    from core.deployment import serving
    from core.stages.live_health import stage_live_health

    path, summary = late_project
    ws = Workspace(path)
    table, target = (tiers(200), "tier") if summary["project"] == "tiers" else (spend(200), "spend")
    live = serving.get_active_deployment(ws, 1)
    batch = serving.predict(ws, live, table.drop(columns=[target]).head(120), source="http")  # stored once
    single = [serving.predict(ws, live, table.drop(columns=[target]).iloc[[i]], source="http") for i in range(120, 140)]
    ids = [*batch["request_id"], *(s["request_id"].iloc[0] for s in single)]
    for request_id, label in list(zip(ids, table[target]))[:100]:
        serving.record_feedback(ws, 1, request_id, label if isinstance(label, str) else float(label))
    health = stage_live_health(ws, 1)
    performance = health.performance_df
    assert len(performance) and performance["estimated"].notna().all(), health.notes
    assert performance["realised"].notna().any()
