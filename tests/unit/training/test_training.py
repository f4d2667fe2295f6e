"""Tests of core.training (trainer, splits, caveats, metrics): validation strategies and leak warnings, CV, leaderboard, failures, metrics,
class imbalance and reproducibility (the catalog itself: test_models.py)."""

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

import core.training.config as training_config
import core.training.trainer as training
from core.data.dates import parse_datetimes
from core.features.preprocessing import FeatureConfig, suggest_features
from core.problem.definition import ProblemConfig
from core.training.catalog import ModelSpec
from core.training.caveats import describe_imbalance, get_validation_warnings, suggest_group_column
from core.training.config import TrainConfig
from core.training.metrics import compute_metrics
from core.training.splits import GroupedSplit, TimeOrderedSplit, choose_cv, choose_validation, split_holdout
from core.training.trainer import train_models
from core.workspace.errors import ConfigError, DataError

TELCO = Path(__file__).resolve().parents[3] / "sample_data" / "telco_churn.csv"
FAST = ("logistic", "decision_tree")


def make_classification_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "plus", "pro"], size=n)
    tenure = rng.integers(1, 60, size=n)
    logit = 1.5 * (plan == "basic") - 0.06 * tenure + rng.normal(0, 0.5, size=n)
    return pd.DataFrame(
        {
            "plan": pd.Series(plan, dtype="str"),
            "tenure": tenure,
            "noise": rng.normal(size=n),
            "signup": pd.date_range("2020-01-01", periods=n, freq="D"),
            "churn": np.where(logit > np.quantile(logit, 0.7), "Yes", "No"),
        }
    )


def make_regression_frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    area = rng.uniform(40, 200, size=n)
    hood = rng.choice(["north", "south"], size=n)
    price = 3000 * area + 80000 * (hood == "north") + rng.normal(0, 20000, size=n)
    return pd.DataFrame({"area": area, "hood": pd.Series(hood, dtype="str"), "price": price})


CLS = ProblemConfig(target="churn", task="binary", positive_class="Yes")
REG = ProblemConfig(target="price", task="regression", metric="rmse", threshold=50000)


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
    result = train_models(
        make_classification_frame(), CLS, FeatureConfig(), TrainConfig(models=("logistic",), cv_folds=3)
    )
    board = result.leaderboard_df()
    assert list(board.columns[:4]) == ["model", "key", "cv_score", "cv_std"]
    assert {"roc_auc", "f1_macro", "accuracy", "fit_seconds"} <= set(board.columns)
    assert board["model"].tolist() == ["Logistic regression", "Baseline"]
    summary = result.to_summary()
    text = json.dumps(summary, allow_nan=False)  # valid JSON: no NaN
    assert json.loads(text)[0]["model"] == "logistic"
    # The contract's metrics, plus the ones that stay honest on rare classes.
    assert set(summary[0]["test_metrics"]) == {"roc_auc", "f1_macro", "accuracy", "balanced_accuracy", "pr_auc"}
    assert {"balanced_accuracy", "pr_auc"} <= set(board.columns)


def test_regression_with_lower_is_better_metric_sorts_ascending():
    result = train_models(
        make_regression_frame(), REG, FeatureConfig(), TrainConfig(models=("ridge", "decision_tree"), cv_folds=3)
    )
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
        train_models(
            df,
            CLS,
            FeatureConfig(),
            TrainConfig(models=("logistic",), cv_folds=3),
            test_df=test.drop(columns=["tenure"]),
        )


class _Broken(BaseEstimator, ClassifierMixin):
    def fit(self, X, y):
        raise ValueError("boom")


def test_a_failing_model_is_recorded_not_fatal(monkeypatch):
    broken = ModelSpec("broken", "Broken model", "Always fails.", ("binary",), "kernel", lambda task, seed: _Broken())
    real = training.get_model_spec
    fake = lambda task, key: broken if key == "broken" else real(task, key)  # noqa: E731
    # The config check and the trainer both look the model up (config.py checks the keys first).
    monkeypatch.setattr(training_config, "get_model_spec", fake)
    monkeypatch.setattr(training, "get_model_spec", fake)
    result = train_models(
        make_classification_frame(), CLS, FeatureConfig(), TrainConfig(models=("broken", "logistic"), cv_folds=3)
    )
    assert [r.key for r in result.results][-1] == "broken"
    failed = result.results[-1]
    assert failed.error == "Broken model could not be trained: boom" and failed.pipeline is None
    assert math.isnan(failed.cv_score)
    assert result.best.key == "logistic"
    assert result.leaderboard_df()["error"].tolist()[-1] == failed.error
    assert result.to_summary()[-1]["error"] == failed.error


