"""core.monitoring.live: the prediction log per version and source, against hand-computed values."""

import time

import numpy as np
import pytest

from core.deployment import serving
from core.deployment.routing import RoutingConfig
from core.monitoring.charts_live import caption_live_latency, caption_live_row, caption_live_traffic, plot_live_latency
from core.monitoring.live import get_live_traffic_df
from core.pipeline import stage_deploy

ROW = {"x1": 0.2, "x2": 4.0, "color": "green"}


def test_live_traffic_counts_latency_statuses_labels_and_accuracy(trained):
    ws, pid, _ = trained
    dep = stage_deploy(ws, pid, RoutingConfig("single"))
    since = time.time()
    ids = [f"live-{i}" for i in range(8)]
    out = serving.predict(ws, dep, [ROW] * 8, request_ids=ids, source="http")
    serving.predict(ws, dep, [ROW] * 2, request_ids=["cli-0", "cli-1"], source="cli")
    latencies = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 100.0]
    statuses = ["scored", "scored", "flagged", "rejected", "scored", "error", "scored", "flagged"]
    with ws.transaction() as conn:
        for rid, ms, status in zip(ids, latencies, statuses):
            conn.execute("UPDATE predictions SET latency_ms = ?, status = ? WHERE request_id = ?", (ms, status, rid))
        # (the command line's answers made fast, whatever the machine took: HTTP has the slowest tail)
        conn.execute("UPDATE predictions SET latency_ms = 1.0 WHERE request_id IN ('cli-0', 'cli-1')")
    prediction = out["prediction"].iloc[0]
    other = "no" if prediction == "yes" else "yes"
    for rid, label in zip(ids[:3], [prediction, prediction, other]):
        serving.record_feedback(ws, pid, rid, label)
    live = get_live_traffic_df(ws, pid, since=since)
    assert list(live["source"]) == ["http", "cli"] and list(live["requests"]) == [8, 2]
    http = live.iloc[0]
    assert http["latency_p50_ms"] == pytest.approx(np.quantile(latencies, 0.5))
    assert http["latency_p95_ms"] == pytest.approx(np.quantile(latencies, 0.95))
    assert (http["rejected_share"], http["flagged_share"], http["error_share"]) == (1 / 8, 2 / 8, 1 / 8)
    assert http["labelled"] == 3 and http["labelled_share"] == 3 / 8
    assert http["metric"] == "accuracy" and http["metric_value"] == pytest.approx(2 / 3)
    assert np.isnan(live.iloc[1]["metric_value"]) and live.iloc[1]["labelled"] == 0
    sentence = caption_live_row(http)
    assert http["calls"] == 8 and live.iloc[1]["calls"] == 1  # the command line's two rows came in one call
    assert sentence.startswith(
        f"{http['version']} over HTTP: 8 answers in 8 requests; half the requests answered within 4.50 ms"
    )
    assert "12% rejected, 25% flagged, 12% unanswered" in sentence
    assert "38% labelled so far, accuracy 0.67 on those 3." in sentence
    assert "no true label has arrived yet" in caption_live_row(live.iloc[1])
    assert "10 answers are logged for this project, 8 of them over HTTP" in caption_live_traffic(live)
    assert "over HTTP, 95% within" in caption_live_latency(live)
    figure = plot_live_latency(live)
    assert [list(bar.y) for bar in figure.data] == [list(live["latency_p50_ms"]), list(live["latency_p95_ms"])]


def test_no_traffic_says_so(trained):
    ws, pid, _ = trained
    live = get_live_traffic_df(ws, pid, since=9e18)
    assert live.empty
    assert caption_live_traffic(live).startswith("No answer is logged yet")
