"""The whole loop (core.pipeline.run_pipeline / run_demo) and the JSON summary of DESIGN.md's contract.

Every expensive run is a module fixture: each table is trained once, and the demo runs once.
"""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score

from core import registry
from core.data import datasets
from core.deployment import serving
from core.monitoring.retraining import describe_monitoring_outcome
from core.monitoring.simulation import TrafficConfig
from core.pipeline import (
    PipelineConfig,
    latest_monitoring,
    run_demo,
    run_pipeline,
    stage_monitor,
    stage_register,
    stage_train,
)
from core.problem.store import get_experiment_problem
from core.stages.lab import get_default_experiment_id
from core.training import tracking
from core.training.config import TrainConfig
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError

pytestmark = pytest.mark.slow  # the whole loop, the demo included, on several tables

SUMMARY_KEYS = {
    "project",
    "task",
    "target",
    "rows",
    "leaderboard",
    "best_model",
    "gate",
    "registry",
    "monitoring",
    "timings",
    "validation",
}
STAGE_TIMINGS = {"data", "clean", "problem", "features", "train", "explain", "register", "deploy", "monitor"}


# -- tables with a planted signal -----------------------------------------------------------------
def _classification_table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.uniform(0, 10, n)
    color = rng.choice(["red", "green", "blue"], n)
    logit = 1.8 * x1 + 1.5 * (color == "red") - 0.25 * x2 + 0.5
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": x2, "color": color, "y": y})


