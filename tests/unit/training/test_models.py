"""Tests of core.training.catalog: the catalog per task, defaults, class weights, and that every family
fits, predicts and can be explained on small binary, multiclass and regression frames."""

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline

from core.features.preprocessing import FeatureConfig, build_preprocessor
from core.problem.definition import ProblemConfig, encode_target
from core.training.catalog import get_catalog, get_model_spec
from core.workspace.errors import ConfigError

BINARY_KEYS = [
    "baseline",
    "logistic",
    "knn",
    "svm",
    "naive_bayes",
    "decision_tree",
    "random_forest",
    "extra_trees",
    "hist_gb",
]
REGRESSION_KEYS = ["baseline", "ridge", "knn", "svm", "decision_tree", "random_forest", "extra_trees", "hist_gb"]
PROBLEMS = {
    "binary": ProblemConfig(target="y", task="binary", positive_class="Yes"),
    "multiclass": ProblemConfig(target="y", task="multiclass", metric="f1_macro", threshold=0.5),
    "regression": ProblemConfig(target="y", task="regression", metric="r2", threshold=0.5),
}


def make_frame(task, n=120, seed=0):
    """``x`` drives the target; ``plan`` a little; ``noise`` not at all."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "plan": pd.Series(rng.choice(["a", "b", "c"], size=n), dtype="str"),
            "noise": rng.normal(size=n),
        }
    )
    signal = 2 * df["x"] + 0.3 * (df["plan"] == "a")
    if task == "binary":
        df["y"] = np.where(signal > 0.3, "Yes", "No")
    elif task == "multiclass":
        df["y"] = np.where(signal > 1, "high", np.where(signal < -1, "low", "mid"))
    else:
        df["y"] = 10 * signal + rng.normal(0, 1, size=n)
    return df


def fit_pipeline(spec, task, df, **make_args):
    problem = PROBLEMS[task]
    X, y = df.drop(columns=["y"]), encode_target(df["y"], problem)
    model = spec.make(task, 0, **make_args)
    return (
        Pipeline([("preprocess", build_preprocessor(df, problem, FeatureConfig())), ("model", model)]).fit(X, y),
        X,
        y,
    )


def test_catalog_per_task_and_the_default_leaderboard():
    assert [s.key for s in get_catalog("binary")] == BINARY_KEYS
    assert [s.key for s in get_catalog("multiclass")] == BINARY_KEYS
    assert [s.key for s in get_catalog("regression")] == REGRESSION_KEYS
    # kNN is opt-in: its prediction cost grows with rows² (see core.training.catalog).
    assert [s.key for s in get_catalog("binary", default_only=True)] == [k for k in BINARY_KEYS if k != "knn"]
    assert get_catalog("regression", default_only=True)[0].is_baseline  # every leaderboard shows the baseline
    with pytest.raises(ConfigError, match="task must be one of binary, multiclass, regression; got 'ranking'"):
        get_catalog("ranking")
    with pytest.raises(ConfigError, match="'naive_bayes' is not available for a regression task"):
        get_model_spec("regression", "naive_bayes")
    with pytest.raises(ConfigError, match="does not support the task 'binary'"):
        get_model_spec("regression", "ridge").make("binary", 0)


@pytest.mark.parametrize("spec", get_catalog("binary") + [get_model_spec("regression", "ridge")], ids=lambda s: s.key)
def test_every_family_has_one_plain_sentence(spec):
    text = spec.description
    assert text[0].isupper() and text.endswith(".") and ". " not in text  # one sentence
    assert 40 <= len(text) <= 200
    assert spec.name and spec.explainer in {"tree", "linear", "kernel"}


def test_sensible_defaults():
    forest = get_model_spec("binary", "random_forest").make("binary", 7)
    assert (forest.n_estimators, forest.max_depth, forest.min_samples_leaf, forest.n_jobs, forest.random_state) == (
        150,
        10,
        5,
        2,
        7,
    )
    extra = get_model_spec("regression", "extra_trees").make("regression", 7)
    assert (extra.max_depth, extra.min_samples_leaf, extra.n_jobs, extra.random_state) == (
        10,
        5,
        2,
        7,
    )  # SHAP stays fast
    knn = get_model_spec("binary", "knn").make("binary", 0)
    assert (knn.n_neighbors, knn.weights) == (15, "distance")
    svm = get_model_spec("binary", "svm").make("binary", 3)
    assert (
        isinstance(svm, CalibratedClassifierCV) and svm.estimator.random_state == 3
    )  # probabilities from a linear SVM
    assert "linear SVM" in get_model_spec("binary", "svm").description  # the choice is explained to the user


def test_class_weight_is_applied_where_the_family_has_it():
    assert get_model_spec("binary", "logistic").make("binary", 0, class_weight="balanced").class_weight == "balanced"
    svm = get_model_spec("binary", "svm").make("binary", 0, class_weight="balanced")
    assert svm.estimator.class_weight == "balanced"  # inside the calibration wrapper
    for key in ("decision_tree", "random_forest", "extra_trees", "hist_gb"):
        assert (
            get_model_spec("multiclass", key).make("multiclass", 0, class_weight="balanced").class_weight == "balanced"
        )
    assert get_model_spec("binary", "logistic").make("binary", 0).class_weight is None  # off by default
    supported = {s.key for s in get_catalog("binary") if s.supports_class_weight("binary")}
    assert supported == {"logistic", "svm", "decision_tree", "random_forest", "extra_trees", "hist_gb"}
    assert not get_model_spec("regression", "random_forest").supports_class_weight("regression")
    # Regression has no classes: the setting is ignored rather than refused.
    assert (
        get_model_spec("regression", "ridge").make("regression", 0, class_weight="balanced").get_params()["alpha"]
        == 1.0
    )
    with pytest.raises(ConfigError, match="class weight must be 'balanced' or None; got 'heavy'"):
        get_model_spec("binary", "logistic").make("binary", 0, class_weight="heavy")


@pytest.mark.parametrize("task", ["binary", "multiclass"])
@pytest.mark.parametrize("key", BINARY_KEYS)
def test_every_classifier_fits_and_predicts(task, key):
    df = make_frame(task)
    pipeline, X, y = fit_pipeline(get_model_spec(task, key), task, df)
    pred = pipeline.predict(X)
    proba = pipeline.predict_proba(X)
    assert pred.shape == (len(df),) and set(pred) <= set(y)
    assert proba.shape == (len(df), len(set(y)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    majority = pd.Series(y).value_counts(normalize=True).iloc[0]
    accuracy = float((pred == y).mean())
    if key == "baseline":
        assert accuracy == pytest.approx(majority)
    else:
        assert accuracy > majority + 0.15, (key, accuracy, majority)  # learned the planted signal


@pytest.mark.parametrize("key", REGRESSION_KEYS)
def test_every_regressor_fits_and_predicts(key):
    df = make_frame("regression")
    pipeline, X, y = fit_pipeline(get_model_spec("regression", key), "regression", df)
    pred = pipeline.predict(X)
    assert pred.shape == (len(df),) and np.isfinite(pred).all()
    r2 = 1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    if key == "baseline":
        assert r2 == pytest.approx(0.0, abs=1e-9)
    else:
        assert r2 > 0.7, (key, r2)


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_every_family_can_be_explained(task):
    from core.explain.explanations import explain_model

    df = make_frame(task, n=80)
    expected = {"baseline": "none (baseline)", "logistic": "linear", "ridge": "linear"}
    for spec in get_catalog(task):
        pipeline, X, _ = fit_pipeline(spec, task, df)
        explanation = explain_model(pipeline, X, task, model_key=spec.key, max_rows=20, background_rows=20)
        wanted = expected.get(spec.key, "tree (exact)" if spec.explainer == "tree" else "permutation")
        assert explanation.explainer == wanted, spec.key
        assert list(explanation.shap_df.columns) == ["x", "plan", "noise"]
        if not spec.is_baseline:
            assert explanation.shap_df.abs().mean().idxmax() == "x", spec.key  # the planted driver
