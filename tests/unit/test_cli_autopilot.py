"""`mlops-studio autopilot`: the timeline printed line by line, the JSON contract (events and the final
verdict), --stop, and one-line errors."""

import json

import pytest

from core.cli import main
from core.monitoring.autopilot import AutopilotPolicy, get_policy, save_policy
from core.workspace.database import Workspace

pytestmark = pytest.mark.slow  # a trained project, then a round of the loop
SMALL = AutopilotPolicy(rounds=1, windows=3, rows_per_window=300, drift_start=2)


@pytest.fixture
def workspace(rollout_copy):
    save_policy(Workspace(rollout_copy), 1, SMALL)
    return str(rollout_copy)


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_autopilot_json_gives_every_event_and_the_final_verdict(capsys, workspace):
    code, out, err = _run(
        capsys, "autopilot", "--project", "roll", "--scenario", "sudden", "--release", "shadow",
        "--workspace", workspace, "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert {"project", "run_id", "status", "verdict", "sentence", "policy", "events"} <= set(result)
    assert result["status"] == "done" and result["verdict"] in ("promoted", "rejected")
    assert result["policy"]["release"] == "shadow" and result["policy"]["windows"] == 3  # flags over the saved policy
    steps = [e["step"] for e in result["events"]]
    assert steps[0] == "start" and steps[-3:] == ["evidence", "verdict", "end"]
    assert {"ts", "round", "step", "status", "sentence", "links"} <= set(result["events"][1])
    assert get_policy(Workspace(workspace), 1) == SMALL  # flags apply to this run only


def test_autopilot_prints_the_timeline_one_line_per_step(capsys, workspace):
    code, out, err = _run(capsys, "autopilot", "--project", "1", "--trigger", "manual", "--workspace", workspace)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert [line.split()[2] for line in lines] == ["start", "traffic", "report", "decision", "end"]
    assert "The policy is manual" in lines[3] and "[report 2]" in lines[3]


def test_autopilot_stop_and_errors(capsys, workspace):
    assert _run(capsys, "autopilot", "--project", "roll", "--stop", "--workspace", workspace) == (
        0, "No autopilot is running in this project.\n", "",
    )  # fmt: skip
    code, out, err = _run(capsys, "autopilot", "--project", "nope", "--workspace", workspace)
    assert code == 2 and out == "" and err.startswith("error: Project 'nope' does not exist")
    code, _, err = _run(capsys, "autopilot", "--project", "roll", "--rounds", "0", "--workspace", workspace)
    assert code == 2 and err == "error: --rounds must be a whole number from 1 to 10; got 0.\n"