def _regression_table(n: int, seed: int, prefix: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.uniform(40, 200, n)
    area = rng.choice(["north", "south", "east"], n)
    noise = rng.normal(size=n)
    value = 1000 * size + 30000 * (area == "north") + 5000 * rng.normal(size=n)
    return pd.DataFrame(
        {"row_id": [f"{prefix}{i:05d}" for i in range(n)], "size": size, "area": area, "noise": noise, "value": value}
    )


def _check_summary(summary: dict, task: str, target: str, rows: int) -> None:
    assert SUMMARY_KEYS <= set(summary)
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary  # strict JSON, no NaN
    assert summary["task"] == task
    assert summary["target"] == target
    assert summary["rows"] == summary["rows_read"] == rows
    assert 0 < summary["rows_used"] <= rows
    assert isinstance(summary["project"], str) and summary["project"]
    assert summary["validation"] in {"stratified-kfold", "kfold", "time-split", "group-kfold"}

    board = summary["leaderboard"]
    assert len(board) >= 2
    for entry in board:
        assert {"model", "cv_score", "test_metrics"} <= set(entry)
    expected = {"roc_auc", "f1_macro", "accuracy"} if task == "classification" else {"r2", "rmse", "mae"}
    assert all(expected <= set(e["test_metrics"]) for e in board if "error" not in e)  # added metrics are fine
    assert "baseline" in [e["model"] for e in board]
    cv = [e["cv_score"] for e in board if e["cv_score"] is not None]
    assert cv == sorted(cv, reverse=True)  # best first
    assert summary["best_model"] != "baseline"
    assert summary["best_model"] in [e["model"] for e in board]

    gate = summary["gate"]
    assert {"metric", "threshold", "value", "passed"} <= set(gate)
    assert isinstance(gate["passed"], bool)
    best = next(e for e in board if e["model"] == summary["best_model"])
    assert gate["value"] == pytest.approx(best["test_metrics"][gate["metric"]], abs=1e-5)

    assert summary["registry"]["alias"] == "champion"
    assert summary["registry"]["version"] == 1
    assert isinstance(summary["registry"]["model"], str)

    monitoring = summary["monitoring"]
    assert isinstance(monitoring["drifted_features"], list)
    assert monitoring["features"]
    for name, stats in monitoring["features"].items():
        assert set(stats) >= {"psi", "pvalue", "drifted"}
        assert stats["psi"] >= 0
        assert stats["drifted"] == (name in monitoring["drifted_features"])
    assert STAGE_TIMINGS <= set(summary["timings"])
    assert all(isinstance(v, (int, float)) and v >= 0 for v in summary["timings"].values())


# -- classification: 2,000 rows so the monitored pool (the holdout) is big enough for drift ------
@pytest.fixture(scope="module")
def clf(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("clf") / "ws")
    table = _classification_table(2000)
    summary = run_pipeline(
        ws,
        table,
        None,
        PipelineConfig(target="y", project_name="clf", scenario="none", cv_folds=3, rows_per_window=300),
    )
    return {"ws": ws, "pid": 1, "summary": summary, "table": table}


def test_classification_summary_follows_the_contract(clf):
    summary = clf["summary"]
    _check_summary(summary, "classification", "y", 2000)
    assert summary["project"] == "clf"
    assert summary["validation"] == "stratified-kfold"
    assert summary["gate"]["metric"] == "roc_auc"
    assert summary["gate"]["passed"] is True
    best = summary["leaderboard"][0]
    baseline = next(e for e in summary["leaderboard"] if e["model"] == "baseline")
    assert best["test_metrics"]["roc_auc"] > 0.8 > baseline["test_metrics"]["roc_auc"]
    assert set(summary["monitoring"]["features"]) == {"x1", "x2", "color"}


def test_summary_is_recorded_in_the_workspace(clf):
    ws, pid, summary = clf["ws"], clf["pid"], clf["summary"]
    experiment = tracking.latest_experiment(ws, pid)
    best_run = tracking.get_run(ws, experiment["best_run_id"])
    assert best_run["model_key"] == summary["best_model"]
    champion = registry.get_alias_version(ws, pid, summary["registry"]["model"], "champion")
    assert champion["run_id"] == best_run["id"]
    assert serving.get_active_deployment(ws, pid)["champion_version_id"] == champion["id"]
    assert len(tracking.load_holdout(ws, experiment)) == 400  # 20% of 2,000


def test_scenario_none_flags_no_drift(clf):
    assert clf["summary"]["monitoring"]["scenario"] == "none"
    assert clf["summary"]["monitoring"]["drifted_features"] == []
    assert clf["summary"]["monitoring"]["retrain_recommended"] is False


def test_scenario_sudden_flags_the_shifted_feature(clf):
    ws, pid = clf["ws"], clf["pid"]
    result = stage_monitor(ws, pid, TrafficConfig(scenario="sudden", rows_per_window=300, seed=7))
    shifted = json.loads(latest_monitoring(ws, pid)["traffic_json"])["drifted_columns"]
    assert shifted
    drifted = result["report"].get_latest_drift_summary()["drifted_features"]
    assert set(shifted) <= set(drifted)
    # Before the drift starts (window 1) nothing is flagged.
    fd = result["report"].feature_drift_df
    assert not fd.loc[fd["window"] == 1, "drifted"].any()


@pytest.fixture(scope="module")
def wine(tmp_path_factory):
    """scikit-learn's wine table (178 rows): its holdout, the pool production traffic is drawn from, has 36."""
    from sklearn.datasets import load_wine

    from core import pipeline
    from core.deployment.routing import RoutingConfig
    from core.workspace.projects import create_project

    ws = Workspace(tmp_path_factory.mktemp("wine") / "ws")
    pid = create_project(ws, "wine")["id"]
    table = load_wine(as_frame=True).frame
    raw = pipeline.stage_ingest(ws, pid, table, None, "wine.csv")
    dataset_id = pipeline.stage_clean(ws, pid, raw["id"], target="target")["dataset"]["id"]
    pipeline.stage_problem(ws, pid, dataset_id, "target")
    fs = pipeline.stage_features(ws, pid, dataset_id)
    trained = stage_train(ws, pid, fs["id"], TrainConfig(models=("logistic",), cv_folds=2))
    stage_register(ws, pid, trained["experiment"]["best_run_id"], alias="champion", override_reason="test")
    pipeline.stage_deploy(ws, pid, RoutingConfig("single"))
    return ws, pid


def test_no_drift_scenario_on_a_small_table_shows_no_drift(wine):
    """Traffic is resampled from the 36 unseen rows: compared with the whole table, their own sampling
    noise read as drift (PSI up to 1.2 on 9 of 13 features) and "retrain" in the "no drift at all" scenario."""
    ws, pid = wine
    report = stage_monitor(ws, pid, TrafficConfig(scenario="none"))["report"]
    fd = report.feature_drift_df
    assert not fd["drifted"].any(), fd.sort_values("psi").tail()
    assert fd["psi"].max() < 0.1  # "no drift" in the heatmap, every window
    assert not report.retrain_recommended, report.reason
    assert not report.alerts, [a.message for a in report.alerts]


def test_planted_drift_on_a_small_table_is_still_found(wine):
    ws, pid = wine
    report = stage_monitor(ws, pid, TrafficConfig(scenario="sudden", seed=3))["report"]
    shifted = json.loads(latest_monitoring(ws, pid)["traffic_json"])["drifted_columns"]
    fd = report.feature_drift_df
    assert set(shifted) == set(fd.loc[fd["drifted"], "feature"]) and shifted
    assert not fd.loc[fd["window"] < 3, "drifted"].any()
    assert report.retrain_recommended


def test_registering_a_run_the_gate_did_not_check_needs_a_reason(clf):
    ws, pid = clf["ws"], clf["pid"]
    experiment = tracking.latest_experiment(ws, pid)
    runs = tracking.get_runs_df(ws, pid, experiment["id"])
    other = int(runs.loc[runs["run"] != experiment["best_run_id"], "run"].iloc[0])
    with pytest.raises(ConfigError, match="is not the model the gate checked"):
        stage_register(ws, pid, other, alias="challenger")


# -- regression, evaluated on a provided test file ------------------------------------------------
@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("reg") / "ws")
    train = _regression_table(400, seed=1, prefix="R")
    test = _regression_table(150, seed=2, prefix="T")
    summary = run_pipeline(
        ws,
        train,
        None,
        PipelineConfig(target="value", project_name="reg", cv_folds=3, windows=2, rows_per_window=300),
        test_df=test,
    )
    return {"ws": ws, "pid": 1, "summary": summary, "train": train, "test": test}