def test_progress_is_reported_in_order():
    events = []
    train_models(
        make_classification_frame(),
        CLS,
        FeatureConfig(),
        TrainConfig(models=("logistic",), cv_folds=3),
        progress=lambda fraction, message: events.append((fraction, message)),
    )
    fractions = [f for f, _ in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and fractions[0] == 0.0
    messages = [m for _, m in events]
    assert "Cross-validating logistic regression (3 folds)" in messages
    assert "Refitting logistic regression on all training rows" in messages


def test_invalid_train_configs_are_refused():
    df = make_classification_frame()
    with pytest.raises(
        ConfigError, match="'xgboost' is not available for a binary task; choose one of: baseline, logistic"
    ):
        train_models(df, CLS, FeatureConfig(), TrainConfig(models=("xgboost",)))
    with pytest.raises(ConfigError, match="'naive_bayes' is not available for a regression task"):
        train_models(make_regression_frame(), REG, FeatureConfig(), TrainConfig(models=("naive_bayes",)))
    with pytest.raises(ConfigError, match="class weight must be 'balanced' or None; got 'heavy'"):
        train_models(df, CLS, FeatureConfig(), TrainConfig(class_weight="heavy"))
    with pytest.raises(
        ConfigError, match="validation must be one of auto, stratified-kfold, kfold, time-split, group-kfold"
    ):
        train_models(df, CLS, FeatureConfig(), TrainConfig(validation="loo"))
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
    assert metrics["balanced_accuracy"] == pytest.approx((2 / 3 + 1 / 2) / 2)  # recall of class 1 = 2/3, class 0 = 1/2
    # Ranked by score: + + - + -; precision at each positive: 1, 1, 3/4 → average 11/12.
    assert metrics["pr_auc"] == pytest.approx(11 / 12)

    reg = compute_metrics(REG, np.array([3.0, 5.0, 2.0]), np.array([2.0, 5.0, 4.0]), None)
    assert reg["mae"] == pytest.approx(1.0)
    assert reg["rmse"] == pytest.approx(math.sqrt(5 / 3))
    assert reg["r2"] == pytest.approx(1 - 5 / (14 / 3))
    one_class = compute_metrics(CLS, np.array([1, 1]), np.array([1, 0]), np.array([0.2, 0.3]))
    assert math.isnan(one_class["roc_auc"]) and math.isnan(one_class["pr_auc"])
    assert set(reg) == {"r2", "rmse", "mae"}

    multi = ProblemConfig(target="y", task="multiclass", metric="f1_macro", threshold=0.5)
    truth = np.array(["a", "a", "a", "a", "b", "b", "c", "c"])
    guess = np.array(["a", "a", "a", "b", "b", "a", "c", "c"])
    metrics = compute_metrics(multi, truth, guess, None)
    assert set(metrics) == {"f1_macro", "accuracy", "balanced_accuracy"}
    assert metrics["accuracy"] == pytest.approx(6 / 8)
    assert metrics["balanced_accuracy"] == pytest.approx((3 / 4 + 1 / 2 + 1) / 3)  # mean recall per class


def test_train_config_round_trips_through_dict():
    config = TrainConfig(
        models=("logistic", "hist_gb"), cv_folds=3, seed=7, validation="group-kfold", class_weight="balanced"
    )
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    # A config saved before class weights existed still loads, with them off.
    old = {"models": ["logistic"], "cv_folds": 5, "test_size": 0.2, "seed": 42, "validation": "auto"}
    assert TrainConfig.from_dict(old) == TrainConfig(models=("logistic",))


@pytest.mark.slow
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
    text = [
        c
        for c in df.columns
        if pd.api.types.is_string_dtype(df[c]) and c not in ("churn", "customer_id", "signup_date")
    ]
    numbers = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    plain = Pipeline(
        [
            (
                "preprocess",
                make_column_transformer(
                    (OneHotEncoder(handle_unknown="ignore", sparse_output=False), text), ("passthrough", numbers)
                ),
            ),
            ("model", HistGradientBoostingClassifier(random_state=0)),
        ]
    ).fit(train.drop(columns=["churn"]), train["churn"] == "Yes")
    from sklearn.metrics import roc_auc_score

    plain_auc = roc_auc_score(test["churn"] == "Yes", plain.predict_proba(test.drop(columns=["churn"]))[:, 1])

    best_auc = result.best.test_metrics["roc_auc"]
    assert best_auc >= plain_auc - 0.01, (best_auc, plain_auc)
    assert best_auc > 0.78


# ---------------------------------------------------------------- validation strategies


def make_customer_frame(n_customers=60, rows_each=5, seed=0):
    """Transactions: several rows per customer, dates with many ties, a rare-ish positive class."""
    rng = np.random.default_rng(seed)
    n = n_customers * rows_each
    customer = np.repeat(np.arange(n_customers), rows_each)
    habit = rng.normal(size=n_customers)[customer]  # rows of one customer resemble each other
    amount = rng.gamma(2.0, 30.0, size=n)
    score = habit + 0.02 * amount + rng.normal(0, 0.5, size=n)
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series([f"C{c:04d}" for c in customer], dtype="str"),
            "day": pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 40, size=n), unit="D"))
            .dt.strftime("%Y-%m-%d")
            .astype("str"),
            "amount": amount,
            "channel": pd.Series(rng.choice(["web", "shop"], size=n), dtype="str"),
            "flag": np.where(score > np.quantile(score, 0.75), "Yes", "No"),
        }
    )
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # order must not matter


