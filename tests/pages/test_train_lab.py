"""The training lab in AppTest: tuning as a job with its charts, the runs table and side-by-side
comparison, a reproducible re-run, evaluation with the business cost, the gate and registering.

Each test works on its own copy of the demo workspace: tuning and registering change it."""

import json
import shutil

import pytest

from core import pipeline, registry
from core.deployment import serving
from core.problem.store import get_problem
from core.stages import evaluate, lab
from core.training import tracking
from core.workspace import jobs
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory
from tests.pages.test_pages import no_errors, open_page, plotly_specs

pytestmark = pytest.mark.slow  # copies of the workspace where the full demo ran


@pytest.fixture
def lab_app(demo_workspace, tmp_path, monkeypatch):
    """(AppTest factory, Workspace) on a private copy of the demo workspace."""
    path = tmp_path / "ws"
    shutil.copytree(demo_workspace[0], path)
    make = project_app_factory(path, monkeypatch)
    return make, Workspace(path)


def section(at, name: str):
    at.radio(key="train_section").set_value(name).run()
    no_errors(at)
    return at


def shown_experiment(ws) -> dict:
    """The experiment the pages open on (the champion's, after the demo)."""
    return tracking.get_experiment(ws, lab.get_default_experiment_id(ws, 1))


def titles(at) -> list[str]:
    return [s["layout"]["title"]["text"] for s in plotly_specs(at) if s["layout"].get("title")]


def test_a_tuning_study_runs_as_a_job_and_is_shown_with_its_charts(lab_app):
    make, ws = lab_app
    at = section(open_page(make(), "pages/4_Train.py"), "tune")
    assert at.selectbox(key="tune_family").value == "logistic"  # the best family of the latest experiment
    at.radio(key="tune_method").set_value("random")
    at.number_input(key="tune_trials").set_value(4)
    at.button(key="tune_start").click().run()
    job = jobs.latest_job(ws, 1, "tune")
    assert job is not None
    done = jobs.wait_for_job(ws, job["id"], timeout=180)
    assert done["status"] == "succeeded", done.get("error")
    at.run()
    no_errors(at)
    study = lab.latest_study(ws, 1)
    assert len(study["trials"]) == 4 and study["status"] == "done"
    assert any("ran 4 trials" in i.value for i in at.info)
    shown = titles(at)
    assert "Tuning: CV ROC-AUC trial by trial" in shown
    assert "Settings of every trial, coloured by score" in shown
    board = next(d.value for d in at.dataframe if "model" in d.value.columns)
    assert {"Logistic regression (defaults)", "Logistic regression (tuned)", "Baseline"} == set(board["model"])
    assert all(c.value for c in at.caption)


def test_a_search_space_that_cannot_work_is_refused_in_words(lab_app):
    make, ws = lab_app
    at = section(open_page(make(), "pages/4_Train.py"), "tune")
    editor_key = "tune_space_logistic"
    at.session_state[editor_key] = {"edited_rows": {0: {"lowest": 0.0}}, "added_rows": [], "deleted_rows": []}
    at.button(key="tune_start").click().run()
    assert not at.exception
    assert any("log scale" in e.value for e in at.error)
    assert jobs.latest_job(ws, 1, "tune") is None


def test_runs_can_be_filtered_compared_and_reproduced(lab_app):
    make, ws = lab_app
    at = section(open_page(make(), "pages/4_Train.py"), "runs")
    table = at.dataframe[0].value
    assert len(table) == len(tracking.get_runs_df(ws, 1))
    assert {"CV ROC-AUC", "holdout ROC-AUC", "holdout PR-AUC", "fit seconds"} <= set(table.columns)
    at.multiselect(key="runs_models").select("Random forest").run()
    assert set(at.dataframe[0].value["model"]) == {"Random forest"}
    at.multiselect(key="runs_models").unselect("Random forest").run()
    runs = tracking.get_runs_df(ws, 1, experiment_id=1)
    pair = runs[runs["key"].isin(["logistic", "random_forest"])]["run"].tolist()
    at.multiselect(key="runs_compare").set_value(pair).run()
    no_errors(at)
    params = next(d.value for d in at.dataframe if "run " + str(pair[0]) in d.value.columns)
    assert params.loc["model"].tolist() != [params.loc["model"].iloc[0]] * 2
    assert {"Scores of the chosen runs", "Score on each cross-validation fold"} <= set(titles(at))
    assert any("settings differ between these runs" in c.value for c in at.caption)

    at.selectbox(key="rerun_run").set_value(pair[1])
    at.button(key="rerun").click().run()
    job = jobs.latest_job(ws, 1, "rerun")
    assert jobs.wait_for_job(ws, job["id"], timeout=180)["status"] == "succeeded"
    at.run()
    assert any("reproducible" in s.value for s in at.success), [s.value for s in at.success]


