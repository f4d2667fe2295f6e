"""The strategies on simulated traffic through a real deployment: the canary ramp and its automatic
rollback, the A/B readout, the shadow comparison, the blue-green switch; their records."""

import json
import re

import pandas as pd
import pytest

from core import registry
from core.deployment import serving
from core.deployment.rollouts.records import get_events_df, get_rollout
from core.deployment.rollouts.traffic import LabelPlan, TrafficRun, get_labelled_df
from core.stages.rollout import register_bad_challenger, stage_promote_shadow, stage_rollout
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError
from tests.unit.deployment.rollouts.trained import make_table


@pytest.fixture
def project(rollout_project):
    return rollout_project


@pytest.fixture
def ws(rollout_copy):
    """A fresh copy of the trained project's workspace per test: the strategies change aliases."""
    return Workspace(rollout_copy)


def _audit(ws, prefix):
    rows = ws.query("SELECT action, detail_json FROM audit_log WHERE action LIKE ? ORDER BY id", (f"{prefix}%",))
    return [(r["action"], json.loads(r["detail_json"])) for r in rows]


def test_good_challenger_climbs_the_ramp_to_100_and_is_promoted(ws, project):
    challenger = project[1]
    summary = stage_rollout(ws, 1, "canary", requests=27 * 40, seed=3)
    assert summary["verdict"] == "promote", summary["sentence"]
    steps = summary["evidence"]["steps"]
    assert [s["share"] for s in steps] == [5.0, 25.0, 50.0, 100.0]
    assert all(c["holds"] for s in steps for c in s["checks"])
    events = get_events_df(ws, summary["deployment_id"])
    assert events["decision"].tolist() == ["advance", "advance", "advance", "complete"]
    assert events["share"].tolist() == [5.0, 25.0, 50.0, 100.0]
    # Labels arrived late, through the feedback path, and the metric guardrail judged them.
    assert steps[-1]["labelled"] > 0
    assert steps[-1]["checks"][3]["judged"]
    # Promoted: the challenger is the champion and serves alone.
    assert registry.get_alias_version(ws, 1, challenger["model_name"], "champion")["id"] == challenger["id"]
    live = serving.get_active_deployment(ws, 1)
    assert live["champion_version_id"] == challenger["id"]
    assert get_rollout(serving.get_deployment(ws, summary["deployment_id"]))["state"]["status"] == "completed"
    assert [a for a, _ in _audit(ws, "rollout.")] == ["rollout.canary_step"] * 4


def test_bad_challenger_is_rolled_back_automatically_naming_the_guardrail(ws):
    champion_before = serving.get_active_deployment(ws, 1)["champion_version_id"]
    summary = stage_rollout(ws, 1, "canary", scenario="bad_challenger", requests=27 * 40, seed=3)
    assert summary["verdict"] == "rolled back"
    assert "score distribution" in summary["evidence"]["failed"]
    assert re.search(r"score distribution guardrails? failed", summary["sentence"])
    events = get_events_df(ws, summary["deployment_id"])
    assert events["decision"].tolist() == ["rollback"]
    failed = [c for c in events["evidence"].iloc[0]["checks"] if not c["holds"]]
    assert failed[0]["psi"] > 0.25
    # The endpoint went back to the champion alone, by itself, and says why in the audit log.
    live = serving.get_active_deployment(ws, 1)
    assert live["id"] == summary["evidence"]["rollback_deployment_id"]
    assert live["routing"].strategy == "single"
    assert live["champion_version_id"] == champion_before
    created = [d for a, d in _audit(ws, "deployment.created") if d["deployment_id"] == live["id"]]
    assert "automatic rollback" in created[0]["reason"]
    rollout = get_rollout(serving.get_deployment(ws, summary["deployment_id"]))
    assert rollout["state"]["status"] == "rolled back"


def test_bad_challenger_is_the_baseline_registered_once(ws):
    first = register_bad_challenger(ws, 1)
    again = register_bad_challenger(ws, 1)
    assert first["id"] == again["id"]
    assert json.loads(first["lineage_json"])["model_key"] == "baseline"


def test_ab_readout_is_sticky_and_decides(ws):
    summary = stage_rollout(ws, 1, "ab", requests=1200, share=0.5, seed=2)
    evidence = summary["evidence"]
    assert summary["verdict"] in ("ship B", "keep A", "keep running")
    assert evidence["sticky"]["users_in_both_arms"] == 0
    assert evidence["sticky"]["users"] > 100
    a, b = evidence["arms"]["A (champion)"], evidence["arms"]["B (challenger)"]
    assert a["low"] <= a["value"] <= a["high"] and a["n"] > 100 and b["n"] > 100
    assert evidence["test"]["test"] == "two-proportion z-test"
    assert 0 <= evidence["test"]["p_value"] <= 1 and evidence["sequential_p_value"] >= evidence["test"]["p_value"] * 0
    assert evidence["looks"] >= 2
    events = get_events_df(ws, summary["deployment_id"])
    assert events["kind"].tolist() == ["ab_readout"] and events["decision"].iloc[0] == summary["verdict"]


