"""The autopilot loop on a small trained project: a full round to the rollout's verdict (canary and
shadow), one run per project, a stop, an error mid-rollout and a restart of the app each end the run
with a sentence and the champion serving alone, never half-promoted."""

from dataclasses import replace

import pytest

from core import registry
from core.deployment import serving
from core.deployment.routing import RoutingConfig
from core.monitoring import autopilot as timeline
from core.monitoring.autopilot import AutopilotPolicy
from core.stages import autopilot
from core.stages.autopilot import get_autopilot, run_autopilot, start_autopilot, stop_autopilot
from core.stages.release import stage_deploy
from core.workspace import jobs
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, DataError

pytestmark = pytest.mark.slow  # a trained project, then rounds of traffic, retraining and a rollout

POLICY = AutopilotPolicy(scenario="sudden", release="canary", rounds=1, windows=3, rows_per_window=300, drift_start=2)
FULL_ROUND = ["start", "traffic", "report", "decision", "retrain", "gate", "release", "evidence", "verdict", "end"]


@pytest.fixture
def ws(rollout_copy):
    return Workspace(rollout_copy)


def _serves_the_champion_alone(ws) -> dict:
    live = serving.get_active_deployment(ws, 1)
    champion = registry.get_alias_version(ws, 1, "roll", "champion")
    assert live["routing"].strategy == "single" and live["champion_version_id"] == champion["id"]
    return champion


def test_a_canary_round_runs_as_a_job_to_the_rollouts_verdict(ws):
    before = ws.query_one("SELECT MAX(id) AS last FROM audit_log")["last"]
    run = start_autopilot(ws, 1, POLICY)
    with pytest.raises(ConfigError, match="already running"):
        start_autopilot(ws, 1, POLICY)  # one autopilot per project at a time
    job = jobs.wait_for_job(ws, run["job_id"], timeout=300)
    assert job["status"] == "succeeded", job["error"]
    ended = get_autopilot(ws, 1)
    events = timeline.get_events(ws, run["id"])
    assert [e["step"] for e in events] == FULL_ROUND, [e["sentence"] for e in events]
    assert ended["status"] == "done" and ended["verdict"] in ("promoted", "rejected")
    verdict = events[-2]
    assert verdict["status"] == ended["verdict"]
    assert verdict["sentence"].startswith("Promoted" if ended["verdict"] == "promoted" else "Rejected by the canary")
    assert {"report_id"} <= set(events[2]["links"]) and "experiment_id" in events[4]["links"]
    assert "deployment_id" in events[7]["links"]  # the rollout's deployment, with its evidence
    champion = _serves_the_champion_alone(ws)
    assert (champion["version"] == verdict["links"]["version"]) == (ended["verdict"] == "promoted")
    audited = ws.query("SELECT action FROM audit_log WHERE action LIKE 'autopilot.%' ORDER BY id")
    assert [a["action"] for a in audited] == [f"autopilot.{s}" for s in FULL_ROUND]
    # Everything the run did (retraining, registering, the canary, a promotion or rollback) names it.
    actors = ws.query("SELECT DISTINCT actor, actor_role FROM audit_log WHERE id > ?", (before,))
    assert [(a["actor"], a["actor_role"]) for a in actors] == [("autopilot", "automatic")]
    assert stop_autopilot(ws, 1) == "No autopilot is running in this project."


def test_a_shadow_round_ends_promoted_or_rejected_with_the_champion_alone(ws):
    run_id = timeline.create_run(ws, 1, replace(POLICY, release="shadow"), 1)
    result = run_autopilot(ws, run_id)
    assert [e["step"] for e in result["events"]] == FULL_ROUND
    verdict = result["events"][-2]
    assert verdict["status"] in ("promoted", "rejected")
    assert ("They agree on" in result["events"][-3]["sentence"]) and "(single)" in verdict["sentence"]
    _serves_the_champion_alone(ws)


