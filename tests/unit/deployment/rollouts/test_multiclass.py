"""Multi-class shadow and canary on sklearn's wine: a score is the probability of the predicted class,
so the two models are compared on the probability each gives the champion's predicted class (not each
its own top class), in the simulated and the live readouts."""

import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine

from core.deployment import serving
from core.deployment.rollouts import stats
from core.deployment.rollouts.canary import CanaryPlan
from core.deployment.rollouts.class_scores import class_probabilities
from core.deployment.rollouts.live import get_logged_df, logged_inputs
from core.deployment.rollouts.records import get_events_df
from core.deployment.routing import RoutingConfig
from core.pipeline import PipelineConfig, run_pipeline, stage_register
from core.stages.release import stage_deploy
from core.stages.rollout import stage_check_live, stage_rollout
from core.training import tracking
from core.workspace.database import Workspace


def wine() -> pd.DataFrame:
    data = load_wine(as_frame=True).frame
    data["cultivar"] = np.array(["barolo", "grignolino", "barbera"], dtype=object)[data["target"]]
    return data.drop(columns=["target"])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = tmp_path_factory.mktemp("wine") / "ws"
    ws = Workspace(path)
    config = PipelineConfig(target="cultivar", project_name="wine", cv_folds=3, windows=2, rows_per_window=60)
    run_pipeline(ws, wine(), None, config)
    experiment = tracking.latest_experiment(ws, 1)
    runs = tracking.get_runs_df(ws, 1, experiment["id"])
    other = runs[(runs["run"] != experiment["best_run_id"]) & (runs["key"] != "baseline")]
    stage_register(ws, 1, int(other.iloc[0]["run"]), alias="challenger", override_reason="test")
    return path


@pytest.fixture
def ws(trained, tmp_path):
    shutil.copytree(trained, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def _models(ws):
    live = serving.get_active_deployment(ws, 1)
    return serving.load_served(ws, live["champion_version_id"]), serving.load_served(ws, live["challenger_version_id"])


def _rows(n: int = 178) -> pd.DataFrame:
    """Wine rows nudged so the two models disagree on some (the table itself is easy)."""
    rng = np.random.default_rng(0)
    rows = wine().drop(columns=["cultivar"]).sample(n, replace=True, random_state=1).reset_index(drop=True)
    return rows * rng.normal(1.0, 0.15, size=rows.shape)


def test_class_probabilities_are_the_models_own_probabilities(ws):
    stage_deploy(ws, 1, RoutingConfig("shadow"))
    champion, challenger = _models(ws)
    rows = _rows(40)
    X, _ = challenger.read(rows)
    proba = challenger.pipeline.predict_proba(X)
    classes = np.array(["barbera", "barolo", "grignolino", "nebbiolo"] * 10, dtype=object)
    got = class_probabilities(challenger, rows, classes)
    column = {str(c): j for j, c in enumerate(challenger.pipeline.classes_)}
    for i, cls in enumerate(classes):
        expected = proba[i, column[cls]] if cls in column else np.nan
        assert got[i] == pytest.approx(expected, nan_ok=True)
    labels, scores = champion.score(rows)
    assert class_probabilities(champion, rows, labels) == pytest.approx(scores)  # its own class: its score


def test_the_live_shadow_compares_probabilities_of_the_champions_class(ws):
    stage_deploy(ws, 1, RoutingConfig("shadow"))
    champion, challenger = _models(ws)
    rows = _rows()
    out = serving.predict(ws, serving.get_active_deployment(ws, 1), rows, source="http")
    disagree = (out["prediction"] != out["shadow_prediction"]).to_numpy()
    assert disagree.any()  # else the test could not tell the two ways apart
    readout = stage_check_live(ws, 1)["evidence"]
    expected = class_probabilities(challenger, rows, out["prediction"]) - out["score"].to_numpy()
    logged = serving.get_prediction_log_df(ws, serving.get_active_deployment(ws, 1)["id"], limit=1000)
    assert len(logged) == len(rows)
    assert readout["score_difference"]["mean"] == pytest.approx(float(np.mean(expected)))
    top_class = out["shadow_score"].to_numpy() - out["score"].to_numpy()
    assert readout["score_difference"]["mean"] != pytest.approx(float(np.mean(top_class)))
    # where they agree both ways are the same; where they disagree the challenger's probability of the
    # champion's class is below its own top class's
    assert expected[~disagree] == pytest.approx(top_class[~disagree])
    assert (expected[disagree] < top_class[disagree]).all()


def test_the_simulated_shadow_compares_probabilities_of_the_champions_class(ws):
    summary = stage_rollout(ws, 1, "shadow", requests=200, seed=2)
    evidence = summary["evidence"]
    assert get_events_df(ws, summary["deployment_id"])["decision"].tolist() == [summary["verdict"]]
    logged = get_logged_df(ws, summary["deployment_id"])
    logged = logged[logged["status"] != "error"]
    deployment = serving.get_deployment(ws, summary["deployment_id"])
    challenger = serving.load_served(ws, deployment["challenger_version_id"])
    expected = class_probabilities(challenger, logged_inputs(logged), logged["prediction"]) - logged["score"]
    assert evidence["score_difference"]["mean"] == pytest.approx(float(np.nanmean(expected)))


def test_the_simulated_canary_runs_its_guardrails_on_the_champions_class(ws):
    summary = stage_rollout(ws, 1, "canary", steps=(50.0, 100.0), seed=1)
    for step in summary["evidence"]["steps"]:
        check = next(c for c in step["checks"] if c["guardrail"] == "score distribution")
        assert np.isfinite(check["psi"]) and check["psi"] >= 0


def test_the_live_canary_judges_the_score_distribution_on_the_champions_class(ws):
    plan = CanaryPlan(steps=(50.0, 100.0), min_challenger_requests=30)
    rollout = {"strategy": "canary", "plan": plan.to_dict(), "state": {"step": 0, "status": "deployed"}}
    stage_deploy(ws, 1, RoutingConfig("canary", 0.5), reason="test", rollout=rollout)
    champion, challenger = _models(ws)
    rows = _rows()
    out = serving.predict(ws, serving.get_active_deployment(ws, 1), rows, source="http", seed=4)
    judged = stage_check_live(ws, 1)
    assert judged["evidence"]["steps"], judged["sentence"]
    check = next(c for c in judged["evidence"]["steps"][0]["checks"] if c["guardrail"] == "score distribution")
    answered = rows.loc[(out["arm"] == "challenger").to_numpy()]
    labels, scores = champion.score(answered)
    theirs = class_probabilities(challenger, answered, labels)
    assert check["psi"] == pytest.approx(stats.psi(scores, theirs[np.isfinite(theirs)]))