def test_regression_summary_follows_the_contract(reg):
    summary = reg["summary"]
    _check_summary(summary, "regression", "value", 400)
    assert summary["validation"] == "kfold"
    assert summary["gate"]["metric"] == "r2"
    assert summary["leaderboard"][0]["test_metrics"]["r2"] > 0.8
    assert "row_id" not in summary["monitoring"]["features"]  # an ID is not a feature


def test_with_test_df_the_holdout_is_that_files_rows(reg):
    ws, pid, test = reg["ws"], reg["pid"], reg["test"]
    experiment = tracking.latest_experiment(ws, pid)
    holdout = tracking.load_holdout(ws, experiment)
    assert holdout["row_id"].tolist() == test["row_id"].tolist()
    np.testing.assert_allclose(holdout["value"], test["value"])
    # And the leaderboard's holdout metric is the best model's score on exactly those rows.
    model = tracking.load_run_model(ws, experiment["best_run_id"])
    r2 = r2_score(test["value"], model.predict(test.drop(columns=["value"])))
    best = next(e for e in reg["summary"]["leaderboard"] if e["model"] == reg["summary"]["best_model"])
    assert best["test_metrics"]["r2"] == pytest.approx(r2, abs=1e-5)
    # The training rows were all of the training table, none of the test file.
    assert len(datasets.load_dataset(ws, experiment["dataset_id"])) == 400
    assert reg["summary"]["rows_used"] == 400


def test_rows_used_counts_the_rows_left_after_cleaning(tmp_path):
    # 40 rows have no target: they are read, but no model can learn from them.
    table = _classification_table(300, seed=3)
    table.loc[table.index[:40], "y"] = None
    summary = run_pipeline(
        Workspace(tmp_path / "ws"),
        table,
        None,
        PipelineConfig(target="y", project_name="gaps", cv_folds=2, windows=2, rows_per_window=100),
    )
    assert summary["rows"] == summary["rows_read"] == 300
    assert summary["rows_used"] == 260


# -- the gate refuses, unless a reason is written -------------------------------------------------
@pytest.fixture(scope="module")
def noise(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("noise") / "ws")
    rng = np.random.default_rng(11)
    n = 400
    table = pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["p", "q"], n), "y": rng.choice(["yes", "no"], n)})
    summary = run_pipeline(
        ws, table, None, PipelineConfig(target="y", project_name="noise", cv_folds=3, windows=2, rows_per_window=100)
    )
    return {"ws": ws, "pid": 1, "summary": summary}


def test_failed_gate_is_reported_and_the_override_is_audited(noise):
    summary = noise["summary"]
    assert summary["gate"]["passed"] is False
    assert summary["registry"]["version"] == 1  # the CLI/demo registers anyway, with a written reason
    audit = registry.get_audit_df(noise["ws"], noise["pid"])
    registered = [json.loads(d) for a, d in zip(audit["action"], audit["detail"]) if a == "model.registered"]
    assert "gate failed" in registered[0]["note"]


