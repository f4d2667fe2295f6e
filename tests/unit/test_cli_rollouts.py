"""`mlops-studio deploy | promote | rollback`: the JSON contract and one-line errors, in process."""

import json
import shutil

import pytest

from core.cli import main
from tests.unit.deployment.rollouts.trained import make_trained_project


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli_rollouts") / "ws"
    make_trained_project(path)
    return path


@pytest.fixture
def workspace(trained, tmp_path):
    shutil.copytree(trained, tmp_path / "ws")
    return str(tmp_path / "ws")


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_deploy_canary_bad_challenger_rolls_back_as_json(capsys, workspace):
    code, out, err = _run(
        capsys, "deploy", "--project", "roll", "--strategy", "canary", "--steps", "5,25,50,100",
        "--scenario", "bad_challenger", "--simulate", "540", "--workspace", workspace, "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert {
        "project",
        "strategy",
        "scenario",
        "simulated",
        "verdict",
        "sentence",
        "deployment_id",
        "live",
        "evidence",
    } <= set(result)
    assert result["verdict"] == "rolled back" and "score distribution" in result["evidence"]["failed"]
    assert result["evidence"]["steps"][0]["share"] == 5.0
    assert "(single)" in result["live"]


def test_deploy_without_simulation_stores_the_plan(capsys, workspace):
    code, out, _ = _run(capsys, "deploy", "--project", "1", "--strategy", "canary", "--steps", "10,50,100",
                        "--workspace", workspace, "--json")  # fmt: skip
    result = json.loads(out)
    assert code == 0 and result["verdict"] == "deployed"
    assert result["rollout"]["plan"]["steps"] == [10.0, 50.0, 100.0]
    assert "gets 10% of the requests" in result["live"]


def test_promote_then_rollback(capsys, workspace):
    code, out, _ = _run(capsys, "promote", "--project", "roll", "--workspace", workspace, "--json")
    promoted = json.loads(out)
    assert code == 0 and promoted["action"] == "promoted" and promoted["version"] == 2
    code, out, _ = _run(capsys, "rollback", "--project", "roll", "--workspace", workspace, "--json")
    back = json.loads(out)
    assert code == 0 and back["action"] == "previous champion" and back["version"] == 1


def test_rollback_switches_a_green_blue_green_back_to_blue(capsys, workspace):
    from core.deployment import serving
    from core.deployment.rollouts import blue_green
    from core.workspace.database import Workspace

    _run(capsys, "deploy", "--project", "roll", "--strategy", "blue_green", "--workspace", workspace)
    blue_green.switch(Workspace(workspace), 1, "green")
    code, out, _ = _run(capsys, "rollback", "--project", "roll", "--workspace", workspace, "--json")
    assert code == 0 and json.loads(out)["action"] == "switched back"
    assert serving.get_active_deployment(Workspace(workspace), 1)["routing"].active_color == "blue"


def test_rollback_stops_an_ab_test(capsys, workspace):
    _run(capsys, "deploy", "--project", "roll", "--strategy", "ab", "--share", "0.3", "--workspace", workspace)
    code, out, _ = _run(capsys, "rollback", "--project", "roll", "--workspace", workspace)
    assert code == 0 and out.startswith("champion alone:")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["deploy", "--project", "nope", "--strategy", "ab"], "Project 'nope' does not exist"),
        (["deploy", "--project", "roll", "--strategy", "canary", "--steps", "5,x"], "--steps must be"),
        (["deploy", "--project", "roll", "--strategy", "canary", "--steps", "50,5"], "must rise strictly"),
        (["deploy", "--project", "roll", "--strategy", "ab", "--simulate", "3"], "at least 10"),
    ],
)
def test_errors_are_one_line(capsys, workspace, argv, message):
    code, out, err = _run(capsys, *argv, "--workspace", workspace)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
