"""Tests of core.training.tuning: grid / random / Bayesian (Optuna TPE) search within a budget of trials or seconds,
stoppable between trials; the search spaces and their checks; the trials table, charts and sentences.

Every study runs on a few hundred synthetic rows with 3 folds and a handful of trials; the studies several
tests read are module fixtures, run once.
"""

import json
import math
import re
import types

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import core.training.tuning as tuning
from core.features.preprocessing import FeatureConfig
from core.problem.definition import ProblemConfig
from core.training.catalog import BASELINE_KEY
from core.training.charts import (
    caption_best_so_far,
    caption_parallel_coordinates,
    plot_best_so_far,
    plot_parallel_coordinates,
)
from core.training.config import TrainConfig
from core.training.tuning import (
    METHODS,
    Dimension,
    StudyResult,
    Trial,
    TuneConfig,
    default_search_space,
    describe_study,
    get_trials_df,
    run_study,
    tunable_models,
    validate_tune_config,
)
from core.workspace.errors import ConfigError
from tests.unit.training.test_training import make_classification_frame as _classification_frame
from tests.unit.training.test_training import make_regression_frame


def make_classification_frame(n=300, seed=0):
    return _classification_frame(n, seed).drop(columns=["signup"])  # no date: no leak warning to mind


CLS = ProblemConfig(target="churn", task="binary", positive_class="Yes")
REG = ProblemConfig(target="price", task="regression", metric="rmse", threshold=50000)
TRAIN = TrainConfig(cv_folds=3)
LOGISTIC_C = (Dimension("C", "log", 0.01, 100, label="C"),)
TREE_SPACE = (Dimension("max_depth", "int", 2, 12), Dimension("min_samples_leaf", "int", 1, 40))


def study(
    method, *, model="decision_tree", space=TREE_SPACE, max_trials=5, train=TRAIN, frame=None, problem=CLS, **kwargs
) -> StudyResult:
    config = TuneConfig(
        model=model,
        method=method,
        space=space,
        max_trials=max_trials,
        **{k: v for k, v in kwargs.items() if k in ("max_seconds", "grid_points")},
    )
    other = {k: v for k, v in kwargs.items() if k not in ("max_seconds", "grid_points")}
    df = frame if frame is not None else make_classification_frame()
    return run_study(df, problem, FeatureConfig(), train, config, **other)


@pytest.fixture(scope="module")
def random_study():
    return study("random")


@pytest.fixture(scope="module")
def bayes_study():
    return study("bayes", max_trials=6)


@pytest.fixture(scope="module")
def grid_study():
    return study("grid", model="logistic", space=LOGISTIC_C, max_trials=10, grid_points=3)


def _check_best_and_result(s: StudyResult, higher_is_better: bool = True) -> None:
    scored = [t for t in s.trials if not math.isnan(t.cv_score)]
    target = max(t.cv_score for t in scored) if higher_is_better else min(t.cv_score for t in scored)
    assert s.best.cv_score == target
    assert s.best.number == min(t.number for t in scored if t.cv_score == target)  # ties → earliest
    names = [r.name for r in s.result.results]
    spec_name = s.tuned.name.removesuffix(" (tuned)")
    assert sorted(names) == sorted(["Baseline", f"{spec_name} (defaults)", f"{spec_name} (tuned)"])
    for key, value in s.best.params.items():
        assert s.tuned.params[key] == pytest.approx(value)
    # Same folds, same settings: the refit's CV scores are exactly the best trial's.
    assert s.tuned.cv_scores == s.best.cv_scores
    defaults = next(r for r in s.result.results if r.name.endswith("(defaults)"))
    assert s.default_cv_score == pytest.approx(defaults.cv_score)
    assert s.tuned.ok and not math.isnan(s.tuned.test_metrics[s.result.problem.metric])


# ---------------------------------------------------------------- each method runs within its budget