def test_stage_register_refuses_a_failed_run_without_a_reason(noise):
    ws, pid = noise["ws"], noise["pid"]
    experiment = tracking.latest_experiment(ws, pid)
    registered = experiment["best_run_id"]  # the pipeline registered it already, with its own reason
    with pytest.raises(ConfigError, match="already registered as noise v1"):
        stage_register(ws, pid, registered, alias="challenger", override_reason="again")
    runs = tracking.get_runs_df(ws, pid, experiment["id"])
    run_id = int(runs[(runs["run"] != registered) & runs["error"].isna()]["run"].iloc[0])
    for reason in ("", "   "):
        with pytest.raises(ConfigError, match="did not pass the gate.*written reason"):
            stage_register(ws, pid, run_id, alias="challenger", override_reason=reason)
    assert registry.get_versions_df(ws, pid)["version"].tolist() == [1]

    version = stage_register(ws, pid, run_id, alias="challenger", override_reason="class demo: show the loop")
    assert version["version"] == 2
    assert json.loads(version["lineage_json"])["override_reason"] == "class demo: show the loop"
    audit = registry.get_audit_df(ws, pid)
    latest = [json.loads(d) for a, d in zip(audit["action"], audit["detail"]) if a == "model.registered"][0]
    assert latest["version"] == 2
    assert "class demo: show the loop" in latest["note"]


# -- a table never seen before, with messy columns ------------------------------------------------
@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    rng = np.random.default_rng(7)
    n = 600
    plan = rng.choice(["Premium", "premium", " PREMIUM", "Basic"], n, p=[0.2, 0.15, 0.15, 0.5])
    premium = np.char.lower(np.char.strip(plan.astype(str))) == "premium"
    usage = rng.gamma(2, 10, n)
    half_missing = np.where(rng.random(n) < 0.5, np.nan, rng.normal(size=n))
    logit = -0.5 + 2.2 * premium - 0.06 * usage + 0.8 * np.nan_to_num(half_missing)
    table = pd.DataFrame(
        {
            "account_id": [f"ACC-{i:06d}" for i in range(n)],
            "opened": pd.date_range("2021-03-01", periods=n, freq="D").strftime("%Y-%m-%d").astype("str"),
            "plan": pd.Series(plan, dtype="str"),
            "usage": usage,
            "half_missing": half_missing,
            "cancelled": np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), 1, 0),
        }
    )
    ws = Workspace(tmp_path_factory.mktemp("messy") / "ws")
    summary = run_pipeline(
        ws,
        table,
        None,
        PipelineConfig(target="cancelled", project_name="messy", cv_folds=3, windows=2, rows_per_window=300),
    )
    return {"ws": ws, "pid": 1, "summary": summary, "table": table}


def test_messy_table_runs_end_to_end(messy):
    summary, table = messy["summary"], messy["table"]
    _check_summary(summary, "classification", "cancelled", 600)
    board = {e["model"]: e["test_metrics"]["roc_auc"] for e in summary["leaderboard"]}
    assert board[summary["best_model"]] > board["baseline"] + 0.15
    assert "account_id" not in summary["monitoring"]["features"]
    ws, pid = messy["ws"], messy["pid"]
    cleaned = datasets.load_dataset(ws, tracking.latest_experiment(ws, pid)["dataset_id"])
    assert cleaned["plan"].dropna().nunique() == 2  # three spellings of one category became one
    # The half-empty column is kept (filled in, not dropped) and the model uses it.
    assert cleaned["half_missing"].notna().all()
    assert "half_missing" in summary["monitoring"]["features"]
    assert len(cleaned) == len(table)  # no row was lost to the gaps
    assert summary["rows_used"] == len(table)
    # The endpoint answers raw rows as a client sends them: odd spellings, gaps, no ID.
    dep = serving.get_active_deployment(ws, pid)
    request = table.drop(columns=["cancelled", "account_id"]).head(20)
    out = serving.predict(ws, dep, request)
    assert len(out) == 20 and out["score"].between(0, 1).all()
    assert set(out["prediction"]) <= {"0", "1"}


# -- the demo: telco, sudden drift, retraining -----------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("demo") / "ws")
    return {"ws": ws, "summary": run_demo(ws)}


def test_demo_summary_follows_the_contract(demo):
    summary = demo["summary"]
    _check_summary(summary, "classification", "churn", 7070)
    assert summary["gate"]["passed"] is True
    assert summary["monitoring"]["scenario"] == "sudden"
    assert summary["monitoring"]["drifted_features"]
    assert summary["monitoring"]["retrain_recommended"] is True
    assert "customer_id" not in summary["monitoring"]["features"]
    # The sample's customers signed up over six years: the demo evaluates on the latest sign-ups, as
    # its own warning asks, and so no longer warns that a random split learns from the future.
    assert summary["validation"] == "time-split"
    assert not [w for w in summary["warnings"] if "learn from the future" in w]


