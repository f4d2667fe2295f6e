"""Monitoring per arm: latency per request (not per row of a batch), the metric on each version's
labelled answers and the drift of the rows each version answered, against hand-computed values."""

import numpy as np
import pandas as pd
import pytest

from core.deployment import serving
from core.deployment.routing import RoutingConfig
from core.monitoring.arms import get_arms_df
from core.monitoring.charts_arms import (
    caption_arm_row,
    caption_arms_drift,
    caption_arms_overview,
    plot_arms_drift,
    plot_arms_overview,
)
from core.monitoring.live import get_live_traffic_df, get_request_latency_df
from core.stages.arms import stage_arms
from core.stages.release import stage_deploy
from core.workspace.database import Workspace
from tests.unit.deployment.rollouts.trained import make_table


def _log(rows: list[tuple]) -> pd.DataFrame:
    columns = ["deployment_id", "ts", "arm", "version_id", "latency_ms", "prediction", "label", "version"]
    return pd.DataFrame(rows, columns=columns)


def test_a_request_is_the_rows_sharing_its_time_and_latency():
    # one 4-row batch answered in 2 ms (0.5 ms per row), two single rows of 3 and 1 ms, all by version 1
    log = _log(
        [(1, 10.0, "champion", 1, 0.5, "yes", None, "m v1")] * 4
        + [(1, 11.0, "champion", 1, 3.0, "yes", None, "m v1"), (1, 12.0, "champion", 1, 1.0, "no", None, "m v1")]
    )
    requests = get_request_latency_df(log)
    assert sorted(requests["latency_ms"]) == [1.0, 2.0, 3.0]
    assert sorted(requests["rows"]) == [1, 1, 4]
    arms = get_arms_df(log, {1: "binary"}, {})
    row = arms.iloc[0]
    assert (row["rows"], row["requests"]) == (6, 3)
    assert row["latency_p50_ms"] == pytest.approx(2.0)  # per row it would read 0.5 ms
    assert row["latency_p95_ms"] == pytest.approx(np.quantile([1.0, 2.0, 3.0], 0.95))


def test_the_arms_of_one_batch_are_two_requests_and_a_shadow_has_no_latency():
    log = _log(
        [(1, 10.0, "champion", 1, 0.25, "yes", "yes", "m v1")] * 8
        + [(1, 10.0, "challenger", 2, 1.0, "no", "yes", "m v2")] * 2
        + [(1, 10.0, "shadow", 3, np.nan, "yes", "yes", "m v3")] * 8
    )
    arms = get_arms_df(log, {1: "binary", 2: "binary", 3: "binary"}, {}).set_index("version_id")
    assert arms.loc[1, "latency_p50_ms"] == pytest.approx(2.0) and arms.loc[2, "latency_p50_ms"] == pytest.approx(2.0)
    assert arms.loc[1, "metric_value"] == 1.0 and arms.loc[2, "metric_value"] == 0.0
    assert np.isnan(arms.loc[3, "latency_p50_ms"]) and arms.loc[3, "arm"] == "shadow"
    assert list(arms["requests"]) == [1, 1, 1]
    rows = {row["arm"]: row for _, row in arms.reset_index().iterrows()}
    assert "answering nobody" in caption_arm_row(rows["shadow"])
    assert "2 rows in 1 request;" in caption_arm_row(rows["challenger"])
    capped = rows["champion"].copy()
    capped[["features", "drifted_features", "max_psi", "most_drifted", "drift_rows"]] = [4, 1, 0.4, "x2", 5]
    assert "1 of 4 features drifted from the training data on its newest 5 rows (largest PSI 0.40, x2)" in (
        caption_arm_row(capped)
    )


@pytest.fixture
def ws(rollout_copy):
    return Workspace(rollout_copy)


