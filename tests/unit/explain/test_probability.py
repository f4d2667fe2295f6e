"""Explanations in probability points: base + contributions equal the model's probability for the
row (binary and multiclass; tree and linear explainers), signs kept, readable numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_limits

from core.explain.charts import caption_waterfall, plot_waterfall
from core.explain.explanations import explain_model
from core.explain.importance import get_waterfall_df
from core.explain.probability import (
    SPACE_LOG_ODDS,
    SPACE_PROBABILITY,
    SPACE_RAW_SCORE,
    describe_space,
    format_effect,
    format_output,
    get_space,
    split_change,
    to_probability,
    with_probabilities,
)
from core.explain.result import Explanation
from tests.unit.explain.test_explain import make_binary, make_frame, make_pipeline_for


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    with threadpool_limits(limits=1):
        yield


BINARY_MODELS = {
    "logistic": (lambda: LogisticRegression(max_iter=1000), SPACE_LOG_ODDS),
    "hist_gb": (lambda: HistGradientBoostingClassifier(max_iter=40, random_state=0), SPACE_LOG_ODDS),
    "random_forest": (
        lambda: RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0, n_jobs=1),
        SPACE_PROBABILITY,
    ),
    "knn": (lambda: KNeighborsClassifier(15), SPACE_PROBABILITY),
}


def _check_sums(expl: Explanation, pipeline, X: pd.DataFrame, class_index: int) -> Explanation:
    points = to_probability(with_probabilities(expl, pipeline, X))
    assert get_space(points) == SPACE_PROBABILITY
    proba = pipeline.predict_proba(X.loc[points.shap_df.index])[:, class_index]
    np.testing.assert_allclose(points.base_value + points.shap_df.sum(axis=1).to_numpy(), proba, atol=1e-6)
    assert 0 <= points.base_value <= 1
    return points


@pytest.mark.parametrize("key", list(BINARY_MODELS))
def test_binary_contributions_sum_to_the_models_probability(key):
    X, y = make_binary(400)
    factory, space = BINARY_MODELS[key]
    pipeline = make_pipeline_for(factory()).fit(X, y)
    expl = explain_model(pipeline, X, "binary", model_key=key, target_name="target", max_rows=60)
    assert get_space(expl) == space
    points = _check_sums(expl, pipeline, X, 1)
    assert points.output == "probability of target = yes"
    if space == SPACE_LOG_ODDS:
        # the probability of an average row is the logistic of the average log-odds
        assert points.base_value == pytest.approx(1 / (1 + np.exp(-expl.base_value)))
        # signs kept: the split is proportional to the log-odds effects
        same = np.sign(points.shap_df.to_numpy()) == np.sign(expl.shap_df.to_numpy())
        assert same.mean() > 0.95
        assert "log-odds" in describe_space(points)


def test_binary_other_class_sums_too():
    X, y = make_binary(300)
    pipeline = make_pipeline_for(LogisticRegression(max_iter=1000)).fit(X, y)
    expl = explain_model(pipeline, X, "binary", positive_class_index=0, max_rows=40)
    _check_sums(expl, pipeline, X, 0)


@pytest.mark.parametrize(
    "model, space",
    [
        (lambda: LogisticRegression(max_iter=1000), SPACE_RAW_SCORE),
        (lambda: HistGradientBoostingClassifier(max_iter=30, random_state=0), SPACE_RAW_SCORE),
        (lambda: RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0, n_jobs=1), SPACE_PROBABILITY),
    ],
)
@pytest.mark.parametrize("class_name", ["high", "other"])
def test_multiclass_contributions_sum_to_the_models_probability(model, space, class_name):
    X = make_frame(400)
    y = pd.Series(np.select([X["x1"] > 0.6, X["c1"] == "a"], ["high", "a-ish"], "other"))
    pipeline = make_pipeline_for(model()).fit(X, y)
    index = list(pipeline.classes_).index(class_name)
    expl = explain_model(pipeline, X, "multiclass", positive_class_index=index, target_name="level", max_rows=60)
    assert get_space(expl) == space
    points = _check_sums(expl, pipeline, X, index)
    if space == SPACE_RAW_SCORE:  # the average predicted probability of the class
        assert points.base_value == pytest.approx(pipeline.predict_proba(X)[:, index].mean())


def test_split_change_keeps_the_sum_when_directions_disagree():
    effects = np.array([0.5, -0.2, 0.1])
    np.testing.assert_allclose(split_change(effects, 0.3, 0.5), effects / 0.4 * 0.2)
    # raw effects sum up but the probability went down (multiclass): shared by size, sum kept
    shared = split_change(effects, 0.5, 0.3)
    assert shared.sum() == pytest.approx(-0.2)
    np.testing.assert_allclose(shared, -0.2 * np.abs(effects) / 0.8)
    assert split_change(np.zeros(3), 0.4, 0.4).tolist() == [0, 0, 0]
    assert split_change(np.zeros(2), 0.4, 0.5).sum() == pytest.approx(0.1)


def test_round_trip_keeps_the_probabilities():
    X, y = make_binary(200)
    pipeline = make_pipeline_for(LogisticRegression(max_iter=1000)).fit(X, y)
    expl = with_probabilities(explain_model(pipeline, X, "binary", max_rows=20), pipeline, X)
    again = Explanation.from_dict(expl.to_dict())
    np.testing.assert_allclose(
        to_probability(again).shap_df.to_numpy(), to_probability(expl).shap_df.to_numpy(), atol=1e-12
    )


def test_regression_stays_in_its_units():
    from sklearn.linear_model import Ridge

    X = make_frame(200)
    y = 170_000 + 20_000 * X["x1"]
    pipeline = make_pipeline_for(Ridge()).fit(X, y)
    expl = with_probabilities(explain_model(pipeline, X, "regression", target_name="price", max_rows=10), pipeline, X)
    assert to_probability(expl) is expl
    waterfall = get_waterfall_df(expl, 0)
    figure = plot_waterfall(waterfall, expl.base_value)
    texts = list(figure.data[0].text)
    assert not any("e+" in t or "e-" in t for t in texts)
    assert "," in texts[0]  # 170,xxx with a thousands separator
    assert "e+" not in caption_waterfall(waterfall, expl.base_value)


def test_probability_waterfall_speaks_in_percent():
    X, y = make_binary(300)
    pipeline = make_pipeline_for(LogisticRegression(max_iter=1000)).fit(X, y)
    expl = to_probability(
        with_probabilities(explain_model(pipeline, X, "binary", target_name="churn", max_rows=5), pipeline, X)
    )
    waterfall = get_waterfall_df(expl, 0)
    sentence = caption_waterfall(waterfall, expl.base_value)
    assert sentence.startswith("The model's estimate of churn = yes goes from ")
    assert "%" in sentence and "pts" in sentence
    texts = list(plot_waterfall(waterfall, expl.base_value).data[0].text)
    assert texts[0].endswith("%") and texts[-1].endswith("%")
    assert all(t.endswith(" pts") for t in texts[1:-1])


def test_an_effect_that_rounds_to_nothing_is_not_named_as_pushing_most():
    waterfall = pd.DataFrame(
        {
            "feature": ["monthly_charges", "contract"],
            "label": ["monthly_charges = 1e9", "contract = Month-to-month"],
            "shap": [-0.56, 1e-9],
        }
    )
    waterfall.attrs["output"] = "probability of churn = Yes"
    sentence = caption_waterfall(waterfall, 0.57)
    assert "pushes it up most" not in sentence and "0.0 pts" not in sentence
    assert "monthly_charges = 1e9 pulls it down most (-56.0 pts)" in sentence


@pytest.mark.parametrize(
    "value, space, text",
    [
        (0.12, SPACE_PROBABILITY, "+12.0 pts"),
        (-0.2345, SPACE_PROBABILITY, "-23.4 pts"),
        (0.0001234, SPACE_PROBABILITY, "+0.012 pts"),
        (-6.8e-15, SPACE_PROBABILITY, "0.0 pts"),
        (-5e-07, SPACE_PROBABILITY, "0.0 pts"),
        (172_000.4, "value", "+172,000.4"),
        (-0.51834, "value", "-0.518"),
        (1.2e-05, "value", "+0.000012"),
        (0.0, "value", "0"),
        (-3e-15, "value", "0"),
    ],
)
def test_format_effect(value, space, text):
    assert format_effect(value, space) == text


def test_format_output():
    assert format_output(0.64, SPACE_PROBABILITY) == "64%"
    assert format_output(172_000.0, "value") == "172,000"
