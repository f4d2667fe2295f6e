"""Drift ranked by the model's importance: drift in a feature the model barely uses is reported but is
no reason to retrain; the report carries the multivariate signal per window."""

import json

import numpy as np
import pandas as pd
import pytest

from core.monitoring.importance import get_barely_used, get_drift_by_importance_df
from core.monitoring.reports import MonitoringReport, run_monitoring
from core.monitoring.simulation import TrafficConfig, simulate_traffic

FEATURES = ["x0", "x1", "x5", "x6", "plan"]
# x5 and x6 are inputs the model barely uses; x0, x1 and plan drive it.
IMPORTANCE = {"x0": 0.5, "x1": 0.3, "plan": 0.17, "x5": 0.02, "x6": 0.01}


def _predict(df: pd.DataFrame) -> np.ndarray:
    logit = 1.5 * df["x0"] - 1.0 * df["x1"] + 0.8 * (df["plan"] == "pro")
    return 1 / (1 + np.exp(-logit.to_numpy(dtype=float)))


@pytest.fixture(scope="module")
def reference():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({c: rng.normal(size=2000) for c in ["x0", "x1", "x5", "x6"]})
    frame["plan"] = rng.choice(["basic", "plus", "pro"], 2000)
    frame["churn"] = np.where(rng.random(2000) < _predict(frame), "Yes", "No")
    return frame


def _monitor(reference, columns, importance):
    config = TrafficConfig(scenario="sudden", windows=4, rows_per_window=400, drift_start=3, seed=3, columns=columns)
    traffic = simulate_traffic(reference, "churn", "classification", config, important_features=["x0"])
    return run_monitoring(
        reference,
        traffic,
        feature_columns=FEATURES,
        predict_scores=_predict,
        reference_scores=_predict(reference),
        target="churn",
        task="classification",
        metric="roc_auc",
        threshold=0.5,
        model_importance=importance,
    )


def test_strong_drift_in_features_the_model_barely_uses_is_no_reason_to_retrain(reference):
    ignored = _monitor(reference, ("x5", "x6"), IMPORTANCE)
    assert not ignored.retrain_recommended
    assert ignored.reason.endswith(
        "no feature the model relies on drifted strongly: keep monitoring. x6 and x5 drifted strongly, "
        "but the model barely uses them (x6 1.0%, x5 2.0% of its importance): not a reason to retrain."
    )
    # The drift is still reported: alerts and the table say it.
    assert any(a.kind == "data_drift" for a in ignored.alerts)
    # Without the importance (unknown), the same drift asks for retraining, as before.
    assert _monitor(reference, ("x5", "x6"), None).retrain_recommended


def test_strong_drift_in_used_features_still_asks_for_retraining(reference):
    report = _monitor(reference, ("x0", "x1"), IMPORTANCE)
    assert report.retrain_recommended and "barely uses" not in report.reason


def test_the_ranking_puts_drifted_features_the_model_uses_first(reference):
    report = _monitor(reference, ("x0", "x5"), IMPORTANCE)
    ranked = get_drift_by_importance_df(report.feature_drift_df, report.model_importance)
    assert ranked["feature"].tolist()[:2] == ["x0", "x5"]
    assert ranked["drifted"].tolist()[:2] == [True, True]
    assert ranked.set_index("feature")["barely_used"].to_dict() == {
        "x0": False,
        "x5": True,
        "x1": False,
        "plan": False,
        "x6": True,
    }
    assert get_barely_used(None) == set()


def test_the_report_carries_the_multivariate_signal_and_the_importance(reference):
    report = _monitor(reference, ("x5",), IMPORTANCE)
    domain = report.domain_drift_df
    assert domain["window"].tolist() == [1, 2, 3, 4]
    assert domain["drifted"].tolist() == [False, False, True, True]
    top = report.domain_features_df.groupby("window")["feature"].first()
    assert top.to_dict() == {3: "x5", 4: "x5"}
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert {"multivariate_drift", "multivariate_features", "model_importance"} <= set(data)
    assert MonitoringReport.from_dict(data) == report
    latest = report.get_latest_drift_summary()["multivariate"]
    assert latest["window"] == 4 and latest["drifted"] is True and latest["features"][0] == "x5"
    assert latest["auc"] > latest["threshold"]
    # A report saved before these keys existed still loads, with empty tables.
    old = {
        k: v for k, v in data.items() if k not in ("multivariate_drift", "multivariate_features", "model_importance")
    }
    assert MonitoringReport.from_dict(old).domain_drift_df.empty
