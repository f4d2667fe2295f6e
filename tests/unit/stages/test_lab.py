"""Tests of core.stages.lab: the training lab's stages (train, tune, re-run) recorded in a workspace, the gate's
extra inputs (the current champion on the same holdout rows, the latency of one request, the fairness gap)
and a tuning study run as a stoppable background job.

The lab's history is one module fixture, built in order: a leaderboard, a tuning study, two re-runs, a
champion, then two more leaderboards judged against it under strict and lenient limits.
"""

import json
import re
import threading
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.metrics import roc_auc_score

from core.evaluation.gate import check_gate
from core.pipeline import stage_clean, stage_features, stage_ingest, stage_problem, stage_register
from core.problem.definition import ProblemConfig
from core.problem.store import get_problem
from core.stages import lab
from core.training import tracking
from core.training.config import TrainConfig
from core.training.tuning import TuneConfig, default_search_space
from core.workspace import jobs
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.projects import create_project

CONFIG = TrainConfig(models=("logistic", "decision_tree"), cv_folds=3)
# A generous latency limit: the machine is shared, and only the tiny limit below must fail.
PROBLEM = ProblemConfig(
    target="y", task="binary", positive_class="yes", metric="roc_auc", threshold=0.7, max_latency_ms=5000.0
)
TUNE = TuneConfig(model="logistic", method="random", max_trials=4)


def make_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A yes/no target driven by x1, x2 and the region (the sensitive column), plus a date column
    (a random split over it earns a validation warning)."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.uniform(0, 10, n)
    region = rng.choice(["north", "south"], n)
    logit = 1.8 * x1 + 1.0 * (region == "north") - 0.25 * x2 + 0.5
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "region": region,
            "signup": pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "y": y,
        }
    )


def make_project(ws: Workspace, name: str = "lab") -> dict:
    """Project → raw → cleaned → problem → feature set, through the pipeline's stages."""
    pid = create_project(ws, name)["id"]
    raw = stage_ingest(ws, pid, make_table(), None, "lab.csv")
    dataset_id = stage_clean(ws, pid, raw["id"], target="y")["dataset"]["id"]
    stage_problem(ws, pid, dataset_id, PROBLEM)
    fs_id = stage_features(ws, pid, dataset_id)["id"]
    return {"pid": pid, "dataset_id": dataset_id, "fs_id": fs_id}


def set_problem(ws: Workspace, project: dict, **changes) -> None:
    stage_problem(ws, project["pid"], project["dataset_id"], replace(PROBLEM, **changes))


def run_named(ws: Workspace, experiment_id: int, suffix: str) -> dict:
    return next(
        r
        for r in ws.query("SELECT * FROM runs WHERE experiment_id = ?", (experiment_id,))
        if r["model_name"].endswith(suffix)
    )


def check(gate, name: str) -> dict | None:
    return next((c for c in gate.checks if c["name"] == name), None)


def latency_of(gate) -> float:
    return float(re.search(r"in ([\d.]+) ms", check(gate, "latency")["sentence"]).group(1))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("lab") / "ws")
    project = make_project(ws)
    pid, fs_id = project["pid"], project["fs_id"]
    first = lab.stage_train(ws, pid, fs_id, CONFIG)
    tuned = lab.stage_tune(ws, pid, fs_id, TUNE, CONFIG)
    tuned_run = run_named(ws, tuned["experiment"]["id"], "(tuned)")
    rerun_board = lab.stage_rerun(ws, pid, first["experiment"]["best_run_id"])
    rerun_tuned = lab.stage_rerun(ws, pid, tuned_run["id"])
    champion = stage_register(ws, pid, first["experiment"]["best_run_id"], alias="champion")
    set_problem(ws, project, sensitive_column="region", max_fairness_gap=1e-6, max_latency_ms=1e-6)
    strict = lab.stage_train(ws, pid, fs_id, CONFIG)
    set_problem(ws, project, sensitive_column="region", max_fairness_gap=1.0)
    lenient = lab.stage_train(ws, pid, fs_id, CONFIG)
    return {
        "ws": ws,
        **project,
        "first": first,
        "tuned": tuned,
        "tuned_run": tuned_run,
        "rerun_board": rerun_board,
        "rerun_tuned": rerun_tuned,
        "champion": champion,
        "strict": strict,
        "lenient": lenient,
    }


