"""Validation rules are learned at cleaning time and applied in monitoring."""

import numpy as np
import pandas as pd
import pytest

from core.data import datasets
from core.data.validation import ValidationRules
from core.monitoring.simulation import TrafficConfig
from core.pipeline import PipelineConfig, latest_monitoring, run_pipeline, stage_monitor

pytestmark = pytest.mark.slow  # a full pipeline run, then monitoring on it


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from core.workspace.database import Workspace

    rng = np.random.default_rng(1)
    n = 800
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "plan": rng.choice(["basic", "plus", "pro"], n), "z": rng.normal(size=n)})
    df["y"] = np.where(x + (df["plan"] == "pro") + rng.normal(scale=0.8, size=n) > 0.3, "yes", "no")
    ws = Workspace(tmp_path_factory.mktemp("wiring"))
    run_pipeline(ws, df, None, PipelineConfig(target="y", project_name="wiring", cv_folds=3, rows_per_window=200))
    return ws


def test_cleaned_versions_carry_rules(project):
    cleaned = datasets.latest_dataset(project, 1, "cleaned")
    rules = ValidationRules.from_dict(datasets.load_rules(project, cleaned["id"]))
    assert {r.column for r in rules.columns} >= {"x", "plan", "z"}
    plan = next(r for r in rules.columns if r.column == "plan")
    assert set(plan.allowed) == {"basic", "plus", "pro"}


def test_no_drift_traffic_passes_the_rules(project):
    assert latest_monitoring(project, 1)["violations"].empty


def test_a_new_category_in_production_is_a_violation_in_the_drifted_windows_only(project):
    out = stage_monitor(
        project,
        1,
        TrafficConfig(scenario="new_category", windows=4, rows_per_window=200, drift_start=3, columns=("plan",)),
    )
    v = out["violations"]
    assert set(v["column"]) == {"plan"} and set(v["rule"]) == {"unknown_category"}
    assert set(v["window"]) == {3, 4}
    stored = latest_monitoring(project, 1)["violations"]
    assert len(stored) == len(v)
