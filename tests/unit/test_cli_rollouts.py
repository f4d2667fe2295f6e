"""`mlops-studio deploy | promote | rollback`: the JSON contract and one-line errors, in process."""

import json

import pytest

from core.cli import main


@pytest.fixture
def workspace(rollout_copy):
    return str(rollout_copy)


def _approve_challenger(workspace: str) -> None:
    """What the Registry page does before a person promotes: Ana (data scientist) requests the
    challenger's promotion, Bo (reviewer) approves it (the registry's policy needs it by default)."""
    from core import registry
    from core.registry import approvals
    from core.workspace.actor import DATA_SCIENTIST, REVIEWER, Actor, acting_as
    from core.workspace.database import Workspace

    ws = Workspace(workspace)
    challenger = registry.get_alias_version(ws, 1, registry.get_model_name(ws, 1), "challenger")
    with acting_as(Actor("Ana", DATA_SCIENTIST)):
        request = approvals.request_promotion(ws, 1, challenger["id"], "better on the holdout")
    with acting_as(Actor("Bo", REVIEWER)):
        approvals.review_request(ws, 1, request["id"], True, "card read, fine")


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
    _approve_challenger(workspace)
    code, out, _ = _run(capsys, "promote", "--project", "roll", "--workspace", workspace, "--json")
    promoted = json.loads(out)
    assert code == 0 and promoted["action"] == "promoted" and promoted["version"] == 2
    code, out, _ = _run(capsys, "rollback", "--project", "roll", "--workspace", workspace, "--json")
    back = json.loads(out)
    assert code == 0 and back["action"] == "previous champion" and back["version"] == 1


def test_a_rolled_back_challenger_can_be_made_challenger_again(capsys, workspace):
    from core import registry
    from core.workspace.database import Workspace

    ws = Workspace(workspace)
    v2 = registry.get_alias_version(ws, 1, registry.get_model_name(ws, 1), "challenger")
    _approve_challenger(workspace)
    _run(capsys, "promote", "--project", "roll", "--workspace", workspace)
    _run(capsys, "rollback", "--project", "roll", "--workspace", workspace)
    assert registry.get_alias_version(ws, 1, v2["model_name"], "challenger") is None
    code, out, err = _run(capsys, "register", "--project", "roll", "--run", str(v2["run_id"]), "--workspace",
                          workspace, "--json")  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert (
        result["action"] == "alias set" and result["version"] == 2 and "v2 is the challenger now" in result["message"]
    )
    assert registry.get_alias_version(ws, 1, v2["model_name"], "challenger")["id"] == v2["id"]
    assert len(registry.get_versions_df(ws, 1)) == 2  # no second version of the same run
    _approve_challenger(workspace)  # an approval is used once: promoting again needs a new one
    code, out, _ = _run(capsys, "promote", "--project", "roll", "--workspace", workspace, "--json")
    assert code == 0 and json.loads(out)["version"] == 2
    code, _, err = _run(capsys, "register", "--project", "roll", "--run", str(v2["run_id"]), "--alias", "none",
                        "--workspace", workspace)  # fmt: skip
    assert code == 2 and "already registered as" in err and "nothing to do" in err


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
        (["deploy", "--project", "roll", "--strategy", "canary", "--share", "0.3"], "from --steps). Drop --share"),
        (["deploy", "--project", "roll", "--strategy", "shadow", "--steps", "5,50"], "has none. Drop --steps"),
        (["deploy", "--project", "roll", "--strategy", "ab", "--share", "1.5"], "--share must be a number between"),
    ],
)
def test_errors_are_one_line(capsys, workspace, argv, message):
    code, out, err = _run(capsys, *argv, "--workspace", workspace)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_register_a_challenger_by_model_name_then_deploy_with_a_policy(capsys, workspace):
    from core import registry
    from core.training import tracking
    from core.workspace.database import Workspace

    ws = Workspace(workspace)
    runs = tracking.get_runs_df(ws, 1)
    latest = runs[runs["experiment"] == runs["experiment"].max()]
    best = tracking.get_experiment(ws, int(latest["experiment"].iloc[0]))["best_run_id"]
    other = latest[(latest["run"] != best) & (latest["key"] != "baseline")].iloc[-1]
    code, out, err = _run(capsys, "register", "--project", "roll", "--run", str(other["model"]).upper(),
                          "--reason", "try it beside the champion", "--workspace", workspace, "--json")  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["action"] == "registered" and result["alias"] == "challenger" and result["run"] == other["run"]
    challenger = registry.get_alias_version(ws, 1, result["model"], "challenger")
    assert challenger["version"] == result["version"] and challenger["run_id"] == other["run"]
    code, out, err = _run(capsys, "deploy", "--project", "roll", "--strategy", "shadow", "--policy", "reject",
                          "--workspace", workspace, "--json")  # fmt: skip
    assert code == 0, err
    deployed = json.loads(out)
    assert deployed["validation_policy"] == "reject" and "is refused" in deployed["live"]
    live = ws.query_one("SELECT validation_policy, challenger_version_id FROM deployments WHERE active = 1")
    assert live == {"validation_policy": "reject", "challenger_version_id": challenger["id"]}
    # by id, without an alias, in words; a run not the gate's best needs a reason
    baseline = int(latest.loc[latest["key"] == "baseline", "run"].iloc[0])
    code, _, err = _run(capsys, "register", "--project", "roll", "--run", str(baseline), "--workspace", workspace)
    assert code == 2 and "written reason" in err
    code, out, err = _run(capsys, "register", "--project", "roll", "--run", str(baseline), "--alias", "none",
                          "--reason", "a floor to compare with", "--workspace", workspace)  # fmt: skip
    assert code == 0, err
    assert out.startswith(f"registered: Registered run {baseline} (") and "without an alias" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["register", "--project", "roll", "--run", "nosuchmodel"], "has no run 'nosuchmodel'"),
        (["register", "--project", "roll", "--run", "99999"], "has no run '99999'"),
        (["register", "--project", "roll", "--run", "1", "--alias", "boss"], "invalid choice: 'boss'"),
        (["deploy", "--project", "roll", "--strategy", "single", "--policy", "drop"], "invalid choice: 'drop'"),
        (["deploy", "--project", "roll", "--strategy", "shadow", "--policy", "flag", "--simulate", "50"],
         "a simulated rollout keeps the live policy"),
    ],
)  # fmt: skip
def test_register_and_policy_errors_are_one_line(capsys, workspace, argv, message):
    try:
        code = main([*argv, "--workspace", workspace])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    _, err = capsys.readouterr()
    assert code == 2 and message in err and err.startswith("error: ") and err.count("\n") == 1, err


