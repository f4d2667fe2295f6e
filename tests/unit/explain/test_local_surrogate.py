"""The LIME-style local surrogate beside one row's SHAP (core.explain.local_surrogate): on a linear
model, where the truth is known, both find each feature's effect; where they agree, in a sentence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core.explain.charts_local import caption_local_methods, get_local_methods_df, plot_local_methods
from core.explain.counterfactual import DecisionModel
from core.explain.local_surrogate import compare_local_methods, explain_row, fit_local_surrogate
from core.stages.local_explain import explain_locally
from core.workspace.errors import DataError

COEFFICIENTS = {"a": 3.0, "b": -2.0, "c": 0.5, "d": 0.0}


@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=800),
            "b": 2 * rng.normal(size=800),
            "c": rng.uniform(0, 10, 800),
            "d": rng.normal(size=800),
        }
    )
    y = sum(w * X[f] for f, w in COEFFICIENTS.items())
    pipeline = make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
    row = pd.DataFrame({"a": [1.5], "b": [2.5], "c": [9.0], "d": [-1.0]})
    # The effect of each feature's own value against a typical one: w * (x - mean), exactly.
    truth = pd.Series({f: w * (row[f].iloc[0] - X[f].mean()) for f, w in COEFFICIENTS.items()})
    return X, pipeline, row, truth


def test_surrogate_recovers_the_known_effects_of_a_linear_model(linear):
    X, pipeline, row, truth = linear
    surrogate = fit_local_surrogate(pipeline.predict, row, X, seed=0)
    assert list(surrogate.contributions.index) == list(X.columns)
    np.testing.assert_allclose(surrogate.contributions[truth.index], truth, atol=0.15 * truth.abs().max())
    assert surrogate.r2 > 0.5
    again = fit_local_surrogate(pipeline.predict, row, X, seed=0)
    pd.testing.assert_series_equal(surrogate.contributions, again.contributions)  # seeded: repeatable


def test_row_shap_adds_up_and_matches_the_truth(linear):
    X, pipeline, row, truth = linear
    shap, base = explain_row(pipeline, row, X, "regression")
    assert base + shap.sum() == pytest.approx(pipeline.predict(row)[0], rel=1e-6)
    np.testing.assert_allclose(shap[truth.index], truth, atol=0.1 * truth.abs().max())


def test_both_methods_agree_on_a_linear_model(linear):
    X, pipeline, row, _ = linear
    shap, _ = explain_row(pipeline, row, X, "regression")
    surrogate = fit_local_surrogate(pipeline.predict, row, X)
    agreement = compare_local_methods(shap, surrogate.contributions)
    assert agreement.top_shap[:2] == ("b", "a") and set(agreement.shared_top) == set(agreement.top_shap)
    assert agreement.opposite_sign == () and agreement.rank_correlation > 0.7
    sentence = caption_local_methods(agreement, surrogate)
    assert sentence.startswith("Both methods name the same 3 strongest features for this row (b, a, c)")
    assert "agree on the direction of each" in sentence and "rank correlation" in sentence


def test_disagreement_is_named():
    shap = pd.Series({"x": 0.3, "y": -0.2, "z": 0.01, "w": 0.005})
    other = pd.Series({"x": 0.25, "y": 0.1, "z": 0.02, "w": -0.3})
    agreement = compare_local_methods(shap, other)
    assert agreement.opposite_sign == ("y", "w")
    assert agreement.shared_top == ("x", "y")

    class Fit:
        r2 = 0.2

    sentence = caption_local_methods(agreement, Fit())  # type: ignore[arg-type]
    assert "share 2 of their 3 strongest features (x, y)" in sentence
    assert "disagree on the direction of y, w" in sentence and "trust SHAP where they differ" in sentence


def test_classification_is_explained_in_probability_with_a_chart():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"x": rng.normal(size=500), "color": pd.Series(rng.choice(["red", "blue"], 500), dtype="str")})
    y = ((X["x"] + 1.5 * (X["color"] == "red") + rng.normal(scale=0.5, size=500)) > 0.7).astype(int)
    pre = ColumnTransformer([("n", StandardScaler(), ["x"]), ("c", OneHotEncoder(), ["color"])])
    pipeline = Pipeline([("pre", pre), ("m", LogisticRegression())]).fit(X, y)
    model = DecisionModel.from_pipeline(pipeline, "binary", class_names=["no", "yes"])
    row = pd.DataFrame({"x": [1.0], "color": pd.Series(["red"], dtype="str")})
    local = explain_locally(pipeline, model, row, X)
    assert local.units == "probability" and local.explained == "probability of 'yes'"
    assert local.base_value + local.shap.sum() == pytest.approx(pipeline.predict_proba(row)[0, 1], rel=1e-6)
    assert (local.shap > 0).all() and (local.surrogate.contributions > 0).all()
    table = get_local_methods_df(local.shap, local.surrogate)
    assert list(table.columns) == ["feature", "SHAP", "local surrogate"]
    spec = json.loads(plot_local_methods(table, local.units).to_json())
    assert [t["name"] for t in spec["data"]] == ["SHAP", "local surrogate"]
    assert "points" in spec["layout"]["xaxis"]["title"]["text"]


def test_one_row_only(linear):
    X, pipeline, _, _ = linear
    with pytest.raises(DataError, match="exactly one row"):
        fit_local_surrogate(pipeline.predict, X.head(2), X)


def test_a_model_that_ignores_its_inputs_has_no_effect_to_compare(linear):
    from sklearn.dummy import DummyRegressor

    X, _, row, _ = linear
    dummy = make_pipeline(StandardScaler(), DummyRegressor()).fit(X, X["a"] * 0 + 5.0)
    shap, _ = explain_row(dummy, row, X, "regression")
    surrogate = fit_local_surrogate(dummy.predict, row, X)
    agreement = compare_local_methods(shap, surrogate.contributions)
    assert agreement.no_effect
    assert caption_local_methods(agreement, surrogate).startswith("Neither method finds any effect")