# ---------------------------------------------------------------- train


def test_stage_train_records_the_leaderboard_with_warnings_and_versions(history):
    first = history["first"]
    experiment = tracking.get_experiment(history["ws"], first["experiment"]["id"])
    assert experiment["kind"] == "leaderboard"
    warnings = tracking.get_experiment_warnings(experiment)
    assert warnings == first["result"].warnings
    assert any(w.startswith("signup looks like a time") for w in warnings)
    env = json.loads(experiment["environment_json"])
    assert env["scikit-learn"] == sklearn.__version__
    assert env["pandas"] == pd.__version__ and env["numpy"] == np.__version__
    assert {"python", "optuna"} <= set(env)
    assert json.loads(experiment["gate_json"]) == first["gate"].to_dict()
    best = tracking.get_run(history["ws"], experiment["best_run_id"])
    assert best["model_key"] == first["result"].best.key and best["rerun_of"] is None


def test_first_gate_has_latency_but_no_champion_and_no_fairness(history):
    gate = history["first"]["gate"]
    assert [c["name"] for c in gate.checks] == ["threshold", "beats_baseline", "latency", "personal_data"]
    assert 0 < latency_of(gate) < 5000 and check(gate, "latency")["passed"]
    assert "within the 5000 ms the service allows." in check(gate, "latency")["sentence"]
    assert gate.passed


# ---------------------------------------------------------------- tune


def test_stage_tune_saves_the_study_and_one_row_per_trial(history):
    ws, tuned = history["ws"], history["tuned"]
    study = tuned["study"]
    saved = lab.get_study(ws, tuned["study_id"])
    assert saved["status"] == "done" and saved["metric"] == "roc_auc" and saved["job_id"] is None
    assert saved["config"] == TUNE.resolved("binary")
    assert saved["config"].space == default_search_space("binary", "logistic")
    assert TrainConfig.from_dict(json.loads(saved["train_config_json"])) == CONFIG
    assert len(saved["trials"]) == len(study.trials) == 4
    assert [t["number"] for t in saved["trials"]] == [0, 1, 2, 3]
    for row, trial in zip(saved["trials"], study.trials):
        assert row["params"] == trial.params
        assert row["cv_scores"] == trial.cv_scores
        assert row["cv_score"] == trial.cv_score
    assert saved["default_cv_score"] == pytest.approx(study.default_cv_score)
    assert saved["summary"] == tuned["summary"]
    assert saved["summary"].startswith("Random search ran 4 trials")
    assert saved["experiment_id"] == tuned["experiment"]["id"]
    assert lab.latest_study(ws, history["pid"])["id"] == tuned["study_id"]
    assert lab.study_for_experiment(ws, tuned["experiment"]["id"])["id"] == tuned["study_id"]
    assert lab.study_for_experiment(ws, history["first"]["experiment"]["id"]) is None
    with pytest.raises(NotFoundError, match="Tuning study 999 does not exist"):
        lab.get_study(ws, 999)


def test_tuning_experiment_records_baseline_defaults_and_tuned_with_the_best_cv_run(history):
    ws, tuned = history["ws"], history["tuned"]
    experiment = tracking.get_experiment(ws, tuned["experiment"]["id"])
    assert experiment["kind"] == "tuning"
    assert experiment["note"] == "Random search of Logistic regression, 4 trials"
    runs = ws.query("SELECT * FROM runs WHERE experiment_id = ?", (experiment["id"],))
    assert sorted(r["model_name"] for r in runs) == [
        "Baseline",
        "Logistic regression (defaults)",
        "Logistic regression (tuned)",
    ]
    real = [r for r in runs if r["model_key"] != "baseline"]
    assert experiment["best_run_id"] == max(real, key=lambda r: r["cv_score"])["id"]
    best_trial = tuned["study"].best
    tuned_run = history["tuned_run"]
    assert json.loads(tuned_run["params_json"])["C"] == pytest.approx(best_trial.params["C"])
    assert json.loads(tuned_run["cv_scores_json"]) == best_trial.cv_scores
    summary = lab.summarize_study(tuned)
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary
    assert summary["trials"] == 4 and summary["stopped"] is None
    assert summary["best_params"] == best_trial.params and summary["experiment_id"] == experiment["id"]


