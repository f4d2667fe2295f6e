"""The rollout figures and their sentences, from evidence shaped as stage_rollout returns it."""

import json

import pandas as pd
import pytest

from core.deployment import charts_rollouts as charts
from core.registry.audit import describe_audit_entry

CHECKS_OK = [{"guardrail": g, "holds": True, "sentence": f"{g} fine."} for g in ("error rate", "p95 latency")]
CHECKS_BAD = [CHECKS_OK[0], {"guardrail": "score distribution", "holds": False, "sentence": "PSI 8.3."}]


def test_canary_ramp_colours_steps_and_says_where_it_stopped():
    summary = {
        "verdict": "rolled back",
        "evidence": {
            "planned": [5.0, 25.0, 50.0, 100.0],
            "steps": [{"step": 1, "share": 5.0, "checks": CHECKS_OK}, {"step": 2, "share": 25.0, "checks": CHECKS_BAD}],
            "failed": ["score distribution"],
        },
    }
    fig = charts.plot_canary_ramp(summary["evidence"]["steps"], summary["evidence"]["planned"])
    assert list(fig.data[0].text) == ["passed", "rolled back", "not reached", "not reached"]
    assert "step 2 (25% of traffic): score distribution failed" in charts.caption_canary_ramp(summary)
    table = charts.get_guardrail_table(summary["evidence"]["steps"])
    assert len(table) == 4 and table["holds"].tolist() == [True, True, True, False]


def test_ab_chart_and_caption_carry_the_interval_and_both_p_values():
    evidence = {
        "metric": "accuracy",
        "arms": {
            "A (champion)": {"n": 500, "value": 0.70, "low": 0.66, "high": 0.74},
            "B (challenger)": {"n": 480, "value": 0.75, "low": 0.71, "high": 0.79},
        },
        "test": {"test": "two-proportion z-test", "difference": 0.05, "low": -0.006, "high": 0.106, "p_value": 0.08},
        "looks": 9,
        "sequential_p_value": 0.4,
        "mde_now": 0.081,
    }
    fig = charts.plot_ab_arms(evidence)
    assert list(fig.data[0].error_y.array) == pytest.approx([0.04, 0.04])
    caption = charts.caption_ab_arms(evidence)
    assert "+0.050" in caption and "p = 0.08" in caption and "9 looks, gives p = 0.4" in caption and "0.081" in caption


def test_shadow_captions_name_the_worst_segment_escaped_in_the_figure():
    evidence = {
        "agreement": 0.9,
        "score_difference": {"mean": 0.01, "q05": -0.02, "q50": 0.0, "q95": 0.05},
        "segments": [{"column": "<b>plan</b>", "segment": "x", "disagreement": 0.3, "requests": 40}],
    }
    assert "between -0.020 and +0.050" in charts.caption_score_differences(evidence)
    assert "30% of those 40 requests" in charts.caption_segments(evidence) and "10% overall" in charts.caption_segments(
        evidence
    )
    assert "&lt;b&gt;plan" in json.dumps(charts.plot_segments(evidence["segments"]).to_plotly_json()["data"][0]["y"])


def test_champion_vs_challenger_is_the_running_metric_per_arm():
    labelled = pd.DataFrame(
        {
            "arm": ["champion", "challenger", "champion", "challenger"],
            "prediction": ["yes", "no", "no", "no"],
            "shadow_prediction": ["no", None, "no", "no"],
            "label": ["yes", "yes", "yes", "no"],
        }
    )
    over = charts.get_arm_metric_over_time(labelled, "proportion")
    champion = over[over["arm"] == "champion"]["value"].tolist()
    assert champion == [1.0, 0.5] and over[over["arm"] == "challenger"]["value"].tolist() == [0.0, 0.5]
    shadow = charts.get_arm_metric_over_time(labelled, "proportion", shadow=True)
    assert shadow[shadow["arm"] == "shadow"]["value"].tolist() == pytest.approx([0.0, 0.0, 1 / 3])
    assert "champion 0.500 on 2 labelled answers" in charts.caption_champion_vs_challenger(over, "accuracy")
    assert "No labels" in charts.caption_champion_vs_challenger(
        charts.get_arm_metric_over_time(labelled[:0], "proportion"), "accuracy"
    )


def test_blue_green_stream_marks_each_switch():
    evidence = {
        "stream": [{"request_id": str(i), "version": "m v1" if i < 3 else "m v2", "answered_at": i} for i in range(6)],
        "switches": [{"at_request": 3, "to": "green", "versions_before": ["m v1"], "versions_after": ["m v2"]}],
    }
    assert "go m v1, then m v2 with no request left unanswered" in charts.caption_blue_green_stream(evidence)
    fig = charts.plot_blue_green_stream(evidence)
    assert [len(t.x) for t in fig.data] == [3, 3]
    assert fig.layout.shapes[0].x0 == pytest.approx(2.5)


def test_rollout_decisions_read_as_sentences_in_the_audit_log():
    step = {"deployment_id": 4, "decision": "advance", "share": 25.0, "checks": []}
    assert describe_audit_entry("rollout.canary_step", step) == "Deployment 4, canary step at 25%: advance."
    back = {**step, "decision": "rollback", "sentence": "Rolled back automatically at 25%: x failed."}
    assert describe_audit_entry("rollout.canary_step", back).endswith(": Rolled back automatically at 25%: x failed.")
    switch = {"deployment_id": 4, "decision": "switch back to blue", "share": 0.0}
    assert (
        describe_audit_entry("rollout.blue_green_switch", switch)
        == "Deployment 4, blue green switch: switch back to blue."
    )
