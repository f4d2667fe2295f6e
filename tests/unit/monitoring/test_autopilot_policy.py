"""The autopilot's retraining policy (validation, JSON, stored per project), the decision each trigger
takes, and the timeline's events (in the run's table and the audit log)."""

import json

import pytest

from core.monitoring import autopilot as timeline
from core.monitoring.autopilot import AutopilotPolicy, get_timeline_df
from core.stages.autopilot import _decide, _final, with_overrides
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError
from core.workspace.projects import create_project


@pytest.fixture
def ws(tmp_path):
    ws = Workspace(tmp_path / "ws")
    create_project(ws, "p")
    return ws


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trigger": "sometimes"}, "'trigger'"),
        ({"release": "blue_green"}, "'release'"),
        ({"scenario": "storm"}, "'scenario'"),
        ({"rounds": 0}, "'rounds'"),
        ({"rounds": 11}, "'rounds'"),
        ({"rounds": True}, "'rounds'"),
        ({"windows": 4, "drift_start": 5}, "'drift_start'"),
        ({"steps": ()}, "'steps'"),
        ({"every_windows": 0}, "'every_windows'"),
    ],
)
def test_a_bad_policy_names_the_field(change, field):
    with pytest.raises(ConfigError, match=field):
        AutopilotPolicy(**change).validate()


def test_the_policy_round_trips_through_json_and_is_kept_per_project(ws):
    assert timeline.get_policy(ws, 1) == AutopilotPolicy()  # nothing saved: the default
    policy = AutopilotPolicy(trigger="schedule", every_windows=12, release="shadow", scenario="sudden", rounds=3)
    assert AutopilotPolicy.from_dict(json.loads(json.dumps(policy.to_dict()))) == policy
    timeline.save_policy(ws, 1, policy)
    timeline.save_policy(ws, 1, policy)  # saved again: still one row
    assert timeline.get_policy(ws, 1) == policy
    create_project(ws, "q")
    assert timeline.get_policy(ws, 2) == AutopilotPolicy()
    assert ws.query_one("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'autopilot.policy'")["n"] == 2
    assert "every 12 windows" in policy.describe() and "as a shadow" in policy.describe()


def test_overrides_replace_only_what_is_given_and_are_validated():
    policy = with_overrides(AutopilotPolicy(release="shadow"), rounds=4, scenario=None)
    assert (policy.rounds, policy.release, policy.scenario) == (4, "shadow", "concept")


def test_the_default_release_is_the_shadow_and_a_manual_policy_says_it_only_watches():
    # A canary's score guardrail rolls back a model retrained after the concept changed (its scores differ).
    assert AutopilotPolicy().release == "shadow"
    words = AutopilotPolicy(trigger="manual").describe()
    assert "only watches: retraining and releasing are left to you" in words and "releases" not in words
    with pytest.raises(ConfigError, match="'rounds'"):
        with_overrides(AutopilotPolicy(), rounds=99)


def test_each_trigger_decides_as_its_policy_says():
    on_alert = AutopilotPolicy(trigger="alert")
    assert _decide(on_alert, True, 6)[0] is True
    assert _decide(on_alert, False, 600)[0] is False
    scheduled = AutopilotPolicy(trigger="schedule", every_windows=12)
    assert _decide(scheduled, False, 6) == (False, "6 of the 12 windows the schedule waits for before retraining.")
    retrain, why = _decide(scheduled, False, 12)
    assert retrain and "every 12" in why
    retrain, why = _decide(AutopilotPolicy(trigger="manual"), True, 60)
    assert not retrain and "although monitoring recommends it" in why


def test_the_final_verdict_names_each_round():
    rounds = [{"round": 1, "verdict": "rejected"}, {"round": 2, "verdict": "promoted"}]
    verdict, sentence = _final(rounds, "done", {"round": 2, "step": "verdict"}, "Live now: x.", "")
    assert verdict == "promoted" and "round 1: rejected; round 2: promoted" in sentence
    verdict, sentence = _final([], "failed", {"round": 1, "step": "retrain"}, "Live now: x.", "Only 3 rows.")
    assert verdict == "error" and "round 1 at the 'retrain' step: Only 3 rows." in sentence
    assert _final(rounds[:1], "stopped", {"round": 1, "step": "x"}, "", "")[0] == "stopped"


def test_events_go_to_the_timeline_and_the_audit_log(ws):
    run_id = timeline.create_run(ws, 1, AutopilotPolicy(), None)
    run = timeline.get_run(ws, run_id)
    timeline.add_event(ws, run, 0, "start", "started", "Autopilot started.")
    timeline.add_event(ws, run, 1, "report", "alert", "Report 4: retrain.", {"report_id": 4, "version": None})
    timeline.add_event(ws, run, 1, "gate", "passed", "Passes.", {"experiment_id": 7, "model": "m", "version": 3})
    events = timeline.get_events(ws, run_id)
    assert [e["step"] for e in events] == ["start", "report", "gate"]
    assert events[1]["links"] == {"report_id": 4}  # a missing link is left out
    audit = ws.query("SELECT action, detail_json FROM audit_log WHERE action LIKE 'autopilot.%' ORDER BY id")
    assert [a["action"] for a in audit] == ["autopilot.start", "autopilot.report", "autopilot.gate"]
    assert json.loads(audit[2]["detail_json"])["sentence"] == "Passes."
    df = get_timeline_df(events)
    assert list(df.columns) == ["time", "round", "step", "status", "what happened", "links"]
    assert df["links"].tolist() == ["", "report 4", "experiment 7 · version m v3"]
    timeline.end_run(ws, run_id, "done", "promoted", "Done.")
    assert timeline.latest_run(ws, 1)["status"] == "done"
    assert get_timeline_df([]).empty


def test_deleting_the_project_removes_its_policy_runs_and_timeline(ws):
    from core.workspace.projects import delete_project

    timeline.save_policy(ws, 1, AutopilotPolicy(rounds=3))
    run_id = timeline.create_run(ws, 1, AutopilotPolicy(), None)
    timeline.add_event(ws, timeline.get_run(ws, run_id), 0, "start", "started", "Autopilot started.")
    delete_project(ws, 1)
    for table in ("autopilot_policies", "autopilot_runs", "autopilot_events"):
        assert ws.query_one(f"SELECT COUNT(*) AS n FROM {table}")["n"] == 0, table
