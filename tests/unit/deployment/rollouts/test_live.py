"""Rollouts on the live deployment's own traffic: the canary steps on logged requests (or waits, or
rolls back by itself), the A/B test and the shadow are read out from the labels clients sent back."""

import pandas as pd
import pytest

from core.deployment import serving
from core.deployment.rollouts.canary import CanaryPlan
from core.deployment.rollouts.records import get_events_df
from core.deployment.routing import RoutingConfig
from core.stages.release import stage_deploy
from core.stages.rollout import register_bad_challenger, stage_check_live
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError
from tests.unit.deployment.rollouts.trained import make_table


@pytest.fixture
def ws(rollout_copy):
    return Workspace(rollout_copy)


def _clients(ws, n: int, seed: int, *, labels: bool = True) -> pd.DataFrame:
    """n requests as an HTTP client sends them (source 'http'), then the true label of each. The canary's
    draws are seeded too: unseeded, which ~50 requests reach the challenger changes per run, and the metric
    guardrail (a one-sided test at 5%) rolled back a fair challenger in about one run in six."""
    table = make_table(n, seed=seed)
    live = serving.get_active_deployment(ws, 1)
    ids = [f"client-{seed}-{i}" for i in range(n)]
    out = serving.predict(ws, live, table.drop(columns=["y"]), keys=[f"u{i % 97}" for i in range(n)],
                          request_ids=ids, source="http", seed=seed)  # fmt: skip
    if labels:
        for request_id, label in zip(ids, table["y"]):
            serving.record_feedback(ws, 1, request_id, label)
    return out


def _canary(ws, steps=(10, 50, 100)):
    plan = CanaryPlan(steps=tuple(float(s) for s in steps), min_challenger_requests=30)
    rollout = {"strategy": "canary", "plan": plan.to_dict(), "state": {"step": 0, "status": "deployed"}}
    return stage_deploy(ws, 1, RoutingConfig("canary", steps[0] / 100), reason="test", rollout=rollout)


def test_live_canary_waits_then_advances_on_logged_traffic(ws):
    deployment = _canary(ws)
    _clients(ws, 100, seed=1)  # about 10 challenger answers: too few to judge
    waiting = stage_check_live(ws, 1)
    assert waiting["verdict"] == "keep running" and "needs before the guardrails" in waiting["sentence"]
    _clients(ws, 400, seed=2)
    step = stage_check_live(ws, 1)
    assert step["verdict"] == "advance", step["sentence"]
    live = serving.get_active_deployment(ws, 1)
    assert live["id"] == deployment["id"] and live["routing"].challenger_share == pytest.approx(0.5)
    assert get_events_df(ws, deployment["id"])["decision"].tolist() == ["advance"]
    # The next step counts only requests logged after the first step was judged.
    again = stage_check_live(ws, 1)
    assert again["verdict"] == "keep running" and "answered 0 of" in again["sentence"]


def test_live_canary_with_the_bad_challenger_rolls_back_by_itself(ws):
    register_bad_challenger(ws, 1)
    _canary(ws)
    _clients(ws, 500, seed=3)
    result = stage_check_live(ws, 1)
    assert result["verdict"] == "rolled back"
    assert "score distribution" in result["evidence"]["failed"]
    assert serving.get_active_deployment(ws, 1)["routing"].strategy == "single"


def test_live_ab_and_shadow_are_read_out_from_client_labels(ws):
    stage_deploy(ws, 1, RoutingConfig("ab", 0.5), reason="test")
    _clients(ws, 600, seed=4)
    readout = stage_check_live(ws, 1)
    assert readout["verdict"] in ("ship B", "keep A", "keep running")
    arms = readout["evidence"]["arms"]
    assert arms["A (champion)"]["n"] + arms["B (challenger)"]["n"] == 600
    assert readout["evidence"]["sticky"]["users_in_both_arms"] == 0
    stage_deploy(ws, 1, RoutingConfig("shadow"), reason="test")
    out = _clients(ws, 300, seed=5)
    compared = stage_check_live(ws, 1)
    assert compared["evidence"]["agreement"] == pytest.approx((out["prediction"] == out["shadow_prediction"]).mean())
    assert compared["evidence"]["metric"]["labelled"] == 300
    assert {s["column"] for s in compared["evidence"]["segments"]} <= {"x1", "x2", "color"}


def test_single_deployment_has_nothing_to_decide(ws):
    stage_deploy(ws, 1, RoutingConfig("single"), reason="test")
    with pytest.raises(ConfigError, match="only a canary"):
        stage_check_live(ws, 1)
