"""Per-row status under a deployment's validation policy, the prediction log (every status, capped
inputs), the served model held in memory, and the fast rule checks agreeing with the general ones."""

import json

import numpy as np
import pandas as pd
import pytest

from core.data.validation import check_each_row
from core.deployment import prediction_log, serving
from core.deployment.routing import RoutingConfig
from core.deployment.row_checks import RowChecks
from core.pipeline import PipelineConfig, run_pipeline, stage_deploy, stage_promote, stage_register
from core.training import tracking
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError


def _table(n: int = 400, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], n)
    since = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D")
    logit = 1.5 * x1 + 1.2 * (color == "red")
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({"x1": x1, "color": color, "since": since.strftime("%Y-%m-%d"), "y": y})


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("policy") / "ws")
    run_pipeline(
        ws, _table(), None, PipelineConfig(target="y", project_name="policy", cv_folds=2, windows=1, rows_per_window=50)
    )
    experiment = tracking.latest_experiment(ws, 1)
    runs = tracking.get_runs_df(ws, 1, experiment["id"])
    other = runs[(runs["run"] != experiment["best_run_id"]) & (runs["key"] != "baseline")]
    stage_register(ws, 1, int(other.iloc[0]["run"]), alias="challenger", override_reason="test")
    return {"ws": ws, "pid": 1, "rows": _table(20, seed=9).drop(columns=["y"])}


def _odd_rows(project) -> pd.DataFrame:
    """Row 0 clean, 1 out of range, 2 an unseen category, 3 a missing number, 4 a type error."""
    rows = project["rows"].head(5).copy().astype(object)
    rows.loc[1, "x1"] = 1e6
    rows.loc[2, "color"] = "purple"
    rows.loc[3, "x1"] = None
    rows.loc[4, "x1"] = "not a number"
    return rows


def _logged(ws, deployment_id) -> pd.DataFrame:
    return pd.DataFrame(
        ws.query(
            "SELECT request_id, status, prediction, problems_json, input_json, shadow_score FROM predictions "
            "WHERE deployment_id = ? ORDER BY id",
            (deployment_id,),
        )
    )


@pytest.mark.parametrize(
    "policy, broken",
    [("flag", "flagged"), ("review", "review"), ("reject", "rejected")],
)
def test_each_policy_gives_rows_that_break_a_rule_their_status(project, policy, broken):
    ws = project["ws"]
    dep = stage_deploy(ws, project["pid"], RoutingConfig("single"), validation_policy=policy)
    assert dep["validation_policy"] == policy
    out = serving.predict(ws, dep, _odd_rows(project), request_ids=[f"{policy}-{i}" for i in range(5)])
    assert list(out.columns) == serving.ANSWER_COLUMNS
    assert out["status"].tolist() == ["scored", broken, broken, broken, "error"]
    codes = [{p["problem"] for p in found} for found in out["problems"]]
    assert codes[:4] == [set(), {"above_max"}, {"unknown_category"}, {"missing_value"}]
    assert "not_a_number" in codes[4]
    answered = out["status"].isin(["scored", "flagged", "review"])
    assert ((out["prediction"] != "") == answered).all() and (out["score"].notna() == answered).all()
    assert (out.loc[[1, 2, 3], "error"] != "").all() == (policy == "reject")  # only a refusal is an error
    log = _logged(ws, dep["id"])
    assert log["status"].tolist() == out["status"].tolist()  # every row is logged, whatever its status
    assert log["prediction"].isna().tolist() == (~answered).tolist()
    assert json.loads(log["problems_json"][1])[0]["problem"] == "above_max"
    queue = serving.get_review_queue_df(ws, dep["id"])
    assert sorted(queue["request_id"]) == (["review-1", "review-2", "review-3"] if policy == "review" else [])
    audit = ws.query_one("SELECT detail_json FROM audit_log WHERE action = 'deployment.created' ORDER BY id DESC")
    assert json.loads(audit["detail_json"])["validation_policy"] == policy


def test_an_unknown_policy_is_a_config_error(project):
    ws = project["ws"]
    with pytest.raises(ConfigError, match="'validation_policy' of a deployment must be one of reject, flag, review"):
        stage_deploy(ws, project["pid"], RoutingConfig("single"), validation_policy="ignore")
    live = serving.get_active_deployment(ws, project["pid"])
    with pytest.raises(ConfigError, match="got 'Flag'"):
        serving.create_deployment(
            ws, project["pid"], RoutingConfig("single"), live["champion_version_id"], None, "", "Flag"
        )


