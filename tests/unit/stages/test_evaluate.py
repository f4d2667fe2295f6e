"""Tests of core.stages.evaluate: the comparison of an experiment's two best models and a run's
robustness check are computed once, saved by run id, and read back the same without recomputing."""

import json

import pandas as pd
import pytest

from core.evaluation.charts_checks import caption_comparison, caption_robustness, plot_robustness
from core.evaluation.comparison import compare_models
from core.evaluation.robustness import get_robustness_df
from core.problem.definition import encode_target
from core.problem.store import get_experiment_problem
from core.stages import evaluate, lab
from core.training import tracking
from core.workspace.database import Workspace, dumps
from tests.unit.stages.test_lab import CONFIG, make_project


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(workspace, project id, experiment): a leaderboard of two models and the baseline."""
    ws = Workspace(tmp_path_factory.mktemp("evaluate"))
    project = make_project(ws)
    result = lab.stage_train(ws, project["pid"], project["fs_id"], CONFIG)
    experiment = tracking.get_experiment(ws, result["experiment"]["id"])
    return ws, project["pid"], experiment


def _json(value) -> str:
    """The value as canonical JSON (NaN written as NaN, so two NaNs compare equal)."""
    return json.dumps(json.loads(dumps(value)), sort_keys=True)


def _refuse(*args, **kwargs):
    raise AssertionError("recomputed instead of reading the saved result")


def test_the_comparison_of_the_top_two_is_computed_once_and_read_back_the_same(trained, monkeypatch):
    ws, pid, experiment = trained
    best, runner_up = evaluate.get_top_two_runs(ws, pid, experiment["id"])
    assert evaluate.get_saved_comparison(ws, best, runner_up) is None
    problem = get_experiment_problem(experiment)
    holdout = tracking.load_holdout(ws, experiment)
    expected = compare_models(
        tracking.load_run_outputs(ws, best, problem),
        tracking.load_run_outputs(ws, runner_up, problem),
        encode_target(holdout[problem.target], problem),
        problem.metric,
    )

    first = evaluate.stage_compare_top_two(ws, pid, experiment["id"])
    assert _json(first) == _json(expected)
    monkeypatch.setattr(evaluate, "compare_models", _refuse)
    again = evaluate.stage_compare_top_two(ws, pid, experiment["id"])
    assert _json(again) == _json(expected)
    assert caption_comparison(
        again["name_a"], again["name_b"], again["cv"], again["bootstrap"], problem.metric
    ) == caption_comparison(
        expected["name_a"], expected["name_b"], expected["cv"], expected["bootstrap"], problem.metric
    )
    assert len(ws.query("SELECT * FROM evaluation_checks WHERE kind = 'comparison'")) == 1


def test_a_robustness_check_is_saved_by_run_and_draws_the_same_figure(trained, monkeypatch):
    ws, pid, experiment = trained
    run_id = int(experiment["best_run_id"])
    assert evaluate.get_saved_robustness(ws, run_id) is None
    problem = get_experiment_problem(experiment)
    holdout = tracking.load_holdout(ws, experiment)
    expected = get_robustness_df(
        tracking.load_run_model(ws, run_id),
        holdout.drop(columns=[problem.target]),
        encode_target(holdout[problem.target], problem),
        problem.metric,
    )

    first = evaluate.stage_robustness(ws, run_id)
    pd.testing.assert_frame_equal(first, expected)
    monkeypatch.setattr(evaluate, "get_robustness_df", _refuse)
    saved = evaluate.stage_robustness(ws, run_id)
    pd.testing.assert_frame_equal(saved, expected)
    assert plot_robustness(saved, problem.metric).to_json() == plot_robustness(expected, problem.metric).to_json()
    assert caption_robustness(saved, problem.metric) == caption_robustness(expected, problem.metric)


def test_fewer_than_two_real_models_means_no_comparison(trained):
    ws, pid, experiment = trained
    assert evaluate.stage_compare_top_two(ws, pid, 10_000) is None


def test_an_error_metric_ranks_the_lowest_cv_score_first(tmp_path):
    """RMSE is better lower: the runs table (best first) and the "top two" the comparison checks
    must start at the smallest error. Sorting by cv_score descending put the worst models first."""
    import numpy as np

    from core.pipeline import stage_clean, stage_features, stage_ingest, stage_problem
    from core.problem.definition import ProblemConfig
    from core.training.config import TrainConfig
    from core.workspace.projects import create_project

    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    table = pd.DataFrame({"x": x, "noise": rng.normal(size=300), "y": 3 * x + rng.normal(scale=0.3, size=300)})
    ws = Workspace(tmp_path)
    pid = create_project(ws, "error metric")["id"]
    raw = stage_ingest(ws, pid, table, None, "reg.csv")
    dataset_id = stage_clean(ws, pid, raw["id"], target="y")["dataset"]["id"]
    stage_problem(ws, pid, dataset_id, ProblemConfig(target="y", task="regression", metric="rmse", threshold=5.0))
    fs_id = stage_features(ws, pid, dataset_id)["id"]
    config = TrainConfig(models=("baseline", "ridge", "knn", "decision_tree"), cv_folds=3)
    experiment_id = lab.stage_train(ws, pid, fs_id, config)["experiment"]["id"]

    runs = tracking.get_runs_df(ws, pid, experiment_id)
    assert runs["cv_score"].tolist() == sorted(runs["cv_score"].tolist())
    assert runs["key"].iloc[0] == "ridge"  # the true model is linear
    real = runs[runs["key"] != "baseline"]
    assert evaluate.get_top_two_runs(ws, pid, experiment_id) == tuple(real["run"].iloc[:2])