def test_stage_tune_refuses_the_baseline_before_saving_a_study(history):
    ws = history["ws"]
    before = ws.query_one("SELECT COUNT(*) AS n FROM studies")["n"]
    with pytest.raises(ConfigError, match="nothing to tune"):
        lab.stage_tune(ws, history["pid"], history["fs_id"], TuneConfig(model="baseline"), CONFIG)
    assert ws.query_one("SELECT COUNT(*) AS n FROM studies")["n"] == before


# ---------------------------------------------------------------- re-run


def _check_rerun(ws, outcome, original_run_id):
    original = tracking.get_run(ws, original_run_id)
    assert outcome["reproduced"] is True
    assert outcome["run_id"] == original_run_id
    assert outcome["rerun_cv_scores"] == json.loads(original["cv_scores_json"]) == outcome["original_cv_scores"]
    assert len(outcome["rerun_cv_scores"]) == 3
    experiment = tracking.get_experiment(ws, outcome["experiment"]["id"])
    assert experiment["kind"] == "rerun"
    again = tracking.get_run(ws, experiment["best_run_id"])
    assert again["rerun_of"] == original_run_id
    assert again["model_name"] == original["model_name"]
    # The same holdout rows and the same model: the same holdout metrics.
    assert json.loads(again["test_metrics_json"]) == pytest.approx(json.loads(original["test_metrics_json"]))
    text = lab.describe_rerun(outcome)
    assert text == (
        f"Re-running run {original_run_id} from its record gave the same score on every one of the "
        "3 folds: the run is reproducible."
    )


def test_rerun_of_a_leaderboard_run_reproduces_its_fold_scores(history):
    _check_rerun(history["ws"], history["rerun_board"], history["first"]["experiment"]["best_run_id"])


def test_rerun_of_the_tuned_run_reproduces_its_fold_scores(history):
    ws, outcome = history["ws"], history["rerun_tuned"]
    _check_rerun(ws, outcome, history["tuned_run"]["id"])
    again = tracking.get_run(ws, outcome["experiment"]["best_run_id"])
    assert again["model_name"] == "Logistic regression (tuned)"
    assert json.loads(again["params_json"])["C"] == json.loads(history["tuned_run"]["params_json"])["C"]


def test_describe_rerun_when_the_scores_differ():
    outcome = {
        "run_id": 7,
        "original_cv_scores": [0.80, 0.82, 0.81],
        "rerun_cv_scores": [0.80, 0.83, 0.81],
        "reproduced": False,
    }
    text = lab.describe_rerun(outcome)
    assert text.startswith("Re-running run 7 gave different fold scores (largest difference 0.01)")
    assert "library versions have changed" in text


def test_rerun_of_a_failed_or_unknown_run_is_refused(history):
    ws = history["ws"]
    with pytest.raises(NotFoundError, match="Run 9999 does not exist"):
        lab.stage_rerun(ws, history["pid"], 9999)
    with ws.transaction() as conn:
        failed = conn.execute(
            "INSERT INTO runs (experiment_id, project_id, model_key, model_name, error, created_at) "
            "VALUES (?, ?, 'svm', 'Support vector machine', 'it broke', 0)",
            (history["first"]["experiment"]["id"], history["pid"]),
        ).lastrowid
    with pytest.raises(ConfigError, match=f"Run {failed} \\(Support vector machine\\) failed to train"):
        lab.stage_rerun(ws, history["pid"], failed)


# ---------------------------------------------------------------- the gate's extra checks


