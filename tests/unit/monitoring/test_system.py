"""System health per window and version: requests (not rows) timed whole, throughput over the busy
time or the time window, error / rejection / flagged shares, against hand-computed values; the
simulator's requests per window; live traffic by clock-aligned time window."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from core.deployment import serving
from core.monitoring.reports import MonitoringReport
from core.monitoring.simulation import TrafficConfig
from core.monitoring.system import (
    SYSTEM_SCHEMA,
    choose_time_width,
    get_live_system_df,
    get_simulated_system_df,
    get_system_records,
    get_time_windows,
    get_windows_from_keys,
)
from core.stages.live_health import stage_live_health
from core.stages.operate import latest_monitoring, stage_monitor
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError
from tests.unit.deployment.rollouts.trained import make_table

CONTRACT = [
    "window",
    "version",
    "requests",
    "rows",
    "latency_p50_ms",
    "latency_p95_ms",
    "throughput_rps",
    "error_rate",
    "rejection_rate",
    "flagged_rate",
]


def _log(rows: list[tuple]) -> pd.DataFrame:
    """(request_key, ts, arm, version, latency_ms per row, status) -> a log as get_system_log_df reads it."""
    df = pd.DataFrame(rows, columns=["request_key", "ts", "arm", "version", "latency_ms", "status"])
    return df.assign(deployment_id=1, source="simulator")


def test_a_window_counts_requests_times_them_whole_and_shares_statuses_per_answer():
    # window 1: a 4-row request of 8 ms (2 ms a row) ending at t=10.008, a 1-row one of 2 ms ending at t=10.010;
    # window 2: two 2-row requests of 4 and 6 ms, one row rejected, one an error, one flagged
    log = _log(
        [("w1-0", 10.008, "champion", "m v1", 2.0, "scored")] * 4
        + [("w1-4", 10.010, "champion", "m v1", 2.0, "scored")]
        + [("w2-5", 20.004, "champion", "m v1", 2.0, "rejected"), ("w2-6", 20.004, "champion", "m v1", 2.0, "error")]
        + [("w2-7", 20.010, "champion", "m v1", 3.0, "flagged"), ("w2-8", 20.010, "champion", "m v1", 3.0, "scored")]
    )
    table = get_simulated_system_df(log).set_index("window")
    assert list(table.reset_index().columns[: len(CONTRACT)]) == CONTRACT
    assert list(table["requests"]) == [2, 2] and list(table["rows"]) == [5, 4]
    assert table.loc[1, "latency_p50_ms"] == pytest.approx(5.0)  # median of 8 and 2 ms; per row it would read 2
    assert table.loc[1, "latency_p95_ms"] == pytest.approx(np.quantile([2.0, 8.0], 0.95))
    # busy from the first request's start (10.008 - 0.008 = 10.000) to the last answer (10.010)
    assert table.loc[1, "seconds"] == pytest.approx(0.010)
    assert table.loc[1, "throughput_rps"] == pytest.approx(2 / 0.010)
    assert table.loc[1, "rows_per_s"] == pytest.approx(5 / 0.010)
    assert (table.loc[1, "error_rate"], table.loc[1, "rejection_rate"], table.loc[1, "flagged_rate"]) == (0, 0, 0)
    assert (table.loc[2, "error_rate"], table.loc[2, "rejection_rate"], table.loc[2, "flagged_rate"]) == (
        0.25,
        0.25,
        0.25,
    )
    assert table.loc[2, "seconds"] == pytest.approx(20.010 - 20.0)


def test_versions_of_one_window_are_rows_of_their_own():
    # a canary: one call split into two arms is a request for each
    log = _log(
        [("w1-0", 5.0, "champion", "m v1", 1.0, "scored")] * 3 + [("w1-3", 5.0, "challenger", "m v2", 4.0, "error")]
    )
    table = get_simulated_system_df(log).set_index("version")
    assert list(table.index) == ["m v1", "m v2"]
    assert list(table["requests"]) == [1, 1]
    assert table.loc["m v1", "latency_p50_ms"] == pytest.approx(3.0)
    assert table.loc["m v2", "latency_p50_ms"] == pytest.approx(4.0)
    assert table.loc["m v2", "error_rate"] == 1.0


def test_keys_that_are_not_the_simulators_have_no_window():
    windows = get_windows_from_keys(pd.Series(["w3-12", "w10-0", "user-7", None, "xw1-2"]))
    assert windows.tolist()[:2] == [3, 10] and windows.isna().tolist() == [False, False, True, True, True]
    log = _log([("user-7", 1.0, "champion", "m v1", 1.0, "scored")])
    assert get_simulated_system_df(log).empty


def test_time_windows_widen_so_the_span_holds_at_most_thirty():
    assert choose_time_width(np.array([0.0, 59.0])) == 60
    assert choose_time_width(np.array([0.0, 29 * 60.0])) == 60
    assert choose_time_width(np.array([0.0, 30 * 60.0])) == 300
    assert choose_time_width(np.array([0.0, 3 * 86400.0])) == 6 * 3600
    windows, starts = get_time_windows(np.array([125.0, 130.0, 365.0]), 60)
    assert windows.tolist() == [1, 1, 5]  # minutes 2 and 6: the empty minutes between keep their numbers
    assert starts == {1: 120.0, 5: 360.0}


def test_live_traffic_reads_throughput_over_the_window_and_the_open_one_up_to_now():
    log = _log(
        [("k", 121.0 + i, "champion", "m v1", 1.0, "scored") for i in range(6)]  # 6 requests in minute 2
        + [("k", 365.0, "champion", "m v1", 1.0, "rejected")]  # one in minute 6, still open at t=370
    )
    table, width = get_live_system_df(log, now=370.0)
    assert width == 60
    table = table.set_index("window")
    assert table.loc[1, "requests"] == 6 and table.loc[1, "throughput_rps"] == pytest.approx(6 / 60)
    assert table.loc[5, "seconds"] == pytest.approx(10.0) and table.loc[5, "throughput_rps"] == pytest.approx(0.1)
    assert table.loc[5, "rejection_rate"] == 1.0 and table.loc[5, "start"] == 360.0


def test_the_clis_records_keep_the_contract_and_write_null_for_no_value():
    log = _log([("w1-0", 1.0, "champion", "m v1", np.nan, "error")])
    records = get_system_records(get_simulated_system_df(log))
    assert records == [
        {
            "window": 1,
            "version": "m v1",
            "latency_p50_ms": None,
            "latency_p95_ms": None,
            "throughput_rps": None,
            "error_rate": 1.0,
            "rejection_rate": 0.0,
            "flagged_rate": 0.0,
            "requests": 1,
            "rows": 1,
            "rows_per_s": None,
        }
    ]


def test_rows_per_request_must_be_a_whole_number_of_at_least_one():
    with pytest.raises(ConfigError, match="'rows_per_request' of TrafficConfig"):
        TrafficConfig(rows_per_request=0).validate()


@pytest.fixture
def ws(rollout_copy):
    return Workspace(rollout_copy)


def test_the_simulator_sends_requests_per_window_and_the_report_keeps_their_health(ws):
    config = TrafficConfig(windows=3, rows_per_window=50, rows_per_request=8)
    before = ws.query_one("SELECT MAX(id) AS id FROM predictions")["id"]
    system = stage_monitor(ws, 1, config)["report"].system_df
    assert list(system.columns) == list(SYSTEM_SCHEMA)
    assert system["window"].tolist() == [1, 2, 3]
    assert system["rows"].tolist() == [50, 50, 50]
    assert system["requests"].tolist() == [math.ceil(50 / 8)] * 3
    assert (system["latency_p95_ms"] >= system["latency_p50_ms"]).all() and (system["latency_p50_ms"] > 0).all()
    assert (system["throughput_rps"] > 0).all()
    logged = pd.DataFrame(ws.query("SELECT request_key, ts FROM predictions WHERE id > ?", (before,)))
    assert len(logged) == 150 and logged.groupby("ts").size().max() == 8  # requests of 8 rows, not one of 150
    saved = latest_monitoring(ws, 1)["report"]
    pd.testing.assert_frame_equal(saved.system_df, system)
    assert saved.system is saved.system_df and saved.to_dict()["system"][0]["window"] == 1
    assert MonitoringReport.from_dict(saved.to_dict()) == saved
    # only this simulation's answers: a second one reads its own windows, not the first one's too
    again = stage_monitor(ws, 1, config)["report"].system_df
    assert again["rows"].tolist() == [50, 50, 50]


def test_live_health_reads_real_traffic_not_the_simulators(ws):
    stage_monitor(ws, 1, TrafficConfig(windows=2, rows_per_window=20))
    deployment = serving.get_active_deployment(ws, 1)
    rows = make_table(30, seed=5).drop(columns=["y"])
    for start in range(0, 30, 10):
        serving.predict(ws, deployment, rows.iloc[start : start + 10], source="http")
    live = stage_live_health(ws, 1)
    assert live.rows_read == 30 and live.width == 60 and live.width_words == "minute"
    assert live.system_df["rows"].sum() == 30 and live.system_df["requests"].sum() == 3


def test_a_report_saved_before_system_health_loads_with_an_empty_table(ws):
    report = stage_monitor(ws, 1, TrafficConfig(windows=2, rows_per_window=20))["report"]
    old = report.to_dict()
    del old["system"]
    loaded = MonitoringReport.from_dict(old)
    assert loaded.system_df.empty and list(loaded.system_df.columns) == list(SYSTEM_SCHEMA)


def test_labels_sent_to_feedback_reach_the_live_performance_table(ws):
    deployment = serving.get_active_deployment(ws, 1)
    table = make_table(90, seed=11)
    early, late = table.iloc[:60], table.iloc[60:]
    ids = [f"a{i}" for i in range(60)]
    answers = serving.predict(ws, deployment, early.drop(columns=["y"]), request_ids=ids, source="http")
    with ws.transaction() as conn:  # the early batch came five minutes before the rest
        conn.execute(f"UPDATE predictions SET ts = ts - 300 WHERE request_id IN ({','.join('?' * 60)})", ids)
    serving.predict(ws, deployment, late.drop(columns=["y"]), source="http")
    for request_id, label in zip(ids[:40], early["y"][:40]):
        serving.record_feedback(ws, 1, request_id, label)
    live = stage_live_health(ws, 1)
    performance = live.performance_df.set_index("window")
    assert set(performance["version"]) == {answers["version"].iloc[0]}
    first = performance.loc[1]
    assert first["labelled"] and (first["rows"], first["labelled_rows"]) == (60, 40)
    truth = (early["y"][:40] == answers["score_of"].iloc[0]).astype(int).to_numpy()  # score: P(that class)
    scores = answers["score"][:40].to_numpy()
    predicted = (scores >= 0.5).astype(int)
    expected = {
        "roc_auc": roc_auc_score(truth, scores),
        "accuracy": accuracy_score(truth, predicted),
        "f1_macro": f1_score(truth, predicted, average="macro"),
    }[first["metric"]]
    assert first["realised"] == pytest.approx(expected)
    assert math.isfinite(first["estimated"]) and first["lower"] <= first["estimated"] <= first["upper"]
    later = performance.drop(index=1)
    assert len(later) >= 1 and not later["labelled"].any() and later["realised"].isna().all()
    assert later["estimated"].notna().all()  # before any label, the estimate speaks for those windows
    assert later["rows"].sum() == 30
    assert live.notes and all(isinstance(n, str) and n for n in live.notes.values())