def test_the_demo_ends_on_a_coherent_story(demo):
    ws, summary = demo["ws"], demo["summary"]
    latest = latest_monitoring(ws, 1)
    # What the report led to is kept with it, and Monitor's headline says it instead of "retrain".
    assert latest["retraining"]["registered"] == summary["retrain"]["registered"]
    assert latest["retraining"]["champion"]["version"] == 1
    verdict = describe_monitoring_outcome(
        latest["report"].retrain_recommended,
        latest["report"].reason,
        "roc_auc",
        latest["retraining"],
        monitored_version=1,
        live_version=1,
    )
    assert verdict.headline == "Retrained: challenger v2 is ready."
    assert "promote it" in verdict.text
    # The pages open on the champion's experiment, not on the retraining's two models.
    experiment = tracking.get_experiment(ws, get_default_experiment_id(ws, 1))
    assert experiment["kind"] == "leaderboard" and experiment["best_run_id"] == champion_run(ws)
    assert tracking.latest_experiment(ws, 1)["kind"] == "retraining"


def champion_run(ws) -> int:
    model = registry.get_model_name(ws, 1)
    return registry.get_alias_version(ws, 1, model, "champion")["run_id"]


def test_demo_retraining_registers_a_challenger_made_from_the_monitored_traffic(demo):
    ws, summary = demo["ws"], demo["summary"]
    pid = serving.get_active_deployment(ws, 1)["project_id"]
    retrain = summary["retrain"]
    assert retrain["registered"]["version"] == 2
    assert retrain["registered"]["alias"] == "challenger"
    model = summary["registry"]["model"]
    challenger = registry.get_alias_version(ws, pid, model, "challenger")
    champion = registry.get_alias_version(ws, pid, model, "champion")
    assert challenger["version"] == 2 and champion["version"] == 1
    assert challenger["id"] == retrain["registered"]["id"]

    report = latest_monitoring(ws, pid)
    lineage = json.loads(challenger["lineage_json"])
    champion_lineage = json.loads(champion["lineage_json"])
    assert lineage["experiment_id"] == retrain["experiment_id"]
    assert f"monitoring report {report['id']}" in tracking.get_experiment(ws, lineage["experiment_id"])["note"]
    assert f"monitoring report {report['id']}" in challenger["note"]

    # Its training data = the champion's data + labelled production rows from that report's traffic.
    data_row = datasets.get_dataset(ws, lineage["dataset_id"])
    assert data_row["parent_id"] == champion_lineage["dataset_id"]
    parent = datasets.load_dataset(ws, champion_lineage["dataset_id"])
    data = datasets.load_dataset(ws, lineage["dataset_id"])
    assert len(data) == len(parent) + retrain["fresh_rows_train"]
    traffic = ws.load_frame(report["traffic_artifact_id"])
    drift_start = json.loads(report["traffic_json"])["drift_start"]
    fresh = traffic[traffic["window"] >= drift_start]
    added = data.iloc[len(parent) :]
    key = ["customer_id", "tenure_months", "support_calls"]
    added_keys = set(map(tuple, added[key].astype(str).to_numpy()))
    fresh_keys = set(map(tuple, fresh[key].astype(str).to_numpy()))
    assert added_keys <= fresh_keys
    assert json.loads(json.dumps(summary["retrain"], allow_nan=False)) == summary["retrain"]


def test_demo_retrained_version_lineage_raw_dataset_is_raw(demo):
    ws, summary = demo["ws"], demo["summary"]
    version = registry.get_version(ws, summary["retrain"]["registered"]["id"])
    raw_id = json.loads(version["lineage_json"])["raw_dataset_id"]
    assert datasets.get_dataset(ws, raw_id)["kind"] == "raw"