FLAG = ProblemConfig(target="flag", task="binary", positive_class="Yes")


def test_time_split_keeps_equal_times_together_in_holdout_and_every_fold():
    df = make_customer_frame()  # 300 rows over 40 days: many rows share a day
    problem = replace(FLAG, time_column="day")
    plan = choose_validation(df, problem, TrainConfig(cv_folds=4))
    train_idx, test_idx, holdout = plan.holdout
    times = parse_datetimes(df["day"])
    assert (holdout, plan.name) == ("time-split", "time-split")
    assert isinstance(plan.splitter, TimeOrderedSplit)
    assert times[train_idx].max() < times[test_idx].min()  # strictly: the boundary day is all on the test side
    assert len(test_idx) >= 60 and len(train_idx) + len(test_idx) == len(df)

    train = df.loc[train_idx]
    train_times = parse_datetimes(train["day"]).to_numpy()
    folds = list(plan.splitter.split(train))
    assert len(folds) >= 3
    for fit_rows, valid_rows in folds:
        assert train_times[fit_rows].max() < train_times[valid_rows].min()
    assert plan.warnings == []  # the time is used: nothing leaks from the future

    result = train_models(df, problem, FeatureConfig(), TrainConfig(models=("decision_tree",), cv_folds=4))
    assert (result.validation, result.holdout) == ("time-split", "time-split")
    assert times[result.train_index].max() < times[result.test_index].min()


def test_time_split_refuses_when_every_row_has_the_same_time():
    df = make_customer_frame()
    df["day"] = "2024-01-01"
    problem = replace(FLAG, time_column="day")
    with pytest.raises(DataError, match="too few for a time split"):
        split_holdout(df, problem, TrainConfig())


def _groups_of(df, index):
    return set(df.loc[index, "customer_id"])


