"""System health's charts and sentences: a line per version and percentile, rates as shares, and the
sentence naming the slowest and the worst window."""

import pandas as pd

from core.monitoring.charts_system import (
    caption_live_labels,
    caption_system_latency,
    caption_system_rates,
    plot_system_latency,
    plot_system_rates,
)
from core.monitoring.system import SYSTEM_SCHEMA


def _system(rows: list[dict]) -> pd.DataFrame:
    base = dict.fromkeys(SYSTEM_SCHEMA, 0.0) | {"version": "m v1", "requests": 10, "rows": 100}
    return pd.DataFrame([base | r for r in rows]).astype(SYSTEM_SCHEMA)


def test_latency_has_a_p50_and_a_p95_line_per_version_and_names_the_slowest_window():
    df = _system(
        [
            {"window": 1, "latency_p50_ms": 2.0, "latency_p95_ms": 5.0, "throughput_rps": 40.0},
            {"window": 2, "latency_p50_ms": 3.0, "latency_p95_ms": 9.0, "throughput_rps": 50.0},
            {"window": 2, "version": "m <b>v2</b>", "latency_p50_ms": 4.0, "latency_p95_ms": 7.0},
        ]
    )
    fig = plot_system_latency(df)
    assert [t.name for t in fig.data] == [
        "m v1 · p50",
        "m v1 · p95",
        "m &lt;b&gt;v2&lt;/b&gt; · p50",
        "m &lt;b&gt;v2&lt;/b&gt; · p95",
    ]
    assert list(fig.data[1].y) == [5.0, 9.0] and fig.data[0].line.dash != fig.data[2].line.dash
    sentence = caption_system_latency(df)
    assert sentence.startswith("30 requests (300 rows)")
    assert "the slowest was window 2 (m v1), 95% within 9 ms" in sentence and "up to 50 requests a second" in sentence


def test_rates_say_every_request_was_answered_or_name_the_worst_window():
    calm = _system([{"window": 1}, {"window": 2, "flagged_rate": 0.05}])
    assert caption_system_rates(calm) == (
        "Every request was answered: no error and no rejection in any window; up to 5% were answered but "
        "flagged for breaking a rule learned from training."
    )
    rough = _system([{"window": 1}, {"window": 2, "error_rate": 0.02, "rejection_rate": 0.1}])
    assert caption_system_rates(rough).startswith(
        "The worst window was 2 (m v1): 2% of its answers were errors (a row the model could not read) and 10% "
        "were rejected by the validation policy."
    )
    fig = plot_system_rates(rough)
    assert [t.name for t in fig.data] == ["m v1 · errors", "m v1 · rejected"]
    assert fig.layout.yaxis.tickformat == ".0%"


def test_empty_tables_say_there_is_nothing_yet():
    empty = pd.DataFrame(columns=list(SYSTEM_SCHEMA)).astype(SYSTEM_SCHEMA)
    assert "No request is logged" in caption_system_latency(empty)
    assert "No request is logged" in caption_system_rates(empty)
    assert plot_system_latency(empty).layout.title.text == "Latency per window"
    unlabelled = pd.DataFrame(
        {"window": [1], "version": ["m v1"], "rows": [5], "labelled_rows": [0], "labelled": [False]}
    )
    assert caption_live_labels(unlabelled, "minute").startswith("None of the 5 answers of real traffic")


def test_the_labels_sentence_names_the_labelled_windows_and_the_newest_realised_value():
    performance = pd.DataFrame(
        {
            "window": [1, 2, 3],
            "version": ["m v1"] * 3,
            "metric": ["roc_auc"] * 3,
            "rows": [10, 10, 20],
            "labelled_rows": [4, 0, 1],
            "labelled": [True, False, True],
            "realised": [0.75, float("nan"), float("nan")],
            "estimated": [0.8, 0.7, 0.9],
        }
    )
    assert caption_live_labels(performance, "5 minutes") == (
        "5 of 40 answers (12%) have their true label from /feedback, in 2 of 3 windows of 5 minutes (1, 3); in "
        "window 3 ROC-AUC cannot be measured yet on m v1's 1 labelled answer (it may need both outcomes) "
        "(0.90 estimated from its confidence)."
    )
    sentence = caption_live_labels(performance.iloc[:2], "minute")
    assert "in 1 of 2 windows of a minute (1); in window 1 m v1 scored ROC-AUC 0.75 on its 4 labelled answers" in (
        sentence
    )