def test_a_new_deployment_keeps_the_live_policy_unless_told_otherwise(project):
    """A rollback, a blue-green switch or a canary's automatic rollback never loosens the policy."""
    ws, pid = project["ws"], project["pid"]
    live = stage_deploy(ws, pid, RoutingConfig("single"), validation_policy="reject")
    back = serving.create_deployment(ws, pid, RoutingConfig("single"), live["champion_version_id"], reason="rollback")
    assert back["validation_policy"] == "reject"
    assert stage_deploy(ws, pid, RoutingConfig("single"))["validation_policy"] == "reject"
    assert stage_deploy(ws, pid, RoutingConfig("single"), validation_policy="flag")["validation_policy"] == "flag"


def test_shadow_scores_are_answered_and_logged(project):
    ws = project["ws"]
    dep = stage_deploy(ws, project["pid"], RoutingConfig("shadow"))
    out = serving.predict(ws, dep, project["rows"])
    assert out["shadow_prediction"].notna().all() and out["shadow_score"].between(0, 1).all()
    assert _logged(ws, dep["id"])["shadow_score"].tolist() == pytest.approx(out["shadow_score"].tolist())


def test_logged_inputs_are_capped_and_say_so(project):
    ws = project["ws"]
    dep = stage_deploy(ws, project["pid"], RoutingConfig("single"))
    rows = project["rows"].head(3).copy()
    rows["note"] = ["short", "x" * 5000, "y" * 150]
    for i in range(20):  # a wide row: 20 cells of 150 characters
        rows[f"extra{i}"] = "z" * 150
    serving.predict(ws, dep, rows)
    logged = [json.loads(t) for t in _logged(ws, dep["id"])["input_json"]]
    assert all(len(t) <= prediction_log.MAX_ROW_CHARS for t in _logged(ws, dep["id"])["input_json"])
    assert all(v.get("_truncated") is True for v in logged)  # each row is over 2 KB
    assert logged[0]["note"] == "short" and logged[0]["color"] == rows["color"].iloc[0]
    few = prediction_log.inputs_json(rows[["x1", "note"]])
    assert json.loads(few[1])["note"] == "x" * prediction_log.MAX_CELL_CHARS and json.loads(few[1])["_truncated"]
    assert "_truncated" not in json.loads(few[0])
    many = pd.concat([rows[["x1", "note"]]] * 10, ignore_index=True)  # the per-column path gives the same text
    assert prediction_log.inputs_json(many)[:3] == few


def test_the_served_model_is_held_in_memory_and_follows_a_promotion(project, tmp_path):
    ws = project["ws"]
    dep = stage_deploy(ws, project["pid"], RoutingConfig("single"))
    first = serving.load_served(ws, dep["champion_version_id"])
    assert serving.load_served(ws, dep["champion_version_id"], dep["champion_sha256"]) is first
    assert first.compiled, first.transform_note
    model_name = first.version["model_name"]
    challenger = serving.get_deployment(ws, stage_deploy(ws, project["pid"], RoutingConfig("shadow"))["id"])
    promoted = stage_promote(ws, project["pid"], model_name)
    live = serving.get_active_deployment(ws, project["pid"])
    assert live["id"] == promoted["deployment"]["id"] != dep["id"]
    assert live["champion_version_id"] == challenger["challenger_version_id"]
    out = serving.predict(ws, live, project["rows"].head(2))
    assert set(out["version"]) == {serving.load_served(ws, live["champion_version_id"]).label} != {first.label}
    other = Workspace(tmp_path / "other")  # the same version id in another workspace is another model
    with pytest.raises(NotFoundError):
        serving.load_served(other, dep["champion_version_id"])


@pytest.mark.parametrize("size", [1, 40])
def test_fast_rule_checks_agree_with_the_general_ones(project, size):
    ws = project["ws"]
    model = serving.load_served(ws, serving.get_active_deployment(ws, project["pid"])["champion_version_id"])
    rows = pd.concat([_odd_rows(project).drop(index=4)] * 10, ignore_index=True).head(size)
    rows.loc[rows.index[-1], "since"] = "2001-01-01"
    X, problems = model.read(rows)
    assert problems == []
    fast = RowChecks(model.rules, model.input_kinds).check(X)
    general = check_each_row(X, model.rules)
    as_set = {(f.row, f.column, f.rule) for f in fast}
    assert as_set == {(f.row, f.column, f.rule) for f in general}
    assert size == 1 or {"above_max", "unknown_category", "missing_value", "below_min"} <= {r for _, _, r in as_set}