def test_gate_compares_with_the_champion_on_the_same_holdout_rows(history):
    ws, pid = history["ws"], history["pid"]
    champion, first, strict = history["champion"], history["first"], history["strict"]
    assert champion["version"] == 1 and champion["run_id"] == first["experiment"]["best_run_id"]
    holdout_first = tracking.load_holdout(ws, first["experiment"])
    holdout_now = tracking.load_holdout(ws, strict["experiment"])
    pd.testing.assert_frame_equal(holdout_now, holdout_first)

    result = strict["result"]
    scored = lab.score_champion(ws, pid, result.problem, holdout_now, result.y_test, result.holdout)
    model = tracking.load_run_model(ws, champion["run_id"])
    proba = model.predict_proba(holdout_now.drop(columns=["y"]))[:, 1]
    expected = roc_auc_score((holdout_now["y"] == "yes").astype(int), proba)
    assert scored == {"name": f"{champion['model_name']} v1", "value": pytest.approx(expected, abs=1e-12)}
    assert scored["value"] == pytest.approx(first["result"].best.test_metrics["roc_auc"], abs=1e-12)

    for outcome in (strict, history["lenient"]):
        found = check(outcome["gate"], "beats_champion")
        assert found is not None and found["passed"]  # the same family on the same rows: at least as good
        assert f"current champion ({champion['model_name']} v1) scores {expected:.2f}" in found["sentence"]
    assert check(first["gate"], "beats_champion") is None


def test_a_champion_that_cannot_be_scored_is_reported_not_compared(history):
    ws, pid, result = history["ws"], history["pid"], history["strict"]["result"]
    holdout = tracking.load_holdout(ws, history["strict"]["experiment"]).drop(columns=["x1"])
    scored = lab.score_champion(ws, pid, result.problem, holdout, result.y_test, "provided-test-set")
    assert set(scored) == {"name", "error"} and "x1" in scored["error"]
    gate = check_gate(result.problem, result.best, result.baseline, champion=scored)
    found = check(gate, "beats_champion")
    assert found["passed"] and "not compared" in found["sentence"]


def test_no_champion_means_no_champion_score(tmp_path):
    ws = Workspace(tmp_path / "ws")
    pid = create_project(ws, "empty")["id"]
    assert lab.score_champion(ws, pid, PROBLEM, pd.DataFrame({"y": ["yes"]}), np.array([1]), "random-split") is None


def test_a_champion_is_not_scored_on_rows_it_trained_on(history):
    """Another seed draws another holdout, most of whose rows the champion trained on: not compared."""
    ws, pid, result = history["ws"], history["pid"], history["strict"]["result"]
    holdout = tracking.load_holdout(ws, history["strict"]["experiment"])
    shuffled = holdout.sample(frac=1.0, random_state=3)
    scored = lab.score_champion(ws, pid, result.problem, shuffled, result.y_test, "stratified-split")
    assert set(scored) == {"name", "error"} and "trained on some of these rows" in scored["error"]


def test_latency_check_fails_when_the_limit_is_tiny(history):
    ws, pid = history["ws"], history["pid"]
    strict = history["strict"]
    assert get_problem(ws, pid).max_fairness_gap == 1.0  # the lenient problem is the saved one now
    assert strict["result"].problem.max_latency_ms == 1e-6
    found = check(strict["gate"], "latency")
    assert found is not None and not found["passed"]
    assert latency_of(strict["gate"]) > 0
    assert "over the 1e-06 ms the service allows: NO-GO" in found["sentence"]
    assert not strict["gate"].passed and strict["gate"].decision == "NO-GO"
    assert json.loads(tracking.get_experiment(ws, strict["experiment"]["id"])["gate_json"])["passed"] is False
    lenient = check(history["lenient"]["gate"], "latency")
    assert lenient["passed"] and 0 < latency_of(history["lenient"]["gate"]) <= 5000