def test_ab_against_the_bad_challenger_keeps_a(ws):
    summary = stage_rollout(
        ws, 1, "ab", scenario="bad_challenger", requests=2000, share=0.5, seed=2, labels=LabelPlan(delay=1, share=1.0)
    )
    assert summary["verdict"] == "keep A", summary["sentence"]
    assert summary["evidence"]["test"]["difference"] < 0


def test_shadow_numbers_and_promotion_with_evidence(ws, project):
    summary = stage_rollout(ws, 1, "shadow", requests=600, seed=4, labels=LabelPlan(delay=1, share=1.0))
    readout = summary["evidence"]
    answers = serving.get_prediction_log_df(ws, summary["deployment_id"], limit=10_000)
    agreement = float((answers["prediction"] == answers["shadow_prediction"]).mean())
    assert readout["agreement"] == pytest.approx(agreement)
    assert readout["requests"] == 600
    labelled = get_labelled_df(ws, [summary["deployment_id"]])
    assert readout["metric"]["labelled"] == len(labelled) == 600
    right = (labelled["prediction"] == labelled["label"]).mean()
    assert readout["metric"]["champion"] == pytest.approx(right)
    assert readout["metric"]["shadow"] == pytest.approx((labelled["shadow_prediction"] == labelled["label"]).mean())
    assert readout["segments"] and {"column", "segment", "disagreement", "requests"} <= set(readout["segments"][0])
    rates = [s["disagreement"] for s in readout["segments"]]
    assert rates == sorted(rates, reverse=True)
    promoted = stage_promote_shadow(ws, 1, summary["deployment_id"])
    assert promoted["version"]["id"] == project[1]["id"]
    entry = _audit(ws, "rollout.shadow_promoted")[-1][1]
    assert entry["agreement"] == pytest.approx(agreement) and entry["metric"]["labelled"] == 600


def test_promote_shadow_needs_a_shadow_readout(ws):
    live = serving.get_active_deployment(ws, 1)
    with pytest.raises(NotFoundError, match="no shadow comparison"):
        stage_promote_shadow(ws, 1, live["id"])


def test_blue_green_switches_without_gap_and_audits_both_ways(ws, project):
    summary = stage_rollout(ws, 1, "blue_green", requests=30, seed=5)
    assert summary["verdict"] == "no gap"
    stream = pd.DataFrame(summary["evidence"]["stream"])
    assert len(stream) == 30 and summary["evidence"]["unanswered"] == 0
    champion = serving.load_served(ws, serving.get_deployment(ws, summary["deployment_id"])["champion_version_id"])
    green = serving.load_served(ws, project[1]["id"]).label
    # Blue answers up to the switch, green from the switch on, blue again after the switch back.
    assert stream["version"].tolist() == [champion.label] * 10 + [green] * 10 + [champion.label] * 10
    switches = [(d["from"], d["to"]) for a, d in _audit(ws, "rollout.blue_green_switch")]
    assert switches == [("blue", "green"), ("green", "blue")]
    assert summary["evidence"]["switches"][0]["versions_after"][0] == green


def test_traffic_is_deterministic_and_labels_arrive_late(ws, project):
    deployment = serving.get_active_deployment(ws, 1)
    frame = make_table(120, seed=9)
    runs = []
    for _ in range(2):
        run = TrafficRun(ws, 1, frame, "y", labels=LabelPlan(delay=2, share=0.5), batch_size=20, seed=11)
        first = run.send(lambda: deployment, 40)  # two ticks: nothing is due yet
        assert run.labels_delivered == 0 and len(first) == 40
        run.send(lambda: deployment, 80)
        runs.append(run)
    assert runs[0].labels_delivered == runs[1].labels_delivered > 0
    assert runs[0].answers()["prediction"].tolist() == runs[1].answers()["prediction"].tolist()
    owed = len(runs[0].pending)
    assert owed > 0  # the last two batches' labels are still on their way
    runs[0].deliver_due(all_pending=True)
    assert runs[0].labels_delivered == int(runs[0].gets_label.sum())


def test_rollout_refuses_bad_settings(ws):
    with pytest.raises(ConfigError, match="strategy"):
        stage_rollout(ws, 1, "yolo")
    with pytest.raises(ConfigError, match="steps"):
        stage_rollout(ws, 1, "canary", steps=(50, 25))
    with pytest.raises(ConfigError, match="label 'share'"):
        LabelPlan(share=2).validate()