def test_group_kfold_never_shares_a_customer_between_train_and_test():
    df = make_customer_frame()
    problem = replace(FLAG, group_column="customer_id")
    plan = choose_validation(df, problem, TrainConfig(cv_folds=5))
    train_idx, test_idx, holdout = plan.holdout
    assert (holdout, plan.name) == ("group-split", "group-kfold")
    assert isinstance(plan.splitter, GroupedSplit)
    assert _groups_of(df, train_idx).isdisjoint(_groups_of(df, test_idx))
    assert 0.1 < len(test_idx) / len(df) < 0.3
    assert set(df.loc[test_idx, "flag"]) == {"Yes", "No"}  # stratified by class as well

    train = df.loc[train_idx]
    customers = train["customer_id"].to_numpy()
    folds = list(plan.splitter.split(train, train["flag"]))
    assert len(folds) == 5
    for fit_rows, valid_rows in folds:
        assert set(customers[fit_rows]).isdisjoint(customers[valid_rows])
    assert sorted(np.concatenate([v for _, v in folds])) == list(range(len(train)))  # each row validated once
    assert not any("group column" in w for w in plan.warnings)  # grouped: no repeated-ID warning

    result = train_models(df, problem, FeatureConfig(), TrainConfig(models=("logistic",), cv_folds=5))
    assert (result.validation, result.holdout) == ("group-kfold", "group-split")
    assert _groups_of(df, result.train_index).isdisjoint(_groups_of(df, result.test_index))


def test_group_kfold_for_regression_and_when_asked_without_a_group_column():
    df = make_customer_frame()
    problem = ProblemConfig(target="amount", task="regression", metric="r2", threshold=0.0)
    config = TrainConfig(models=("ridge",), cv_folds=3, validation="group-kfold")
    result = train_models(df, problem, FeatureConfig(), config)
    assert result.problem.group_column == "customer_id"  # the suggested ID column was used
    assert result.validation == "group-kfold" and result.holdout == "group-split"
    assert _groups_of(df, result.train_index).isdisjoint(_groups_of(df, result.test_index))

    train = df.loc[result.train_index]
    splitter, name = choose_cv(train, result.problem, config)
    customers = train["customer_id"].to_numpy()
    for fit_rows, valid_rows in splitter.split(train):
        assert set(customers[fit_rows]).isdisjoint(customers[valid_rows])

    with pytest.raises(ConfigError, match="group k-fold needs a group column"):
        train_models(make_classification_frame(), CLS, FeatureConfig(), TrainConfig(validation="group-kfold"))


def test_default_is_stratified_kfold_for_classes_and_kfold_for_numbers():
    df = make_classification_frame()
    plan = choose_validation(df, CLS, TrainConfig(cv_folds=4))
    assert (plan.name, plan.holdout.strategy) == ("stratified-kfold", "stratified-split")
    train = df.loc[plan.holdout.train_index]
    share = (train["churn"] == "Yes").mean()
    for _, valid_rows in plan.splitter.split(train, train["churn"]):
        assert abs((train["churn"].iloc[valid_rows] == "Yes").mean() - share) < 0.02  # class shares kept per fold
    regression = choose_validation(make_regression_frame(), REG, TrainConfig())
    assert (regression.name, regression.holdout.strategy, regression.warnings) == ("kfold", "random-split", [])


def test_warnings_name_a_date_column_and_a_repeated_id_under_random_folds():
    df = make_customer_frame()
    plan = choose_validation(df, FLAG, TrainConfig())
    assert plan.name == "stratified-kfold"
    assert plan.warnings[0] == (
        "day looks like a time: a random split lets the model learn from the future; "
        "set it as the time column to evaluate on the latest rows."
    )
    assert plan.warnings[1].startswith("customer_id repeats: 60 of its 60 values have several rows")
    assert "set it as the group column to keep each customer on one side" in plan.warnings[1]
    assert len(plan.warnings) == 2

    result = train_models(df, FLAG, FeatureConfig(), TrainConfig(models=("logistic",), cv_folds=3))
    assert result.warnings == plan.warnings  # exposed on the result (25% positives: no imbalance note)

    # A time column given but random folds forced: still a leak, said differently.
    forced = get_validation_warnings(df, replace(FLAG, time_column="day"), "stratified-kfold")
    assert forced[0].startswith("day is the time column but the folds are random")
    # Unique IDs and no dates: nothing to warn about.
    assert get_validation_warnings(make_regression_frame(), REG, "kfold") == []