def test_a_multiclass_target_goes_through_the_whole_loop(tmp_path):
    """Three classes: the experiment stores each class's probability; the loop, retraining included, runs."""
    rng = np.random.default_rng(1)
    n = 450
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "z": rng.normal(size=n), "plan": rng.choice(["a", "b"], n)})
    df["tier"] = np.where(x + rng.normal(scale=0.6, size=n) > 0.5, "gold", np.where(x < -0.5, "bronze", "silver"))
    ws = Workspace(tmp_path)
    summary = run_pipeline(
        ws,
        df,
        None,
        PipelineConfig(
            target="tier",
            project_name="tiers",
            cv_folds=3,
            scenario="sudden",
            retrain_when_recommended=True,
            rows_per_window=150,
        ),
    )
    assert summary["task"] == "classification" and summary["best_model"] != "baseline"
    experiment = tracking.get_experiment(ws, 1)
    preds = tracking.load_run_predictions(ws, experiment["best_run_id"])
    assert list(preds.columns) == ["score", "proba_0", "proba_1", "proba_2", "pred"]
    assert np.allclose(preds[["proba_0", "proba_1", "proba_2"]].sum(axis=1), 1.0)
    assert (preds["score"] == preds[["proba_0", "proba_1", "proba_2"]].max(axis=1)).all()
    assert set(preds["pred"]) <= {"bronze", "gold", "silver"}


@pytest.mark.parametrize("values, message", [(["yes"] * 50, "only one class"), ([None] * 50, "missing in every row")])
def test_a_target_that_cannot_be_learned_fails_before_any_project_is_made(tmp_path, values, message):
    from core.workspace.errors import DataError
    from core.workspace.projects import list_projects

    ws = Workspace(tmp_path)
    df = pd.DataFrame({"x": np.arange(50.0), "y": values})
    with pytest.raises(DataError, match=message):
        run_pipeline(ws, df, None, PipelineConfig(target="y", project_name="doomed"))
    assert list_projects(ws) == []  # a rerun after fixing the file gets the name, not "doomed (2)"


# -- the decision threshold travels with the version ---------------------------------------------
def test_without_costs_a_yes_no_model_answers_yes_from_half(clf):
    assert clf["summary"]["registry"]["decision_threshold"] == 0.5
    ws = clf["ws"]
    champion = registry.get_alias_version(ws, clf["pid"], clf["summary"]["registry"]["model"], "champion")
    assert serving.load_served(ws, champion["id"]).threshold == 0.5


def test_with_costs_the_version_answers_from_the_cheapest_threshold_and_the_endpoint_uses_it(demo):
    from core.evaluation.reports import CostMatrix, get_best_threshold, get_threshold_df
    from core.pipeline import DEMO_COSTS
    from core.problem.definition import encode_target

    ws, summary = demo["ws"], demo["summary"]
    champion = registry.get_alias_version(ws, 1, summary["registry"]["model"], "champion")
    experiment = tracking.get_experiment(ws, json.loads(champion["lineage_json"])["experiment_id"])
    problem = get_experiment_problem(experiment)
    holdout = tracking.load_holdout(ws, experiment)
    scores = tracking.load_run_predictions(ws, champion["run_id"])["score"].to_numpy()
    y = encode_target(holdout[problem.target], problem)
    cheapest = get_best_threshold(get_threshold_df(y, scores, CostMatrix(*DEMO_COSTS)), "cost", step=0.01)
    assert summary["registry"]["decision_threshold"] == cheapest < 0.5  # a missed churner costs 10x an offer
    assert registry.get_versions_df(ws, 1).set_index("version").loc[1, "decision threshold"] == cheapest

    answers = serving.predict(
        ws, serving.get_active_deployment(ws, 1), holdout.drop(columns=[problem.target]), log=False
    )
    flagged = answers["score"].to_numpy() >= cheapest
    assert 0 < flagged.sum() < len(answers)
    assert (answers["prediction"] == np.where(flagged, problem.positive_class, "No")).all()


def test_a_chosen_threshold_is_kept_and_a_wrong_one_refused(clf):
    ws, pid = clf["ws"], clf["pid"]
    experiment = tracking.latest_experiment(ws, pid)
    runs = tracking.get_runs_df(ws, pid, experiment["id"])
    other = int(runs.loc[(runs["run"] != experiment["best_run_id"]) & runs["error"].isna(), "run"].iloc[-1])
    for wrong in (1.5, -0.1, float("nan"), "0.3", True):
        with pytest.raises(ConfigError, match="between 0 and 1"):
            stage_register(ws, pid, other, alias=None, override_reason="test", decision_threshold=wrong)
    version = stage_register(ws, pid, other, alias=None, override_reason="test", decision_threshold=0.3)
    assert serving.load_served(ws, version["id"]).threshold == 0.3
    audit = registry.get_audit_df(ws, pid)
    assert json.loads(audit.loc[audit["action"] == "model.registered", "detail"].iloc[0])["decision_threshold"] == 0.3