def test_fairness_check_appears_with_a_sensitive_column_and_follows_the_limit(history):
    ws = history["ws"]
    strict, lenient = history["strict"], history["lenient"]
    assert check(history["first"]["gate"], "fairness") is None
    tight, loose = check(strict["gate"], "fairness"), check(lenient["gate"], "fairness")
    assert tight is not None and not tight["passed"] and tight["sentence"].endswith("NO-GO.")
    assert loose is not None and loose["passed"] and "within the 1.00 allowed" in loose["sentence"]
    assert "of region" in loose["sentence"] and "'north'" in loose["sentence"] and "'south'" in loose["sentence"]

    # The gap is the difference in recall between the regions on the holdout rows, computed here by hand.
    result = lenient["result"]
    holdout = tracking.load_holdout(ws, lenient["experiment"])
    summary = lab.get_fairness_summary(result.problem, result, result.best, holdout)
    y, pred = result.y_test, np.asarray(result.best.test_pred).astype(int)
    recall = {g: pred[(holdout["region"] == g).to_numpy() & (y == 1)].mean() for g in ("north", "south")}
    assert summary["column"] == "region" and summary["measure"] == "recall" and summary["relative"] is False
    assert summary["gap"] == pytest.approx(abs(recall["north"] - recall["south"]))
    assert summary["high_group"] == max(recall, key=recall.get)
    assert f"differs by {summary['gap']:.2f}" in loose["sentence"]


def test_fairness_is_judged_on_the_answers_at_the_cheapest_threshold_when_mistakes_have_costs(history):
    from core.evaluation.reports import CostMatrix, get_best_threshold, get_threshold_df

    lenient = history["lenient"]
    result = lenient["result"]
    assert "flagging rows that score 0.50 or more" in check(lenient["gate"], "fairness")["sentence"]  # no costs
    costly = replace(result.problem, cost_false_negative=500.0, cost_false_positive=50.0)
    holdout = tracking.load_holdout(history["ws"], lenient["experiment"])
    summary = lab.get_fairness_summary(costly, result, result.best, holdout)
    y, scores = result.y_test, np.asarray(result.best.test_scores)
    cheapest = get_best_threshold(get_threshold_df(y, scores, CostMatrix(500.0, 50.0)), "cost", step=0.01)
    assert summary["decision_threshold"] == cheapest < 0.5
    pred = scores >= cheapest
    recall = {g: pred[(holdout["region"] == g).to_numpy() & (y == 1)].mean() for g in ("north", "south")}
    assert summary["gap"] == pytest.approx(abs(recall["north"] - recall["south"]))


def test_gate_with_every_check_passing_is_go(history):
    gate = history["lenient"]["gate"]
    assert [c["name"] for c in gate.checks] == [
        "threshold",
        "beats_baseline",
        "beats_champion",
        "latency",
        "fairness",
        "personal_data",
    ]
    assert gate.passed and gate.decision == "GO"


# ---------------------------------------------------------------- jobs: stop a running job


def test_request_stop_makes_should_stop_true(ws):
    pid = create_project(ws, "stop")["id"]
    started, checked = threading.Event(), threading.Event()
    seen = []

    def work(progress):
        seen.append(progress.should_stop())
        started.set()
        assert checked.wait(10)
        seen.append(progress.should_stop())
        return {"stopped": seen[-1]}

    job_id = jobs.start_job(ws, pid, "tune", work)
    assert started.wait(10)
    jobs.request_stop(ws, job_id)
    assert jobs.JobProgress(ws, job_id).should_stop() is True
    assert jobs.get_job(ws, job_id)["message"] == "Stopping after the current step…"
    checked.set()
    done = jobs.wait_for_job(ws, job_id, timeout=10)
    assert seen == [False, True]
    assert done["status"] == "succeeded" and done["result"] == {"stopped": True}
    # A finished job cannot be asked to stop; an unknown one simply is not stopping.
    other = jobs.start_job(ws, pid, "train", lambda p: None)
    jobs.wait_for_job(ws, other, timeout=10)
    jobs.request_stop(ws, other)
    assert jobs.JobProgress(ws, other).should_stop() is False
    assert jobs.JobProgress(ws, 12345).should_stop() is False