def test_random_search_runs_the_trials_asked_for(random_study):
    s = random_study
    assert len(s.trials) == 5 and s.stopped == "" and s.grid_size is None
    assert [t.number for t in s.trials] == [0, 1, 2, 3, 4]
    for t in s.trials:
        assert set(t.params) == {"max_depth", "min_samples_leaf"}
        assert 2 <= t.params["max_depth"] <= 12 and isinstance(t.params["max_depth"], int)
        assert 1 <= t.params["min_samples_leaf"] <= 40
        assert len(t.cv_scores) == 3 and t.error is None and 0.5 < t.cv_score <= 1
        assert t.cv_score == pytest.approx(np.mean(t.cv_scores))
    assert len({tuple(sorted(t.params.items())) for t in s.trials}) > 1  # it does search
    _check_best_and_result(s)
    assert s.seconds > 0


def test_bayes_search_runs_the_trials_asked_for(bayes_study):
    s = bayes_study
    assert len(s.trials) == 6 and s.stopped == ""
    assert all(t.error is None for t in s.trials)
    _check_best_and_result(s)


def test_grid_search_stops_at_the_grid_size(grid_study):
    s = grid_study
    assert s.grid_size == 3 and len(s.trials) == 3 and s.stopped == "grid"
    assert sorted(t.params["C"] for t in s.trials) == [0.01, 1.0, 100.0]
    _check_best_and_result(s)


def test_grid_budget_smaller_than_the_grid_samples_distinct_points():
    space = (Dimension("max_depth", "int", 2, 10), Dimension("min_samples_leaf", "choice", choices=(1, 10, 30)))
    s = study("grid", space=space, max_trials=4, grid_points=3)
    assert s.grid_size == 9  # 3 depths x 3 leaf sizes
    assert len(s.trials) == 4 and s.stopped == ""  # the trial budget, not the grid, ended it
    combos = [(t.params["max_depth"], t.params["min_samples_leaf"]) for t in s.trials]
    assert len(set(combos)) == 4
    assert all(d in (2, 6, 10) and leaf in (1, 10, 30) for d, leaf in combos)


def test_grid_values_per_scale():
    assert Dimension("n", "int", 3, 50).grid(3) == [3, 26, 50]
    assert Dimension("n", "int", 1, 3).grid(5) == [1, 2, 3]  # fewer whole numbers than points: no repeats
    assert Dimension("f", "float", 0.2, 1.0).grid(5) == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert Dimension("c", "log", 0.01, 100).grid(5) == pytest.approx([0.01, 0.1, 1.0, 10.0, 100.0])
    assert Dimension("c", "log", 0.001, 100).grid(3) == pytest.approx([0.001, 0.3162, 100.0])
    assert Dimension("w", "choice", choices=("uniform", "distance")).grid(7) == ["uniform", "distance"]
    assert all(isinstance(v, int) for v in Dimension("n", "int", 3, 50).grid(4))


def test_regression_study_minimises_rmse():
    s = study(
        "random",
        model="ridge",
        space=(Dimension("alpha", "log", 0.01, 1000),),
        max_trials=4,
        frame=make_regression_frame(),
        problem=REG,
    )
    assert len(s.trials) == 4
    assert all(t.cv_score > 0 for t in s.trials)
    _check_best_and_result(s, higher_is_better=False)
    df = get_trials_df(s.trials, "rmse")
    assert df["best_so_far"].tolist() == df["cv_score"].cummin().tolist()


def test_a_failing_corner_of_the_space_does_not_end_the_study():
    # max_depth=0 is refused by scikit-learn at fit time: that trial fails, the other one counts.
    space = (Dimension("max_depth", "choice", choices=(0, 4)),)
    s = study("grid", space=space, max_trials=5)
    assert len(s.trials) == 2 and s.stopped == "grid"
    failed = next(t for t in s.trials if t.params["max_depth"] == 0)
    assert failed.error and "max_depth" in failed.error and math.isnan(failed.cv_score)
    assert failed.to_dict()["cv_score"] is None
    assert s.best.params == {"max_depth": 4}
    assert s.tuned.params["max_depth"] == 4


