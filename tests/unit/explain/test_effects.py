"""Dependence plots (the interacting feature's choice, colours by category) and partial dependence /
ICE on the pipeline, checked against scikit-learn's partial_dependence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.inspection import partial_dependence
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from core.explain.dependence import (
    caption_dependence,
    choose_interaction,
    get_dependence_df,
    get_interaction_scores,
    plot_dependence,
)
from core.explain.explanations import explain_model
from core.explain.partial_dependence import (
    caption_partial_dependence,
    get_grid,
    get_partial_dependence,
    plot_partial_dependence,
)
from core.explain.result import Explanation
from tests.unit.explain.test_explain import make_binary, make_frame, make_pipeline_for


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    with threadpool_limits(limits=1):
        yield


def planted(values: dict[str, pd.Series], effects: dict[str, np.ndarray]) -> Explanation:
    n = len(next(iter(values.values())))
    return Explanation(
        shap_df=pd.DataFrame(effects),
        values_df=pd.DataFrame(values),
        base_value=0.0,
        explainer="test",
        output="predicted price",
        rows_explained=n,
        rows_available=n,
        note="",
        seconds=0.0,
    )


def test_interaction_choice_finds_the_planted_partner():
    rng = np.random.default_rng(0)
    n = 400
    x, partner, noise = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    city = pd.Series(rng.choice(["north", "south", "east"], n), dtype="str")
    # x's effect is steeper when partner is high: the spread at a given x follows partner
    expl = planted(
        {"x": pd.Series(x), "partner": pd.Series(partner), "noise": pd.Series(noise), "city": city},
        {"x": x * (1 + partner), "partner": 0.1 * partner, "noise": 0 * noise, "city": np.zeros(n)},
    )
    assert choose_interaction(expl, "x") == "partner"
    scores = get_interaction_scores(expl, "x")
    assert scores["partner"] > 0.5 > scores["noise"]
    # a categorical partner is found by its share of the residual's variance
    effect = np.where(city == "north", 2.0, -1.0) * (x > 0)
    expl2 = planted(
        {"x": pd.Series(x), "noise": pd.Series(noise), "city": city}, {"x": effect, "noise": 0 * noise, "city": 0 * x}
    )
    assert choose_interaction(expl2, "x") == "city"
    # no interaction at all: no colour
    expl3 = planted({"x": pd.Series(x), "noise": pd.Series(noise)}, {"x": 2 * x, "noise": 0 * noise})
    assert choose_interaction(expl3, "x") is None


def test_many_random_categories_do_not_win_by_chance():
    rng = np.random.default_rng(1)
    n = 300
    x = rng.normal(size=n)
    ids = pd.Series([f"c{i}" for i in rng.integers(0, 100, n)], dtype="str")
    expl = planted({"x": pd.Series(x), "ids": ids}, {"x": x + rng.normal(scale=0.3, size=n), "ids": 0 * x})
    assert get_interaction_scores(expl, "x")["ids"] < 0.3


def test_dependence_colours_categories_by_category_not_high_low():
    X, y = make_binary(300)
    pipeline = make_pipeline_for(LogisticRegression(max_iter=1000)).fit(X, y)
    expl = explain_model(pipeline, X, "binary", target_name="target", max_rows=100)
    df = get_dependence_df(expl, "x1", "c1")
    assert df.attrs["colour_kind"] == "categorical"
    figure = plot_dependence(df, "x1", "c1")
    assert sorted(trace.name for trace in figure.data) == ["a", "b", "c"]  # one legend entry per category
    assert "Higher x1 pushes the log-odds of target = yes up" in caption_dependence(df, "x1", "c1")
    numeric = plot_dependence(get_dependence_df(expl, "c1", "x1"), "c1", "x1")
    assert numeric.data[0].marker.colorbar.title.text == "x1"  # a colour scale for a number
    sentence = caption_dependence(get_dependence_df(expl, "c1", None), "c1", None)
    assert sentence.startswith("c1 = a pushes the log-odds of target = yes up most")


def test_partial_dependence_matches_sklearn_on_a_numeric_feature():
    X, y = make_binary(300)
    pipeline = make_pipeline_for(RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0, n_jobs=1)).fit(
        X, y
    )
    result = get_partial_dependence(pipeline, X, "x1", "binary", output="probability of yes", sample_rows=300)
    reference = partial_dependence(
        pipeline, X, ["x1"], kind="both", method="brute", custom_values={"x1": np.asarray(result.grid)}
    )
    np.testing.assert_allclose(result.average, reference["average"][0], atol=1e-10)
    np.testing.assert_allclose(result.ice, reference["individual"][0], atol=1e-10)
    assert len(result.grid) == 20 and result.grid[0] == pytest.approx(np.quantile(X["x1"], 0.05))
    assert result.average[-1] > result.average[0]  # x1 drives the target up
    sentence = caption_partial_dependence(result)
    assert sentence.startswith("Moving x1 from ") and "%" in sentence
    figure = plot_partial_dependence(result)
    assert figure.data[-1].name == "average (partial dependence)"


def test_partial_dependence_matches_sklearn_on_a_category_and_regression():
    X = make_frame(300)
    y = 5.0 * X["x1"] + 8.0 * (X["c1"] == "a")
    pipeline = make_pipeline_for(HistGradientBoostingRegressor(max_iter=30, random_state=0)).fit(X, y)
    result = get_partial_dependence(pipeline, X, "c1", "regression", output="predicted price", sample_rows=300)
    assert result.kind == "categorical" and set(result.grid) == {"a", "b", "c"}
    reference = partial_dependence(
        pipeline,
        X,
        ["c1"],
        kind="average",
        method="brute",
        categorical_features=["c1"],
        custom_values={"c1": np.asarray(result.grid, dtype=object)},
    )
    np.testing.assert_allclose(result.average, reference["average"][0], atol=1e-10)
    assert caption_partial_dependence(result).startswith(
        "With only c1 changed, the average predicted price is highest for a"
    )


def test_grid_for_few_values_integers_and_dates():
    assert get_grid(pd.Series([3, 1, 2, 2]))[1] == [1.0, 2.0, 3.0]
    kind, grid = get_grid(pd.Series(pd.date_range("2024-01-01", periods=100, freq="D")))
    assert kind == "date" and grid[0] >= pd.Timestamp("2024-01-05")
    X = make_frame(100).assign(count=lambda d: (d["n2"] * 3).round().astype(int))
    from sklearn.ensemble import RandomForestRegressor

    pipeline = make_pipeline_for(
        RandomForestRegressor(n_estimators=5, random_state=0), numeric=("x1", "n1", "count")
    ).fit(X, X["x1"])
    result = get_partial_dependence(pipeline, X, "count", "regression")
    assert result.ice.shape == (100, len(result.grid))