def test_job_message_comes_from_the_result(ws):
    pid = create_project(ws, "messages")["id"]
    told = jobs.wait_for_job(ws, jobs.start_job(ws, pid, "a", lambda p: {"message": "Tuned 3 trials."}), 10)
    assert told["status"] == "succeeded" and told["message"] == "Tuned 3 trials."
    plain = jobs.wait_for_job(ws, jobs.start_job(ws, pid, "b", lambda p: {"rows": 3}), 10)
    assert plain["message"] == "Done."
    other = jobs.wait_for_job(ws, jobs.start_job(ws, pid, "c", lambda p: 42), 10)
    assert other["message"] == "Done." and other["result"] == 42


def test_tuning_job_stops_early_and_keeps_the_best(ws):
    project = make_project(ws, "tune job")
    pid = project["pid"]
    holder: dict = {}
    id_known, two_done, stop_sent = threading.Event(), threading.Event(), threading.Event()

    def saved_trials() -> int:
        return ws.query_one("SELECT COUNT(*) AS n FROM trials")["n"]

    def work(progress):
        assert id_known.wait(10)

        def should_stop() -> bool:
            # After two trials, hand over to the test, which presses Stop, then read the real flag.
            if saved_trials() >= 2 and not two_done.is_set():
                two_done.set()
                assert stop_sent.wait(30)
            return progress.should_stop()

        outcome = lab.stage_tune(
            ws,
            pid,
            project["fs_id"],
            replace(TUNE, max_trials=10),
            CONFIG,
            progress=progress,
            should_stop=should_stop,
            job_id=holder["id"],
        )
        return {**lab.summarize_study(outcome), "message": outcome["summary"]}

    holder["id"] = job_id = jobs.start_job(ws, pid, "tune", work)
    id_known.set()
    assert two_done.wait(60)
    assert jobs.JobProgress(ws, job_id).should_stop() is False
    jobs.request_stop(ws, job_id)
    stop_sent.set()
    job = jobs.wait_for_job(ws, job_id, timeout=60)

    assert job["status"] == "succeeded", job["error"]
    result = job["result"]
    assert result["trials"] == 2 and result["stopped"] == "stopped"
    assert job["message"] == result["summary"] and "you stopped it" in job["message"]
    study = lab.latest_study(ws, pid)
    assert study["status"] == "stopped" and study["job_id"] == job_id
    assert len(study["trials"]) == 2
    best = max(study["trials"], key=lambda t: (t["cv_score"], -t["number"]))
    assert result["best_cv_score"] == pytest.approx(best["cv_score"], abs=1e-6)
    assert result["best_params"]["C"] == pytest.approx(best["params"]["C"])
    tuned = run_named(ws, result["experiment_id"], "(tuned)")
    assert json.loads(tuned["cv_scores_json"]) == best["cv_scores"]


def test_runs_compared_side_by_side_flag_the_settings_that_differ(history):
    ws, tuned = history["ws"], history["tuned"]
    defaults = run_named(ws, tuned["experiment"]["id"], "(defaults)")
    table = tracking.get_params_comparison_df(ws, [defaults["id"], history["tuned_run"]["id"]])
    assert list(table.columns) == [f"run {defaults['id']}", f"run {history['tuned_run']['id']}", "differs"]
    assert table.loc["model", "differs"] and not table.loc["seed", "differs"]
    assert not table.loc["scikit-learn", "differs"] and table.loc["scikit-learn"].iloc[0] == sklearn.__version__
    tuned_c = json.loads(history["tuned_run"]["params_json"])["C"]
    assert table.loc["C"].iloc[1] == f"{tuned_c:.4g}"  # long decimals shortened for reading
    assert table.loc["C", "differs"]


def test_settings_that_round_alike_still_count_as_different():
    table = tracking.get_settings_table(
        {
            "run 1": {"C": 0.97592788, "kernel": "rbf", "depth": None, "trees": 200.0},
            "run 2": {"C": 0.97593001, "kernel": "rbf", "depth": float("nan"), "trees": 200.0},
        }
    )
    assert table.loc["C", "run 1"] == table.loc["C", "run 2"] == "0.9759" and table.loc["C", "differs"]
    assert table.loc["depth"].tolist()[:2] == ["—", "—"]
    assert table.loc["trees", "run 1"] == "200.0" and not table.loc["trees", "differs"]
    assert not table.loc["kernel", "differs"]