def test_best_trial_ties_go_to_the_earliest():
    def trial(number, score):
        return Trial(number=number, params={"x": number}, cv_scores=[score], cv_score=score, seconds=0.1)

    trials = [trial(0, 0.7), trial(1, 0.9), trial(2, float("nan")), trial(3, 0.9), trial(4, 0.3)]
    assert tuning._best_trial(trials, True).number == 1
    assert tuning._best_trial(trials, False).number == 4
    lows = [trial(0, 5.0), trial(1, 2.0), trial(2, 2.0)]
    assert tuning._best_trial(lows, False).number == 1
    assert tuning._best_trial([trial(0, float("nan"))], True) is None


# ---------------------------------------------------------------- reproducible, seeded


def _trace(s: StudyResult) -> list:
    return [(t.params, t.cv_scores, t.cv_score) for t in s.trials]


def test_random_search_is_reproducible_and_seeded(random_study):
    again = study("random")
    assert _trace(again) == _trace(random_study)
    assert again.best.number == random_study.best.number
    other = study("random", train=TrainConfig(cv_folds=3, seed=7))
    assert [t.params for t in other.trials] != [t.params for t in random_study.trials]


def test_bayes_search_is_reproducible(bayes_study):
    again = study("bayes", max_trials=6)
    assert _trace(again) == _trace(bayes_study)
    assert again.tuned.test_metrics == bayes_study.tuned.test_metrics


# ---------------------------------------------------------------- stopping: by hand, by time


def test_should_stop_after_two_trials_keeps_the_best_of_them():
    seen: list[Trial] = []
    s = study("random", max_trials=8, on_trial=seen.append, should_stop=lambda: len(seen) >= 2)
    assert s.stopped == "stopped"
    assert len(s.trials) == 2 and [t.number for t in seen] == [0, 1]
    assert s.best is max(s.trials, key=lambda t: (t.cv_score, -t.number))
    assert s.tuned.cv_scores == s.best.cv_scores
    assert "you stopped it" in describe_study(s, "roc_auc")


def test_time_budget_ends_the_study_between_trials(monkeypatch):
    # A fake clock that moves 10 s per finished trial: 15 s of budget = exactly 2 trials.
    clock = {"now": 0.0}
    monkeypatch.setattr(tuning, "time", types.SimpleNamespace(perf_counter=lambda: clock["now"]))

    def tick(trial):
        clock["now"] += 10.0

    s = study("random", max_trials=8, max_seconds=15, on_trial=tick)
    assert s.stopped == "time"
    assert len(s.trials) == 2 and s.best is not None
    assert any(r.name.endswith("(tuned)") for r in s.result.results)
    assert "it ran out of time" in describe_study(s, "roc_auc")


def test_tiny_time_budget_with_no_trial_still_returns_baseline_and_defaults():
    s = study("random", max_trials=5, max_seconds=1e-9)
    assert s.stopped == "time"
    assert s.trials == [] and s.best is None
    names = sorted(r.name for r in s.result.results)
    assert names == ["Baseline", "Decision tree (defaults)"]
    assert s.result.best.name == "Decision tree (defaults)"
    assert not math.isnan(s.default_cv_score)
    assert describe_study(s, "roc_auc").startswith("No trial")