def test_evaluation_starts_at_the_cheapest_threshold_from_the_problem_costs(lab_app):
    make, ws = lab_app
    problem = get_problem(ws, 1)
    assert (problem.cost_false_negative, problem.cost_false_positive) == (500.0, 50.0)  # set by the demo
    at = section(open_page(make(), "pages/4_Train.py"), "evaluate")
    slider = next(s for s in at.slider if s.key.startswith("threshold_"))
    assert 0 < slider.value < 0.5  # a missed churner costs 10× a wasted offer: flag more customers
    assert "Business cost of the mistakes per threshold (test set)" in titles(at)
    costs = {m.label: m.value for m in at.metric}
    assert costs["Cost at this threshold"] == costs["Cost at the cheapest"]
    slider.set_value(0.9).run()
    costs_later = {m.label: m.value for m in at.metric}
    assert costs_later["Cost at this threshold"] != costs_later["Cost at the cheapest"]
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("train_experiment"))).set_value(1).run()
    assert any("Is the best model really better?" in h.value for h in at.subheader)
    assert any("folds" in i.value and "95% interval" in i.value for i in at.info), [i.value for i in at.info]


def test_the_comparison_and_the_robustness_check_are_saved_and_a_refresh_shows_them_without_recomputing(
    lab_app, monkeypatch
):
    make, ws = lab_app
    at = section(open_page(make(), "pages/4_Train.py"), "evaluate")
    comparison = next(i.value for i in at.info if "95% interval" in i.value)
    at.button(key=next(b.key for b in at.button if b.key.startswith("robustness_button_"))).click().run()
    no_errors(at)
    robustness = [t for t in titles(at) if t.startswith("Change in")]
    assert len(robustness) == 1

    def refuse(*args, **kwargs):
        raise AssertionError("recomputed instead of showing the saved result")

    monkeypatch.setattr(evaluate, "compare_models", refuse)
    monkeypatch.setattr(evaluate, "get_robustness_df", refuse)
    # A refresh is a new session (empty session_state): both results come back from the workspace.
    again = section(open_page(make(), "pages/4_Train.py"), "evaluate")
    assert comparison in [i.value for i in again.info]
    assert [t for t in titles(again) if t.startswith("Change in")] == robustness
    assert not any(b.key.startswith("robustness_button_") for b in again.button)


def test_fairness_is_checked_on_the_sensitive_column_set_on_the_problem_page(lab_app):
    make, ws = lab_app
    at = open_page(make(), "pages/2_Problem.py")
    at.selectbox(key="sensitive_churn").set_value("gender").run()
    at.button(key="save_problem").click().run()
    no_errors(at)
    assert get_problem(ws, 1).sensitive_column == "gender"
    at = section(open_page(make(), "pages/4_Train.py"), "evaluate")
    assert at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("sensitive_"))).value == "gender"
    assert any("'Female'" in c.value and "'Male'" in c.value for c in at.caption)


def test_the_gate_lists_every_check_and_registers_the_winner(lab_app):
    make, ws = lab_app
    at = open_page(make(), "pages/4_Train.py")
    at.radio(key="train_section").set_value("gate").run()
    assert not at.exception
    sentences = " ".join(s.value for s in at.success) + " ".join(e.value for e in at.error)
    assert "Good enough for the business" in sentences and "Better than guessing" in sentences
    assert "Fast enough" in sentences
    # The page opens on the champion's experiment (not the demo's later retraining), whose winner is
    # registered already: the form says so instead of offering a button.
    assert any("already registered as churn-demo v1" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "train_register_register"]
    # A new leaderboard's winner can be registered.
    at.radio(key="train_section").set_value("leaderboard").run()
    at.multiselect(key="models").set_value(["logistic"])
    at.button(key="train").click().run()
    assert jobs.wait_for_job(ws, jobs.latest_job(ws, 1, "train")["id"], timeout=180)["status"] == "succeeded"
    at.radio(key="train_section").set_value("gate").run()
    before = len(registry.get_versions_df(ws, 1))
    at.radio(key="train_register_alias").set_value("none")
    if at.button(key="train_register_register").disabled:  # NO-GO on a loaded machine (latency): say why
        at.text_area(key="train_register_reason").input("Latency is measured on a busy test machine.").run()
    at.button(key="train_register_register").click().run()
    assert not at.exception
    assert any("Registered" in s.value for s in at.success)
    assert len(registry.get_versions_df(ws, 1)) == before + 1