def test_each_version_of_a_canary_gets_its_drift_metric_and_latency(ws):
    challenger = serving.get_active_deployment(ws, 1)  # the pipeline deployed the champion alone
    dep = stage_deploy(ws, 1, RoutingConfig("canary", 0.5))
    assert dep["challenger_version_id"] is not None and challenger is not None
    table = make_table(400, seed=7)
    shifted = table.assign(x2=table["x2"] + 8.0)  # far beyond training's 0–10: every version must see it
    ids = [f"r{i}" for i in range(len(table))]
    out = serving.predict(ws, dep, shifted.drop(columns=["y"]), request_ids=ids, seed=3, source="http")
    for _ in range(3):
        serving.predict(ws, dep, table.drop(columns=["y"]).head(1), seed=5, source="http")
    for request_id, label in zip(ids[:100], table["y"][:100]):
        serving.record_feedback(ws, 1, request_id, label)
    report = stage_arms(ws, 1, dep["id"])
    arms = report.arms.set_index("arm")
    assert set(arms.index) == {"champion", "challenger"} and report.log_rows == 403
    assert arms["rows"].sum() == 403
    # the batch is one request per arm; the three single rows each one more for whichever arm took them
    assert arms["requests"].sum() == 2 + 3
    for arm in ("champion", "challenger"):
        answered = out.index[out["arm"] == arm][out.index[out["arm"] == arm] < 100]
        expected = (out.loc[answered, "prediction"] == table.loc[answered, "y"]).mean()
        assert arms.loc[arm, "labelled"] == len(answered)
        assert arms.loc[arm, "metric_value"] == pytest.approx(expected)
        assert arms.loc[arm, "most_drifted"] == "x2" and arms.loc[arm, "max_psi"] > 0.25
    drift = report.drift
    assert set(drift["version"]) == set(arms["version"])
    assert drift.loc[drift["feature"] == "x2", "drifted"].all()
    assert not drift.loc[drift["feature"] == "color", "drifted"].any()
    # the batch's latency is the whole batch's, not a row's, in Monitor's live traffic too
    in_batch = int((out["arm"] == "champion").sum())
    batch = out.loc[out["arm"] == "champion", "latency_ms"].iloc[0] * in_batch
    logged = pd.DataFrame(ws.query("SELECT deployment_id, ts, arm, version_id, latency_ms FROM predictions"))
    requests = get_request_latency_df(logged[logged["deployment_id"] == dep["id"]])
    assert requests.loc[requests["rows"] == in_batch, "latency_ms"].tolist() == [pytest.approx(batch)]
    live = get_live_traffic_df(ws, 1)
    live = live[live["source"] == "http"].set_index("version")
    version = arms.loc["champion", "version"]
    assert live.loc[version, "latency_p50_ms"] == pytest.approx(arms.loc["champion", "latency_p50_ms"])
    sentence = caption_arms_overview(report.arms)
    assert sentence.startswith(f"{arms.loc['challenger', 'version']} (answered as the challenger) against")
    assert "on their labelled answers" in sentence and "largest PSI" in sentence
    assert "x2" in caption_arms_drift(drift)
    figure = plot_arms_overview(report.arms)
    assert len(figure.data) == 3 and list(figure.data[0].y) == list(report.arms["metric_value"])
    assert len(plot_arms_drift(drift).data) == 2


def test_a_shadow_is_followed_on_the_rows_it_scored_silently(ws):
    dep = stage_deploy(ws, 1, RoutingConfig("shadow"))
    table = make_table(60, seed=8)
    serving.predict(ws, dep, table.drop(columns=["y"]), seed=1, source="http")
    arms = stage_arms(ws, 1, dep["id"]).arms.set_index("arm")
    assert list(arms.loc[["champion", "shadow"], "rows"]) == [60, 60]
    assert np.isnan(arms.loc["shadow", "latency_p50_ms"]) and arms.loc["shadow", "features"] == 3


def test_no_traffic_says_so(ws):
    report = stage_arms(ws, 1, 10**6)
    assert report.arms.empty and report.log_rows == 0
    assert caption_arms_overview(report.arms).startswith("No answer is logged yet")
