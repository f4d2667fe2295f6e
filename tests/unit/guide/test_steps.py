"""The guided demo's steps: the demo pipeline cut at its stages, each step runnable alone and
idempotent, the whole sequence giving what run_demo gives, narration in both languages."""

import json

import pytest

from core import pipeline
from core.guide import steps
from core.i18n import use_language
from core.workspace import projects
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError


def test_steps_are_the_demo_pipeline_in_order():
    steps.check_steps_match_pipeline()
    assert [s.key for s in steps.STEPS][:2] == ["data", "clean"] and steps.STEPS[-1].key == "retrain"
    assert all(s.page.startswith("pages/") for s in steps.STEPS)


@pytest.mark.parametrize("language", ["en", "pt"])
def test_narration_for_every_step_in_both_languages(language):
    seen = set()
    for step in steps.STEPS:
        with use_language(language):
            texts = step.texts()
        assert set(texts) == {"title", "what", "why", "look"} and all(len(t) > 10 for t in texts.values())
        if language == "pt":
            assert texts["what"] != step.what and texts["why"] != step.why and texts["look"] != step.look
        seen.add(texts["what"])
    assert len(seen) == len(steps.STEPS)


def test_the_step_in_the_url_is_parsed_strictly():
    assert steps.step_index("1") == 0 and steps.step_index("10") == 9
    for hostile in ("0", "11", "²", "-1", "1.0", "9" * 30, "", None, ["3"]):
        assert steps.step_index(hostile) in (None, 2)
    assert steps.step_index(["3"]) == 2


def test_a_step_refuses_before_the_earlier_ones(tmp_path):
    ws = Workspace(tmp_path)
    pid = projects.create_unique_project(ws, "guided", source=pipeline.DEFAULT_SAMPLE)["id"]
    with pytest.raises(ConfigError):
        pipeline.run_demo_step(ws, pid, "problem")
    with pytest.raises(ConfigError):
        pipeline.run_demo_step(ws, pid, "nonsense")


def recorded(ws: Workspace, pid: int) -> dict:
    """What a demo run decided, read back from the workspace (not how fast it ran): every model's scores
    per experiment, the gates, the registered versions, the monitoring verdicts."""
    runs = ws.query(
        "SELECT e.kind, r.model_key, r.cv_score, r.test_metrics_json FROM runs r JOIN experiments e "
        "ON e.id = r.experiment_id WHERE r.project_id = ? ORDER BY r.id",
        (pid,),
    )
    gates = []
    for row in ws.query("SELECT gate_json FROM experiments WHERE project_id = ? ORDER BY id", (pid,)):
        gate = json.loads(row["gate_json"])
        gates.append({k: v for k, v in gate.items() if k != "checks"})
    versions = ws.query(
        "SELECT model_name, version, metrics_json FROM model_versions WHERE project_id = ? ORDER BY id", (pid,)
    )
    reports = ws.query("SELECT retrain_recommended FROM monitoring_reports WHERE project_id = ? ORDER BY id", (pid,))
    return {"runs": runs, "gates": gates, "versions": versions, "reports": reports}


@pytest.mark.slow
def test_steps_in_sequence_give_what_run_demo_gives_and_are_idempotent(tmp_path):
    ws = Workspace(tmp_path)
    whole = pipeline.run_demo(ws, project_name="guided")  # the same name: the model names match
    whole_pid = projects.list_projects(ws)[0]["id"]
    other = Workspace(tmp_path / "other")
    pid = projects.create_unique_project(other, "guided", source=pipeline.DEFAULT_SAMPLE)["id"]
    outcome = steps.run_guide_steps(other, pid, 2)  # collect, prepare, define the problem
    assert outcome["ran"] == ["data", "clean", "problem"]
    assert pipeline.run_demo_step(other, pid, "clean")["ran"] is False  # done already: nothing again
    for step in steps.STEPS[3:]:
        assert pipeline.run_demo_step(other, pid, step.key)["ran"] is True, step.key
        assert pipeline.run_demo_step(other, pid, step.key)["ran"] is False, step.key
    assert all(pipeline.get_demo_progress(other, pid).values())
    assert recorded(other, pid) == recorded(ws, whole_pid)
    assert whole["registry"]["model"] == recorded(other, pid)["versions"][0]["model_name"]