def test_pages_open_on_a_leaderboard_trained_after_the_champion(tmp_path):
    ws = Workspace(tmp_path / "ws")
    run_pipeline(
        ws,
        _classification_table(300, seed=5),
        None,
        PipelineConfig(target="y", project_name="later", cv_folds=2, windows=2, rows_per_window=100),
    )
    champion_experiment = get_default_experiment_id(ws, 1)
    fs = tracking.get_experiment(ws, champion_experiment)["feature_set_id"]
    newer = stage_train(ws, 1, fs, TrainConfig(cv_folds=2, models=("baseline", "logistic")))
    assert get_default_experiment_id(ws, 1) == newer["experiment"]["id"] != champion_experiment


# -- a version keeps its problem when the project's problem changes --------------------------------
@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """A yes/no model of 'y' registered, deployed and monitored; the table also holds 'flag' (another
    yes/no column, whose rarer class is 'no') and 'amount' (a number): targets a user may switch to."""
    table = _classification_table(1500, seed=3)
    rng = np.random.default_rng(3)
    table["flag"] = np.where(rng.random(len(table)) < 0.3, "no", "yes")
    table["amount"] = rng.normal(100, 20, len(table)) + 30 * table["x1"]
    ws = Workspace(tmp_path_factory.mktemp("deployed") / "ws")
    run_pipeline(
        ws,
        table,
        None,
        PipelineConfig(target="y", project_name="loans", scenario="none", cv_folds=3, rows_per_window=200, windows=4),
    )
    return ws


