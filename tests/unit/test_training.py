"""Tests of core.training (and the model catalog): splits, CV, leaderboard, failures, metrics."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

import core.training as training
from core.errors import ConfigError, DataError
from core.features import FeatureConfig, suggest_features
from core.models import ModelSpec, get_catalog
from core.problem import ProblemConfig, parse_datetimes
from core.training import (
    TrainConfig,
    choose_cv,
    compute_metrics,
    split_holdout,
    train_models,
)

TELCO = Path(__file__).resolve().parents[2] / "sample_data" / "telco_churn.csv"
FAST = ("logistic", "decision_tree")


def make_classification_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "plus", "pro"], size=n)
    tenure = rng.integers(1, 60, size=n)
    logit = 1.5 * (plan == "basic") - 0.06 * tenure + rng.normal(0, 0.5, size=n)
    return pd.DataFrame({
        "plan": pd.Series(plan, dtype="str"),
        "tenure": tenure,
        "noise": rng.normal(size=n),
        "signup": pd.date_range("2020-01-01", periods=n, freq="D"),
        "churn": np.where(logit > np.quantile(logit, 0.7), "Yes", "No"),
    })


def make_regression_frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    area = rng.uniform(40, 200, size=n)
    hood = rng.choice(["north", "south"], size=n)
    price = 3000 * area + 80000 * (hood == "north") + rng.normal(0, 20000, size=n)
    return pd.DataFrame({"area": area, "hood": pd.Series(hood, dtype="str"), "price": price})


CLS = ProblemConfig(target="churn", task="binary", positive_class="Yes")
REG = ProblemConfig(target="price", task="regression", metric="rmse", threshold=50000)


def test_catalogs_per_task():
    assert [s.key for s in get_catalog("binary")] == ["baseline", "logistic", "decision_tree", "random_forest", "hist_gb"]
    assert [s.key for s in get_catalog("regression")] == ["baseline", "ridge", "decision_tree", "random_forest", "hist_gb"]
    forest = next(s for s in get_catalog("binary") if s.key == "random_forest").make("binary", 7)
    assert (forest.n_estimators, forest.max_depth, forest.min_samples_leaf, forest.n_jobs, forest.random_state) == (
        150, 10, 5, 2, 7)
    assert {s.explainer for s in get_catalog("binary")} <= {"tree", "linear", "kernel"}
    with pytest.raises(ConfigError, match="does not support the task 'binary'"):
        next(s for s in get_catalog("regression") if s.key == "ridge").make("binary", 0)


def test_classification_leaderboard_sorted_with_baseline_and_best_beats_it():
    df = make_classification_frame()
    result = train_models(df, CLS, FeatureConfig(), TrainConfig(models=FAST, cv_folds=3))
    keys = [r.key for r in result.results]
    assert sorted(keys) == ["baseline", "decision_tree", "logistic"]  # baseline added automatically
    scores = [r.cv_score for r in result.results]
    assert scores == sorted(scores, reverse=True)
    assert result.best.key != "baseline"
    assert result.best.test_metrics["roc_auc"] > result.baseline.test_metrics["roc_auc"] + 0.2
    assert result.baseline.cv_score == pytest.approx(0.5)
    assert result.validation == "stratified-kfold" and result.holdout == "stratified-split"
    assert result.classes == ["No", "Yes"] and result.baseline_prediction == "'No'"
    assert len(result.test_index) == 60 and len(result.train_index) == 240
    assert set(result.y_test) == {0, 1}

    best = result.best
    assert isinstance(best.pipeline, Pipeline)
    assert [name for name, _ in best.pipeline.steps] == ["preprocess", "model"]
    assert isinstance(best.pipeline.named_steps["preprocess"], ColumnTransformer)
    assert best.test_scores.shape == (60,) and ((best.test_scores >= 0) & (best.test_scores <= 1)).all()
    proba = best.pipeline.predict_proba(df.drop(columns=["churn"]).loc[result.test_index])[:, 1]
    np.testing.assert_allclose(proba, best.test_scores)
    assert len(best.cv_scores) == 3 and best.fit_seconds >= 0 and best.predict_ms_per_row > 0
    assert best.params and all(isinstance(v, (bool, int, float, str, type(None))) for v in best.params.values())


def test_leaderboard_df_and_json_summary():
    result = train_models(make_classification_frame(), CLS, FeatureConfig(), TrainConfig(models=("logistic",), cv_folds=3))
    board = result.leaderboard_df()
    assert list(board.columns[:4]) == ["model", "key", "cv_score", "cv_std"]
    assert {"roc_auc", "f1_macro", "accuracy", "fit_seconds"} <= set(board.columns)
    assert board["model"].tolist() == ["Logistic regression", "Baseline"]
    summary = result.to_summary()
    text = json.dumps(summary, allow_nan=False)  # valid JSON: no NaN
    assert json.loads(text)[0]["model"] == "logistic"
    assert set(summary[0]["test_metrics"]) == {"roc_auc", "f1_macro", "accuracy"}


def test_regression_with_lower_is_better_metric_sorts_ascending():
    result = train_models(make_regression_frame(), REG, FeatureConfig(), TrainConfig(models=("ridge", "decision_tree"), cv_folds=3))
    scores = [r.cv_score for r in result.results]
    assert scores == sorted(scores)  # RMSE reported positive, smallest first
    assert all(s > 0 for s in scores)
    assert result.results[-1].key == "baseline"
    assert result.best.key == "ridge"
    assert result.best.test_metrics["r2"] > 0.8
    assert result.best.test_metrics["rmse"] < result.baseline.test_metrics["rmse"] / 2
    assert result.validation == "kfold" and result.holdout == "random-split"
    assert result.classes == [] and result.baseline_prediction.startswith("the average (")
    np.testing.assert_allclose(result.best.test_scores, result.best.test_pred)


def test_multiclass_training():
    df = make_classification_frame()
    df["churn"] = np.where(df["tenure"] < 20, "short", np.where(df["tenure"] < 40, "mid", "long"))
    problem = ProblemConfig(target="churn", task="multiclass", metric="f1_macro", threshold=0.6)
    result = train_models(df, problem, FeatureConfig(), TrainConfig(models=("decision_tree",), cv_folds=3))
    assert result.best.key == "decision_tree" and result.best.test_metrics["accuracy"] > 0.9
    assert result.classes == ["long", "mid", "short"]
    assert result.best.test_scores.shape == (60, 3)
    assert set(result.best.test_pred) <= {"long", "mid", "short"}


def test_same_seed_same_scores_and_other_seed_other_split():
    df = make_classification_frame()
    config = TrainConfig(models=("decision_tree",), cv_folds=3, seed=3)
    first = train_models(df, CLS, FeatureConfig(), config)
    second = train_models(df, CLS, FeatureConfig(), config)
    assert first.best.cv_scores == second.best.cv_scores
    assert list(first.test_index) == list(second.test_index)
    other = train_models(df, CLS, FeatureConfig(), TrainConfig(models=("decision_tree",), cv_folds=3, seed=4))
    assert list(other.test_index) != list(first.test_index)


def test_time_split_never_trains_on_later_rows():
    df = make_classification_frame().sample(frac=1.0, random_state=1)  # shuffled: order must come from the dates
    problem = ProblemConfig(target="churn", task="binary", positive_class="Yes", time_column="signup")
    config = TrainConfig(models=("logistic",), cv_folds=3)
    train_idx, test_idx, name = split_holdout(df, problem, config)
    assert name == "time-split" and len(test_idx) == 60
    assert df.loc[train_idx, "signup"].max() < df.loc[test_idx, "signup"].min()

    result = train_models(df, problem, FeatureConfig(), config)
    assert result.validation == "time-split" and result.holdout == "time-split"
    assert df.loc[result.train_index, "signup"].max() < df.loc[result.test_index, "signup"].min()
    # Inside cross-validation too: every fold validates on rows later than those it trains on.
    train = df.loc[result.train_index]
    splitter, name = choose_cv(train, problem, config)
    times = parse_datetimes(train["signup"]).to_numpy()
    for fit_rows, valid_rows in splitter.split(train):
        assert times[fit_rows].max() < times[valid_rows].min()


def test_time_split_with_string_dates():
    df = make_classification_frame()
    df["signup"] = df["signup"].dt.strftime("%Y-%m-%d").astype("str")
    problem = ProblemConfig(target="churn", task="binary", positive_class="Yes", time_column="signup")
    train_idx, test_idx, _ = split_holdout(df.iloc[::-1], problem, TrainConfig())
    assert df.loc[train_idx, "signup"].max() < df.loc[test_idx, "signup"].min()


def test_provided_test_set_is_the_holdout():
    df = make_classification_frame(seed=0)
    test = make_classification_frame(n=80, seed=5)
    test.loc[[0, 1], "churn"] = np.nan  # unlabelled rows are dropped from the holdout
    result = train_models(df, CLS, FeatureConfig(), TrainConfig(models=("logistic",), cv_folds=3), test_df=test)
    assert result.holdout == "provided-test-set"
    assert len(result.train_index) == 300 and len(result.test_index) == 78
    assert len(result.best.test_pred) == 78
    with pytest.raises(DataError, match="lacks the feature columns 'tenure'"):
        train_models(df, CLS, FeatureConfig(), TrainConfig(models=("logistic",), cv_folds=3), test_df=test.drop(columns=["tenure"]))


class _Broken(BaseEstimator, ClassifierMixin):
    def fit(self, X, y):
        raise ValueError("boom")


def test_a_failing_model_is_recorded_not_fatal(monkeypatch):
    broken = ModelSpec("broken", "Broken model", "Always fails.", ("binary",), "kernel", lambda task, seed: _Broken())
    real = training.get_model_spec
    monkeypatch.setattr(training, "get_model_spec", lambda task, key: broken if key == "broken" else real(task, key))
    result = train_models(make_classification_frame(), CLS, FeatureConfig(), TrainConfig(models=("broken", "logistic"), cv_folds=3))
    assert [r.key for r in result.results][-1] == "broken"
    failed = result.results[-1]
    assert failed.error == "Broken model could not be trained: boom" and failed.pipeline is None
    assert math.isnan(failed.cv_score)
    assert result.best.key == "logistic"
    assert result.leaderboard_df()["error"].tolist()[-1] == failed.error
    assert result.to_summary()[-1]["error"] == failed.error


def test_progress_is_reported_in_order():
    events = []
    train_models(make_classification_frame(), CLS, FeatureConfig(), TrainConfig(models=("logistic",), cv_folds=3),
                 progress=lambda fraction, message: events.append((fraction, message)))
    fractions = [f for f, _ in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and fractions[0] == 0.0
    messages = [m for _, m in events]
    assert "Cross-validating logistic regression (2/3)" in messages
    assert "Refitting logistic regression on all training rows" in messages


def test_invalid_train_configs_are_refused():
    df = make_classification_frame()
    with pytest.raises(ConfigError, match="'svm' is not available for a binary task; choose one of: baseline, logistic"):
        train_models(df, CLS, FeatureConfig(), TrainConfig(models=("svm",)))
    with pytest.raises(ConfigError, match="time split needs a time column"):
        train_models(df, CLS, FeatureConfig(), TrainConfig(validation="time-split"))
    with pytest.raises(ConfigError, match="CV folds"):
        train_models(df, CLS, FeatureConfig(), TrainConfig(cv_folds=1))


def test_compute_metrics_on_a_hand_computed_case():
    y_true = np.array([1, 0, 1, 1, 0])
    y_pred = np.array([1, 0, 0, 1, 1])
    y_score = np.array([0.9, 0.1, 0.4, 0.8, 0.6])
    metrics = compute_metrics(CLS, y_true, y_pred, y_score)
    assert metrics["accuracy"] == pytest.approx(3 / 5)
    assert metrics["f1_macro"] == pytest.approx((2 / 3 + 1 / 2) / 2)  # F1 class 1 = 2/3, class 0 = 1/2
    assert metrics["roc_auc"] == pytest.approx(5 / 6)  # 5 of 6 positive/negative pairs ordered right

    reg = compute_metrics(REG, np.array([3.0, 5.0, 2.0]), np.array([2.0, 5.0, 4.0]), None)
    assert reg["mae"] == pytest.approx(1.0)
    assert reg["rmse"] == pytest.approx(math.sqrt(5 / 3))
    assert reg["r2"] == pytest.approx(1 - 5 / (14 / 3))
    assert math.isnan(compute_metrics(CLS, np.array([1, 1]), np.array([1, 0]), np.array([0.2, 0.3]))["roc_auc"])


def test_train_config_round_trips_through_dict():
    config = TrainConfig(models=("logistic", "hist_gb"), cv_folds=3, seed=7)
    assert TrainConfig.from_dict(config.to_dict()) == config


@pytest.mark.skipif(not TELCO.exists(), reason="sample_data/telco_churn.csv not present")
def test_telco_best_model_is_at_least_as_good_as_plain_gradient_boosting():
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.preprocessing import OneHotEncoder

    df = pd.read_csv(TELCO).dropna(subset=["churn"])
    df["total_charges"] = pd.to_numeric(df["total_charges"], errors="coerce")
    problem = ProblemConfig(target="churn", task="binary", positive_class="Yes")
    result = train_models(df, problem, suggest_features(df, problem), TrainConfig(cv_folds=2))  # whole catalog

    train, test = df.loc[result.train_index], df.loc[result.test_index]
    text = [c for c in df.columns if pd.api.types.is_string_dtype(df[c]) and c not in ("churn", "customer_id", "signup_date")]
    numbers = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    plain = Pipeline([
        ("preprocess", make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore", sparse_output=False), text), ("passthrough", numbers))),
        ("model", HistGradientBoostingClassifier(random_state=0)),
    ]).fit(train.drop(columns=["churn"]), train["churn"] == "Yes")
    from sklearn.metrics import roc_auc_score
    plain_auc = roc_auc_score(test["churn"] == "Yes", plain.predict_proba(test.drop(columns=["churn"]))[:, 1])

    best_auc = result.best.test_metrics["roc_auc"]
    assert best_auc >= plain_auc - 0.01, (best_auc, plain_auc)
    assert best_auc > 0.78