def test_a_reader_that_stops_reading_gets_no_traceback(workspace):
    import subprocess
    import sys

    _approve_challenger(workspace)
    process = subprocess.Popen(
        [sys.executable, "-m", "core", "promote", "--project", "roll", "--workspace", workspace, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # like `| head` having read enough, before a byte is written
    _, err = process.communicate(timeout=120)
    assert err == b"" and process.returncode == 141


def test_promote_without_an_approval_exits_2_in_one_line(capsys, workspace):
    code, out, err = _run(capsys, "promote", "--project", "roll", "--workspace", workspace, "--as", "Ana")
    assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1
    assert "needs a reviewer's approval" in err


def test_promote_records_who_ran_it(capsys, workspace):
    from core import registry
    from core.workspace.database import Workspace

    _approve_challenger(workspace)
    code, _, err = _run(capsys, "promote", "--project", "roll", "--workspace", workspace, "--as", "Carla Dias")
    assert code == 0, err
    audit = registry.get_audit_df(Workspace(workspace), 1)
    promoted = audit[audit["action"] == "model.promoted"].iloc[0]
    assert promoted["who"] == "Carla Dias (command line)"
    assert "approved by Bo" in promoted["what"]
    code, _, err = _run(capsys, "rollback", "--project", "roll", "--workspace", workspace)
    assert code == 0, err  # a rollback returns to a version approved before: no request needed
    back = registry.get_audit_df(Workspace(workspace), 1)
    assert back[back["action"] == "model.rolled_back"].iloc[0]["who"].endswith("(command line)")


def test_with_the_policy_off_people_promote_without_a_request(capsys, workspace):
    from core.registry import approvals
    from core.workspace.database import Workspace

    approvals.set_policy(Workspace(workspace), 1, approvals.RegistryPolicy(people_need_approval=False))
    code, out, err = _run(capsys, "promote", "--project", "roll", "--workspace", workspace, "--json")
    assert code == 0 and json.loads(out)["version"] == 2, err


@pytest.mark.parametrize("name", ["", "   ", "autopilot", "x" * 61])
def test_a_bad_as_name_exits_2(capsys, workspace, name):
    code, _, err = _run(capsys, "rollback", "--project", "roll", "--workspace", workspace, "--as", name)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