@pytest.fixture
def changed(deployed, tmp_path):
    """A copy of the deployed workspace (each test changes the project's problem its own way)."""
    import shutil

    shutil.copytree(deployed.root, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def _change_target(ws, target):
    from core.pipeline import stage_problem

    return stage_problem(ws, 1, datasets.latest_dataset(ws, 1, "cleaned")["id"], target)


def test_monitoring_and_retraining_judge_the_deployed_version_on_its_own_problem(changed):
    """The Problem page moved to another yes/no target whose positive class is 'no': the deployed model
    of 'y' is still judged on 'y' (not on ROC-AUC against the wrong class), and retraining trains 'y'."""
    from core.pipeline import stage_retrain

    ws = changed
    champion = registry.get_alias_version(ws, 1, "loans", "champion")
    assert _change_target(ws, "flag").positive_class == "no"
    monitored = stage_monitor(ws, 1, TrafficConfig(scenario="none", windows=4, rows_per_window=200))
    performance = monitored["report"].performance_df
    assert (performance["metric"] == "roc_auc").all()
    assert performance["value"].min() > 0.7, performance  # was ~0.2: 'y' scored as if 'no' were the positive class
    assert monitored["version"]["id"] == champion["id"]

    outcome = stage_retrain(ws, 1, monitored["id"])
    experiment = tracking.get_experiment(ws, outcome["experiment_id"])
    assert json.loads(experiment["problem_json"])["target"] == "y"
    assert outcome["champion"]["id"] == champion["id"] and outcome["gate"]["metric"] == "roc_auc"
    assert outcome["champion_metric_on_fresh"] > 0.7
    checks = {c["name"]: c for c in outcome["gate"]["checks"]}
    assert "loans v1" in checks["beats_champion"]["sentence"]  # compared with the champion it challenges
    if outcome["registered"]:
        challenger = registry.get_version(ws, outcome["registered"]["id"])
        assert challenger["model_name"] == "loans"
        assert registry.get_version_problem(ws, challenger).target == "y"


def test_a_new_target_starts_a_new_model_and_monitor_watches_what_is_deployed(changed):
    """register v1 (of 'y'), change the target to a number, monitor, train, register, deploy."""
    from core.pipeline import (
        describe_model_switch,
        describe_watch,
        get_monitoring_verdict,
        model_name_for_problem,
        stage_deploy,
        stage_features,
    )
    from core.stages.lab import stage_train
    from core.training.config import TrainConfig

    ws = changed
    problem = _change_target(ws, "amount")
    old = registry.get_alias_version(ws, 1, "loans", "champion")
    monitored = stage_monitor(ws, 1, TrafficConfig(scenario="none", windows=4, rows_per_window=200))
    assert (monitored["report"].performance_df["metric"] == "roc_auc").all()  # it raised KeyError 'r2'
    watch = describe_watch(ws, 1, latest_monitoring(ws, 1))
    assert "This report watched loans v1, which predicts 'y'" in watch[0]
    assert "The project's problem now predicts 'amount', but loans v1 predicts 'y'" in watch[-1]
    assert model_name_for_problem(ws, 1, problem) == "loans-amount"

    features = stage_features(ws, 1, datasets.latest_dataset(ws, 1, "cleaned")["id"])
    trained = stage_train(ws, 1, features["id"], TrainConfig(cv_folds=3, models=("ridge", "hist_gb")))
    assert "beats_champion" not in {c["name"] for c in trained["gate"].checks}  # loans v1 answers another question
    best = trained["experiment"]["best_run_id"]
    new = stage_register(ws, 1, best, alias="champion", override_reason="test")
    assert (new["model_name"], new["version"]) == ("loans-amount", 1)
    assert registry.get_alias_version(ws, 1, "loans", "champion")["id"] == old["id"]  # untouched
    assert registry.get_model_name(ws, 1) == "loans-amount"
    assert serving.get_active_deployment(ws, 1)["champion_version_id"] == old["id"]  # another model: not redeployed
    switch = describe_model_switch(ws, 1, "loans-amount")
    assert "loans v1, which predicts 'y'" in switch and "loans-amount, which predicts 'amount'" in switch

    stage_deploy(ws, 1)  # the model of the current problem
    assert serving.get_active_deployment(ws, 1)["champion_version_id"] == new["id"]
    old_report = latest_monitoring(ws, 1)  # it watched loans v1: another model serves now
    assert "The endpoint now serves another model (deployment" in describe_watch(ws, 1, old_report)[1]
    assert "now serves" not in get_monitoring_verdict(ws, 1, old_report).headline  # not "v1 now serves"
    assert describe_watch(ws, 1) == [
        "Monitoring watches loans-amount v1, which predicts 'amount', judged on R² (at least 0.60 asked for)."
    ]
    watched = stage_monitor(ws, 1, TrafficConfig(scenario="none", windows=4, rows_per_window=200))
    assert watched["version"]["id"] == new["id"]
    assert (watched["report"].performance_df["metric"] == "r2").all()

    # A new champion of the model the endpoint serves is served at once.
    other = next(
        int(r)
        for r in tracking.get_runs_df(ws, 1, trained["experiment"]["id"])["run"]
        if int(r) != best and registry.get_version_of_run(ws, 1, int(r)) is None
    )
    again = stage_register(ws, 1, other, alias="champion", override_reason="test")
    assert (again["model_name"], again["version"]) == ("loans-amount", 2)
    assert serving.get_active_deployment(ws, 1)["champion_version_id"] == again["id"]


def test_a_table_of_genuine_identical_rows_is_used_whole_and_the_json_says_what_was_offered(tmp_path):
    # An expanded contingency table: 3 categorical columns, 24 distinct rows, 1,200 real people.
    rng = np.random.default_rng(11)
    n = 1200
    table = pd.DataFrame(
        {
            "cls": rng.choice(["1st", "2nd", "3rd"], n),
            "age": rng.choice(["child", "adult"], n),
            "sex": rng.choice(["f", "m"], n),
        }
    )
    logit = -0.5 + 1.5 * (table["sex"] == "f") + 0.8 * (table["cls"] == "1st") - 0.8 * (table["cls"] == "3rd")
    table["survived"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    summary = run_pipeline(
        Workspace(tmp_path / "ws"),
        table,
        None,
        PipelineConfig(target="survived", project_name="survivors", cv_folds=2, windows=2, rows_per_window=100),
    )
    assert summary["rows_read"] == summary["rows_used"] == n
    offered = [o for o in summary["offered_steps"] if o["step"]["op"] == "drop_duplicates"]
    assert offered and offered[0]["rows_removed"] > 0.9 * n
    assert any("not applied" in w or "offered" in w.lower() for w in summary["warnings"]), summary["warnings"]
    best = next(e for e in summary["leaderboard"] if e["model"] == summary["best_model"])
    assert best["test_metrics"]["roc_auc"] > 0.6


def test_a_column_whose_name_starts_with_an_underscore_survives_monitoring_and_retraining(tmp_path):
    table = _classification_table(500, seed=8).rename(columns={"x2": "_under_ x"})
    summary = run_pipeline(
        Workspace(tmp_path / "ws"),
        table,
        None,
        PipelineConfig(
            target="y",
            project_name="underscore",
            cv_folds=2,
            windows=3,
            rows_per_window=200,
            scenario="sudden",
            retrain_when_recommended=True,
        ),
    )
    assert "_under_ x" in summary["monitoring"]["features"]
    assert summary["monitoring"]["retrain_recommended"]
    assert summary["retrain"]["experiment_id"]  # it used to fail: KeyError "['_under_ x'] not in index"