def test_registering_a_run_the_gate_did_not_pass_needs_a_reason(lab_app):
    make, ws = lab_app
    at = section(open_page(make(), "pages/4_Train.py"), "gate")
    experiment = shown_experiment(ws)
    other = next(r for r in tracking.get_runs_df(ws, 1, experiment["id"])["run"] if r != experiment["best_run_id"])
    at.selectbox(key="train_register_run").set_value(other).run()
    assert at.button(key="train_register_register").disabled
    at.text_area(key="train_register_reason").input("The baseline is registered to demo a rollback.").run()
    at.radio(key="train_register_alias").set_value("none")
    at.button(key="train_register_register").click().run()
    assert any("Registered" in s.value for s in at.success)
    audit = ws.query("SELECT * FROM audit_log WHERE project_id = 1 ORDER BY id DESC LIMIT 5")
    assert any("demo a rollback" in (row["detail_json"] or "") for row in audit)


def test_the_validation_and_class_weights_chosen_on_the_page_are_used_and_recorded(lab_app):
    make, ws = lab_app
    at = section(open_page(make(), "pages/4_Train.py"), "leaderboard")
    # The demo's problem has a time column, so a time split is offered (options are shown as words).
    assert any(o.startswith("Time split") for o in at.selectbox(key="validation").options)
    at.multiselect(key="models").set_value(["logistic", "decision_tree"])
    at.selectbox(key="validation").set_value("kfold")
    at.toggle(key="class_weight").set_value(True)
    at.button(key="train").click().run()
    job = jobs.latest_job(ws, 1, "train")
    assert jobs.wait_for_job(ws, job["id"], timeout=180)["status"] == "succeeded"
    experiment = tracking.latest_experiment(ws, 1)
    assert experiment["validation"] == "kfold" and experiment["kind"] == "leaderboard"
    config = json.loads(experiment["config_json"])
    assert config["class_weight"] == "balanced" and config["models"] == ["baseline", "logistic", "decision_tree"]
    at.run()
    assert not at.exception
    assert any("k-fold (random folds)" in c.value for c in at.caption)
    assert any("signup_date is the time column but the folds are random" in w.value for w in at.warning)


def test_the_threshold_left_on_evaluate_is_the_one_registered_and_the_endpoint_answers_with_it(lab_app):
    make, ws = lab_app
    experiment = shown_experiment(ws)
    other = next(r for r in tracking.get_runs_df(ws, 1, experiment["id"])["run"] if r != experiment["best_run_id"])
    at = section(open_page(make(), "pages/4_Train.py"), "gate")
    at.selectbox(key="train_register_run").set_value(other).run()
    start = at.number_input(key=f"train_register_threshold_{other}").value
    assert start == round(pipeline.suggest_decision_threshold(ws, experiment, int(other)), 2) < 0.5  # the cheapest
    assert any("cheapest threshold for the costs" in c.value for c in at.caption)

    at.radio(key="train_section").set_value("evaluate").run()
    at.selectbox(key=f"eval_run_{experiment['id']}").set_value(other).run()
    at.slider(key=f"threshold_{experiment['id']}_{other}").set_value(0.7).run()
    at.radio(key="train_section").set_value("gate").run()
    at.selectbox(key="train_register_run").set_value(other).run()
    assert at.number_input(key=f"train_register_threshold_{other}").value == 0.7
    assert any("the threshold you left on Evaluate" in c.value for c in at.caption)
    at.text_area(key="train_register_reason").input("Registered to show the operating point.").run()
    at.radio(key="train_register_alias").set_value("none")
    at.button(key="train_register_register").click().run()
    no_errors(at)
    version = registry.get_version_of_run(ws, 1, int(other))
    assert serving.load_served(ws, version["id"]).threshold == 0.7
    # Back on Evaluate, the slider is where it was left, not back at the cheapest.
    at.radio(key="train_section").set_value("evaluate").run()
    at.selectbox(key=f"eval_run_{experiment['id']}").set_value(other).run()
    assert at.slider(key=f"threshold_{experiment['id']}_{other}").value == 0.7