def test_suggest_group_column_finds_repeated_ids_only():
    df = make_customer_frame()
    assert suggest_group_column(df, FLAG) == "customer_id"
    n = len(df)
    rng = np.random.default_rng(1)
    others = pd.DataFrame(
        {
            "flag": df["flag"],
            "row_id": np.arange(n),  # unique per row: a key, not a group
            "order_code": pd.Series([f"X{i:05d}" for i in range(n)], dtype="str"),  # unique codes
            "region": pd.Series(rng.choice(["north", "south", "east"], size=n), dtype="str"),  # a category
            "age": rng.integers(18, 80, size=n),  # repeated numbers, not an ID
            "day": df["day"],  # repeated dates, not an ID
        }
    )
    assert suggest_group_column(others, FLAG) is None
    others["account"] = pd.Series([f"A-{i // 4:04d}" for i in range(n)], dtype="str")  # code-like, repeats
    assert suggest_group_column(others, FLAG) == "account"
    others["store_no"] = np.arange(n) // 10  # whole numbers named like an ID: preferred over unnamed codes
    assert suggest_group_column(others, FLAG) == "store_no"
    assert suggest_group_column(others, replace(FLAG, target="store_no")) == "account"  # never the target


def make_coded_categories_frame(n=4000, seed=0):
    """The issue's table: categories whose levels read like codes (cat_3_L0 … cat_3_L11), a few
    levels each repeated hundreds of times, and no entity key at all."""
    rng = np.random.default_rng(seed)
    levels = {name: k for name, k in (("cat_0", 3), ("cat_1", 5), ("cat_2", 8), ("cat_3", 12), ("cat_4", 25))}
    frame = {
        name: pd.Series([f"{name}_L{i}" for i in rng.integers(0, k, n)], dtype="str") for name, k in levels.items()
    }
    frame["num_0"] = rng.normal(size=n)
    logit = frame["num_0"] + frame["cat_3"].str.endswith(("L1", "L2", "L3")).to_numpy() + rng.normal(0, 1, n)
    frame["y"] = np.where(logit > 0.5, "Yes", "No")
    return pd.DataFrame(frame)


def test_a_category_whose_levels_read_like_codes_is_not_a_group_column():
    df = make_coded_categories_frame()
    problem = ProblemConfig(target="y", task="binary", positive_class="Yes")
    assert suggest_group_column(df, problem) is None  # was cat_3: 12 code-like levels
    plan = choose_validation(df, problem, TrainConfig())
    assert plan.name == "stratified-kfold" and plan.warnings == []  # no "cat_4 repeats" warning either
    assert suggest_features(df, problem).drop_columns == ()  # categories stay features

    # A public table: gapminder with its year stored as text (12 code-like levels of 142 rows each).
    px = pytest.importorskip("plotly.express")
    gapminder = px.data.gapminder().assign(year=lambda d: d["year"].astype(str))
    life = ProblemConfig(target="lifeExp", task="regression", metric="r2", threshold=0.0)
    assert suggest_group_column(gapminder, life) is None
    # …while a real entity key next to the categories is still found.
    df["customer"] = pd.Series([f"C-{i // 4:05d}" for i in range(len(df))], dtype="str")
    assert suggest_group_column(df, problem) == "customer"


def test_training_on_few_rows_says_so_with_the_counts():
    small = make_classification_frame(n=120)
    result = train_models(small, CLS, FeatureConfig(), TrainConfig(models=("logistic",), cv_folds=3))
    n_train, n_test = len(result.train_index), len(result.test_index)
    assert (n_train, n_test) == (96, 24)
    few = [w for w in result.warnings if w.startswith("Only 120 rows were used")]
    assert few == [
        "Only 120 rows were used (96 to train, 24 to test): scores from so few rows are rough (a score measured "
        "on 24 rows can be off by about ±0.20) and the ranking of the models may be chance; collect a few "
        "hundred rows or more before relying on them."
    ]
    regression = train_models(make_regression_frame(n=150), REG, FeatureConfig(), TrainConfig(models=("ridge",)))
    assert any(
        w.startswith(
            "Only 150 rows were used (120 to train, 30 to test): scores from so few rows are rough and the ranking"
        )
        for w in regression.warnings
    )
    enough = train_models(make_classification_frame(n=400), CLS, FeatureConfig(), TrainConfig(models=("logistic",)))
    assert not any("rows were used" in w for w in enough.warnings)