class _StopAfter:
    """A job's progress whose Stop is pressed after ``n`` checks."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, fraction: float, message: str) -> None:
        pass

    def should_stop(self) -> bool:
        self.n -= 1
        return self.n < 0


def test_a_stop_ends_the_run_between_steps(ws):
    run_id = timeline.create_run(ws, 1, POLICY, 1)
    result = run_autopilot(ws, run_id, progress=_StopAfter(1))  # the traffic step runs, the retraining does not
    assert result["status"] == "stopped" and result["verdict"] == "stopped"
    assert [e["step"] for e in result["events"]] == ["start", "traffic", "report", "decision", "end"]
    assert result["sentence"].startswith("Stopped on request after 0 full rounds")
    assert ws.query_one("SELECT COUNT(*) AS n FROM retrainings")["n"] == 0
    _serves_the_champion_alone(ws)


def test_an_error_mid_rollout_ends_the_run_with_a_sentence_and_nothing_half_done(ws, monkeypatch):
    def failing_rollout(ws, project_id, strategy, **kwargs):
        stage_deploy(ws, project_id, RoutingConfig("canary", 0.25), model_name="roll", reason="test")
        raise DataError("The canary's traffic could not be simulated; try again.")

    monkeypatch.setattr(autopilot, "stage_rollout", failing_rollout)
    before = registry.get_alias_version(ws, 1, "roll", "champion")
    run_id = timeline.create_run(ws, 1, POLICY, 1)
    result = run_autopilot(ws, run_id)
    assert result["status"] == "failed" and result["verdict"] == "error"
    assert "at the 'release' step: The canary's traffic could not be simulated" in result["sentence"]
    assert result["events"][-1]["status"] == "failed"
    assert _serves_the_champion_alone(ws)["id"] == before["id"]  # the canary it left is gone, nothing promoted


def test_a_run_that_fails_fails_its_job_too(ws, monkeypatch):
    def failing_rollout(ws, project_id, strategy, **kwargs):
        raise DataError("The canary's traffic could not be simulated; try again.")

    monkeypatch.setattr(autopilot, "stage_rollout", failing_rollout)
    run = start_autopilot(ws, 1, POLICY)
    job = jobs.wait_for_job(ws, run["job_id"], timeout=300)
    assert job["status"] == "failed" and "could not be simulated" in job["error"]
    assert timeline.get_run(ws, run["id"])["status"] == "failed"


def test_a_run_cut_short_by_a_restart_is_ended_cleanly_when_next_read(ws):
    run_id = timeline.create_run(ws, 1, POLICY, 1)
    timeline.add_event(ws, timeline.get_run(ws, run_id), 1, "release", "started", "roll v2 goes out as a canary.")
    stage_deploy(ws, 1, RoutingConfig("canary", 0.05), model_name="roll", reason="the canary the restart left")
    with ws.transaction() as conn:  # the job of a process that is gone
        job_id = conn.execute(
            "INSERT INTO jobs (project_id, kind, status, progress, message, created_at, updated_at, owner) "
            "VALUES (1, 'autopilot', 'interrupted', 0.5, '', 0, 0, 'gone')"
        ).lastrowid
    timeline.attach_job(ws, run_id, job_id)
    run = get_autopilot(ws, 1)
    assert run["status"] == "interrupted"
    assert "The app stopped during round 1 (after the 'release' step)" in run["sentence"]
    assert timeline.get_events(ws, run_id)[-1]["step"] == "end"
    _serves_the_champion_alone(ws)


def test_a_failed_gate_says_which_check_failed_and_releases_nothing(ws, monkeypatch):
    def retrain_failing_gate(ws, project_id, report_id):
        checks = [
            {"name": "threshold", "passed": True, "sentence": "ROC-AUC on unseen data is 0.97: GO."},
            {"name": "latency", "passed": False, "sentence": "It answers one request in 225.1 ms: NO-GO."},
        ]
        gate = {"metric": "roc_auc", "threshold": 0.75, "value": 0.97, "passed": False, "checks": checks}
        return {"experiment_id": 9, "gate": gate, "champion_metric_on_fresh": 0.9, "retrained_metric_on_fresh": 0.97,
                "fresh_rows_train": 300, "fresh_rows_eval": 300, "registered": None,
                "champion": {"model": "roll", "version": 1, "id": 1}}  # fmt: skip

    monkeypatch.setattr(autopilot, "stage_retrain", retrain_failing_gate)
    run_id = timeline.create_run(ws, 1, POLICY, 1)
    result = run_autopilot(ws, run_id)
    gate = result["events"][-2]
    assert (gate["step"], gate["status"]) == ("gate", "failed")
    assert gate["sentence"] == (
        "The retrained model does not pass the gate: It answers one request in 225.1 ms: NO-GO. "
        "Nothing is released; the champion stays."
    )
    assert result["verdict"] == "gate failed" and ws.query_one("SELECT COUNT(*) AS n FROM deployments")["n"] == 1