def test_progress_reports_every_trial_and_ends_at_one():
    calls = []
    study("random", max_trials=3, progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert [m for _, m in calls if m.startswith("Trial")][-1].startswith("Trial 3/3 done; best so far")


# ---------------------------------------------------------------- the configuration and its checks


@pytest.mark.parametrize(
    "config, message",
    [
        (TuneConfig(model="logistic", method="annealing", space=LOGISTIC_C), "search method must be one of"),
        (TuneConfig(model="logistic", max_trials=0, space=LOGISTIC_C), "between 1 and 500 trials; got 0"),
        (TuneConfig(model="logistic", max_trials=501, space=LOGISTIC_C), "between 1 and 500 trials"),
        (TuneConfig(model="logistic", space=()), "search space of Logistic regression is empty"),
        (TuneConfig(model="logistic", space=(Dimension("gamma", "float", 0.1, 1),)), "has no setting 'gamma'"),
        (TuneConfig(model="logistic", space=(Dimension("C", "log", 0, 10),)), "log scale, so it must stay above 0"),
        (TuneConfig(model="logistic", space=(Dimension("C", "log", -1, 10),)), "log scale"),
        (TuneConfig(model="logistic", space=(Dimension("C", "float", 5, 1),)), "put the lower value first"),
        (
            TuneConfig(model="logistic", space=(Dimension("C", "log", 0.1, 1), Dimension("C", "log", 1, 10))),
            "appears twice",
        ),
        (TuneConfig(model="logistic", space=(Dimension("C", "cubic", 0.1, 1),)), "scale 'cubic'"),
        (TuneConfig(model="logistic", space=(Dimension("C", "float", None, 1),)), "lowest and a highest value"),
        (TuneConfig(model="logistic", space=(Dimension("C", "float", float("nan"), 1),)), "lowest and a highest"),
        (TuneConfig(model="knn", space=(Dimension("n_neighbors", "int", 2.5, 9),)), "whole number"),
        (TuneConfig(model="knn", space=(Dimension("weights", "choice"),)), "lists no choices"),
        (TuneConfig(model="logistic", space=LOGISTIC_C, max_seconds=0), "time budget must be a positive"),
        (TuneConfig(model="logistic", method="grid", space=LOGISTIC_C, grid_points=1), "2 to 10 values per setting"),
        (TuneConfig(model=BASELINE_KEY, space=LOGISTIC_C), "baseline has nothing to tune"),
    ],
)
def test_validate_tune_config_refuses_with_a_message_naming_the_problem(config, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate_tune_config(config, "binary")


def test_the_setting_names_the_estimator_lacks_are_named():
    config = TuneConfig(model="svm", space=(Dimension("C", "log", 0.01, 10),))
    with pytest.raises(ConfigError, match=r"no setting 'C'.*estimator__C"):
        validate_tune_config(config, "binary")
    validate_tune_config(TuneConfig(model="svm", space=(Dimension("estimator__C", "log", 0.01, 10),)), "binary")


def test_run_study_refuses_a_bad_config_before_any_work():
    called = []
    with pytest.raises(ConfigError, match="has no setting 'gamma'"):
        study(
            "random",
            model="logistic",
            space=(Dimension("gamma", "float", 0.1, 1),),
            progress=lambda f, m: called.append(m),
        )
    assert called == []


def test_tune_config_round_trips_through_json():
    config = TuneConfig(
        model="knn",
        method="grid",
        max_trials=12,
        max_seconds=30.5,
        grid_points=4,
        space=(
            Dimension("n_neighbors", "int", 3, 50, label="neighbours"),
            Dimension("weights", "choice", choices=("uniform", "distance"), label="votes"),
            Dimension("p", "log", 1, 2),
        ),
    )
    data = json.loads(json.dumps(config.to_dict()))
    assert data["space"][1]["choices"] == ["uniform", "distance"]
    assert TuneConfig.from_dict(data) == config
    assert TuneConfig.from_dict({**data, "unknown": 1}) == config  # unknown keys are ignored
    assert TuneConfig.from_dict({"model": "ridge"}) == TuneConfig(model="ridge")


def test_empty_space_resolves_to_the_default_one():
    resolved = TuneConfig(model="logistic").resolved("binary")
    assert resolved.space == default_search_space("binary", "logistic")
    custom = TuneConfig(model="logistic", space=LOGISTIC_C)
    assert custom.resolved("binary") is custom


@pytest.mark.parametrize("task", ["binary", "regression", "multiclass"])
def test_every_tunable_family_has_a_valid_default_space(task):
    models = tunable_models(task)
    assert BASELINE_KEY not in models
    expected = {"knn", "svm", "decision_tree", "random_forest", "extra_trees", "hist_gb"}
    assert expected <= set(models)
    assert ("ridge" in models) == (task == "regression") and ("logistic" in models) == (task != "regression")
    for model in models:
        space = default_search_space(task, model)
        assert space, model
        validate_tune_config(TuneConfig(model=model, space=space), task)
        validate_tune_config(TuneConfig(model=model, method="grid", space=space), task)
    svm = default_search_space(task, "svm")[0].name
    assert svm == ("regressor__C" if task == "regression" else "estimator__C")


def test_baseline_has_no_default_space():
    with pytest.raises(ConfigError, match="nothing to tune"):
        default_search_space("binary", BASELINE_KEY)


# ---------------------------------------------------------------- table, charts, sentences


def _trials(scores, params=None):
    params = params or [{"C": 10.0**i} for i in range(len(scores))]
    return [
        Trial(number=i, params=p, cv_scores=[s], cv_score=s, seconds=0.5)
        for i, (s, p) in enumerate(zip(scores, params))
    ]


def test_trials_df_best_so_far_is_the_running_max_or_min():
    df = get_trials_df(_trials([0.70, 0.80, 0.75, 0.85, 0.60]), "roc_auc")
    assert df["trial"].tolist() == [1, 2, 3, 4, 5]
    assert df["best_so_far"].tolist() == [0.70, 0.80, 0.80, 0.85, 0.85]
    assert {"C", "cv_score", "seconds", "error"} <= set(df.columns)
    low = get_trials_df(_trials([30.0, 25.0, 27.0, 20.0]), "rmse")
    assert low["best_so_far"].tolist() == [30.0, 25.0, 25.0, 20.0]


def test_trials_df_reads_saved_trial_dicts_and_empty_lists():
    saved = [t.to_dict() for t in _trials([0.6, 0.9])]
    saved.append(
        {
            "number": 2,
            "params": {"C": 1.0},
            "cv_scores": [],
            "cv_score": None,
            "seconds": 0.1,
            "error": "ValueError: bad",
        }
    )
    df = get_trials_df(saved, "roc_auc")
    assert len(df) == 3 and df["error"].iloc[2] == "ValueError: bad"
    assert df["best_so_far"].iloc[1] == 0.9
    empty = get_trials_df([], "roc_auc")
    assert empty.empty and {"trial", "cv_score", "best_so_far"} <= set(empty.columns)


def test_trials_df_of_a_real_study(random_study):
    df = get_trials_df(random_study.trials, "roc_auc")
    assert len(df) == 5 and {"max_depth", "min_samples_leaf"} <= set(df.columns)
    assert df["best_so_far"].iloc[-1] == random_study.best.cv_score
    assert (df["best_so_far"] >= df["cv_score"]).all()


def _one_sentence(text: str) -> None:
    assert text.endswith(".") and text.count(". ") == 0 and "\n" not in text


def test_caption_best_so_far_states_the_numbers():
    df = get_trials_df(_trials([0.70, 0.80, 0.75]), "roc_auc")
    text = caption_best_so_far(df, "roc_auc", default_score=0.72)
    _one_sentence(text)
    assert text == (
        "After 3 trials the best settings (trial 2) reach a CV ROC-AUC of 0.80, "
        "0.08 better than the default settings (0.72)."
    )
    worse = caption_best_so_far(df, "roc_auc", default_score=0.85)
    _one_sentence(worse)
    assert "0.05 worse than the default settings (0.85)" in worse and "defaults were already a good choice" in worse
    same = caption_best_so_far(df, "roc_auc", default_score=0.80)
    assert "about the same as the default settings (0.80)" in same
    assert caption_best_so_far(df, "roc_auc").endswith("reach a CV ROC-AUC of 0.80.")
    rmse = caption_best_so_far(get_trials_df(_trials([30000.0, 25000.0, 27000.0]), "rmse"), "rmse", 26000.0)
    _one_sentence(rmse)
    assert "(trial 2) reach a CV RMSE of 25,000, 1,000 better than the default settings (26,000)" in rmse
    assert caption_best_so_far(get_trials_df([], "roc_auc"), "roc_auc") == "No trial has finished with a score yet."


def test_caption_parallel_coordinates_names_the_setting_that_matters():
    rng = np.random.default_rng(0)
    cs = [0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 60.0, 100.0]
    params = [{"C": c, "weights": w} for c, w in zip(cs, ["uniform", "distance"] * 4)]
    scores = [0.60 + 0.003 * c + rng.normal(0, 0.001) for c in cs]  # higher C, better
    df = get_trials_df(_trials(scores, params), "roc_auc")
    text = caption_parallel_coordinates(df, "roc_auc", ["C", "weights"])
    _one_sentence(text)
    top = df.nlargest(2, "cv_score")["C"].mean()
    assert f"share a high 'C' (around {top:.3g} against {df['C'].mean():.3g} over all trials)" in text
    few = caption_parallel_coordinates(df.head(3), "roc_auc", ["C"])
    assert "run more trials" in few


def test_describe_study_is_one_sentence_with_the_numbers(random_study, grid_study):
    text = describe_study(random_study, "roc_auc")
    assert text.startswith(f"{METHODS['random']} ran 5 trials in ")
    assert "ended because the trial budget was spent" in text
    assert f"CV ROC-AUC of {random_study.best.cv_score:.2f}" in text
    assert f"default settings ({random_study.default_cv_score:.2f})" in text
    assert text.endswith(".") and "\n" not in text
    assert "the grid was complete" in describe_study(grid_study, "roc_auc")


def test_plot_best_so_far_has_both_traces_and_the_default_line(random_study):
    df = get_trials_df(random_study.trials, "roc_auc")
    fig = plot_best_so_far(df, "roc_auc", default_score=random_study.default_cv_score)
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["each trial", "best so far"]
    assert list(fig.data[1].y) == df["best_so_far"].tolist()
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].y0 == pytest.approx(random_study.default_cv_score)
    assert fig.layout.template == pio.templates["plotly_white"]
    assert fig.layout.height <= 450
    assert len(plot_best_so_far(df, "roc_auc").layout.shapes) == 0


def test_plot_parallel_coordinates_has_one_axis_per_setting_plus_the_score():
    params = [{"C": c, "weights": w} for c, w in zip([0.1, 1.0, 10.0, 5.0], ["uniform", "distance"] * 2)]
    df = get_trials_df(_trials([0.7, 0.8, 0.9, float("nan")], params), "roc_auc")
    fig = plot_parallel_coordinates(df, "roc_auc", ["C", "weights"])
    assert isinstance(fig, go.Figure) and len(fig.data) == 1 and fig.data[0].type == "parcoords"
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == ["C", "weights", "CV ROC-AUC"]
    assert list(dims[0].values) == [0.1, 1.0, 10.0]  # the unscored trial is left out
    assert list(dims[1].ticktext) == ["uniform", "distance"]
    assert list(dims[2].values) == [0.7, 0.8, 0.9]
    assert fig.layout.height <= 450


def test_grid_values_stay_inside_the_range_even_after_rounding():
    values = Dimension("x", "float", 1000.5, 1000.9).grid(3)
    assert min(values) >= 1000.5 and max(values) <= 1000.9
    assert Dimension("x", "log", 0.001, 100).grid(3) == [0.001, 0.3162, 100.0]


def test_a_failed_trial_keeps_the_best_so_far_line_unbroken():
    trials = [
        {"number": 0, "params": {"C": 1}, "cv_scores": [0.7], "cv_score": 0.7, "seconds": 1.0},
        {
            "number": 1,
            "params": {"C": 2},
            "cv_scores": [],
            "cv_score": float("nan"),
            "seconds": 1.0,
            "error": "ValueError: bad",
        },
        {"number": 2, "params": {"C": 3}, "cv_scores": [0.8], "cv_score": 0.8, "seconds": 1.0},
    ]
    assert get_trials_df(trials, "roc_auc")["best_so_far"].tolist() == [0.7, 0.7, 0.8]


def test_a_large_table_is_tuned_on_the_leaderboards_sample_and_the_winner_refit_on_all_rows():
    train = TrainConfig(cv_folds=3, max_train_rows=200, max_test_rows=100)
    result = study("random", max_trials=2, train=train, frame=make_classification_frame(n=600)).result
    assert (len(result.train_index), len(result.test_index)) == (200, 100)
    assert any(
        w.startswith(
            "The table is large, so the models learned from a stratified sample of 200 of the 480 training rows"
        )
        for w in result.warnings
    )
    assert any(
        w.startswith(f"{result.best.name}, the best model, was then refit on all 480 training rows")
        for w in result.warnings
    )
    assert result.best.pipeline.named_steps["model"].tree_.n_node_samples[0] == 480