def make_large_frame(n=4000, seed=0):
    """A "large" table for a lowered sample size: 6% positives, so stratification matters."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    plan = rng.choice(["basic", "plus", "pro"], size=n)
    logit = 2 * x + (plan == "basic") + rng.normal(0, 0.5, size=n)
    return pd.DataFrame(
        {"x": x, "plan": pd.Series(plan, dtype="str"), "churn": np.where(logit > np.quantile(logit, 0.94), "Yes", "No")}
    )


def test_a_large_table_trains_on_a_stratified_seeded_sample_and_refits_the_best_on_all_rows():
    df = make_large_frame()
    config = TrainConfig(models=("decision_tree", "logistic"), cv_folds=3, max_train_rows=1000, max_test_rows=400)
    result = train_models(df, CLS, FeatureConfig(), config)
    assert (len(result.train_index), len(result.test_index)) == (1000, 400)
    assert len(result.y_test) == 400 and set(result.train_index).isdisjoint(result.test_index)
    share = (df["churn"] == "Yes").mean()
    for index in (result.train_index, result.test_index):  # each sample keeps the rare class's share
        assert abs((df.loc[index, "churn"] == "Yes").mean() - share) < 0.005
    assert (
        "The table is large, so the models learned from a stratified sample of 1,000 of the 3,200 training rows "
        "(tuning too) and were scored on 400 of the 800 held-out rows; the scores stay honest, as the held-out "
        "rows are never learned from."
    ) in result.warnings
    # The best model was refit on every training row (its holdout scores are the refit's); the rest on the sample.
    best = result.best
    assert any(
        w.startswith(f"{best.name}, the best model, was then refit on all 3,200 training rows") for w in result.warnings
    )
    assert best.pipeline.named_steps["preprocess"].n_features_in_ == 2
    refit_probs = best.pipeline.predict_proba(df.loc[result.test_index].drop(columns=["churn"]))[:, 1]
    np.testing.assert_allclose(refit_probs, best.test_scores)
    again = train_models(df, CLS, FeatureConfig(), config)  # seeded: the same rows, the same scores
    assert again.train_index.equals(result.train_index) and again.test_index.equals(result.test_index)
    assert [r.cv_score for r in again.results] == [r.cv_score for r in result.results]

    tree_only = replace(config, models=("decision_tree",))
    refit = train_models(df, CLS, FeatureConfig(), tree_only).best.pipeline.named_steps["model"]
    kept = train_models(df, CLS, FeatureConfig(), replace(tree_only, refit_seconds=0))
    assert (
        refit.tree_.n_node_samples[0] == 3200
        and kept.best.pipeline.named_steps["model"].tree_.n_node_samples[0] == 1000
    )
    assert kept.warnings[-1] == (
        "Decision tree, the best model, learned from the sample only (refitting on all rows is off)."
    )
    # Below the limits nothing is sampled and nothing is said.
    small = train_models(df, CLS, FeatureConfig(), TrainConfig(models=("logistic",), cv_folds=3))
    assert len(small.train_index) == 3200 and not any("sample" in w for w in small.warnings)
    with pytest.raises(ConfigError, match="The 'max_train_rows' of TrainConfig must be a whole number of at least 100"):
        train_models(df, CLS, FeatureConfig(), TrainConfig(max_train_rows=10))


def test_a_sample_keeps_the_time_order_and_regression_samples_at_random():
    df = make_customer_frame(n_customers=200)  # 1,000 rows over 40 days
    problem = replace(FLAG, time_column="day")
    config = TrainConfig(models=("logistic",), cv_folds=3, max_train_rows=300, max_test_rows=100)
    result = train_models(df, problem, FeatureConfig(), config)
    times = parse_datetimes(df["day"])
    assert (len(result.train_index), len(result.test_index)) == (300, 100)
    assert times[result.train_index].is_monotonic_increasing  # chronological, as the time folds expect
    assert times[result.train_index].max() < times[result.test_index].min()
    reg = ProblemConfig(target="amount", task="regression", metric="r2", threshold=0.0)
    sampled = train_models(df, reg, FeatureConfig(), replace(config, models=("ridge",)))
    assert any(
        w.startswith("The table is large, so the models learned from a random sample of 300") for w in sampled.warnings
    )


# ---------------------------------------------------------------- class imbalance


def test_describe_imbalance_says_how_to_judge_a_rare_class():
    y = pd.Series([1] * 3 + [0] * 197)  # 1.5% fraud
    problem = ProblemConfig(target="is_fraud", task="binary", positive_class="1")
    assert describe_imbalance(y, problem) == (
        "Only 1.5% of rows are fraud: accuracy would be 98.5% for a model that never flags anything; "
        "judge by PR-AUC and balanced accuracy, and consider class weights."
    )
    assert describe_imbalance(y, problem, class_weight="balanced").endswith(
        "class weights are on, so rare rows count as much as common ones in training."
    )
    status = pd.Series(["Churned"] * 10 + ["Active"] * 90)
    assert describe_imbalance(
        status, ProblemConfig(target="status", task="binary", positive_class="Churned")
    ).startswith("Only 10% of rows are 'Churned': accuracy would be 90%")
    assert describe_imbalance(pd.Series(["Yes"] * 26 + ["No"] * 74), CLS) is None  # 26%: not rare
    multi = pd.Series(["a"] * 60 + ["b"] * 37 + ["c"] * 3)
    sentence = describe_imbalance(multi, ProblemConfig(target="y", task="multiclass", metric="f1_macro"))
    assert sentence.startswith("Only 3.0% of rows are 'c': always predicting 'a' would already be 60% accurate")
    assert describe_imbalance(pd.Series(np.linspace(0, 1, 50)), REG) is None


def test_class_weight_makes_logistic_flag_more_of_a_rare_class():
    rng = np.random.default_rng(0)
    n = 600
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "z": rng.normal(size=n)})
    df["fraud"] = np.where(x + rng.normal(0, 1.0, size=n) > 2.2, "yes", "no")  # ~6% positives
    problem = ProblemConfig(target="fraud", task="binary", positive_class="yes")
    plain = train_models(df, problem, FeatureConfig(), TrainConfig(models=("logistic",), cv_folds=3))
    weighted = train_models(
        df, problem, FeatureConfig(), TrainConfig(models=("logistic",), cv_folds=3, class_weight="balanced")
    )
    p, w = plain.results[0], weighted.results[0]
    assert p.key == w.key == "logistic"
    assert list(plain.test_index) == list(weighted.test_index)
    assert w.params["class_weight"] == "balanced" and p.params["class_weight"] is None
    assert w.test_pred.sum() > p.test_pred.sum() + 5  # many more rows flagged
    assert w.test_metrics["balanced_accuracy"] > p.test_metrics["balanced_accuracy"]
    assert any(s.startswith("Only ") and "class weights are on" in s for s in weighted.warnings)
    assert any(s.startswith("Only ") and "consider class weights" in s for s in plain.warnings)


# ---------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("key", ["decision_tree", "random_forest", "knn", "extra_trees", "svm"])
def test_same_config_and_seed_give_identical_scores(key):
    df = make_customer_frame()
    problem = replace(FLAG, group_column="customer_id")
    config = TrainConfig(models=(key,), cv_folds=3, seed=11)
    first = train_models(df, problem, FeatureConfig(), config)
    second = train_models(df, problem, FeatureConfig(), config)
    a, b = first.results[0], second.results[0]
    assert a.key == key and a.ok
    assert a.cv_scores == b.cv_scores and a.test_metrics == b.test_metrics
    np.testing.assert_array_equal(a.test_scores, b.test_scores)
    assert list(first.test_index) == list(second.test_index)


def test_an_id_chosen_as_the_target_is_named_in_the_training_warnings():
    """The leaderboard and the CLI JSON's warnings say why every model scores like the baseline."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {"customer_id": np.arange(1000, 1300), "age": rng.integers(18, 80, 300), "spend": rng.normal(100, 30, 300)}
    )
    plan = choose_validation(df, ProblemConfig(target="customer_id", task="regression", metric="r2"), TrainConfig())
    assert plan.warnings[0].startswith("customer_id looks like an ID, not an outcome")
    plan = choose_validation(df, ProblemConfig(target="spend", task="regression", metric="r2"), TrainConfig())
    assert not [w for w in plan.warnings if "looks like an ID" in w]
