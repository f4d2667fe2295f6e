"""Tests of core.explain (explanations, explainers, feature sources, importance, charts): explainer choice, planted drivers, additivity, aggregation, plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from core.explain import explanations as explain
from core.explain import feature_sources
from core.explain.charts import (
    caption_beeswarm,
    caption_importance,
    caption_waterfall,
    plot_beeswarm,
    plot_importance,
    plot_waterfall,
)
from core.explain.explanations import explain_model
from core.explain.importance import get_importance_df, get_waterfall_df
from core.explain.probability import to_probability, with_probabilities
from core.explain.result import Explanation
from core.workspace.errors import ConfigError, DataError

TELCO = Path(__file__).resolve().parents[3] / "sample_data" / "telco_churn.csv"


# ---------------------------------------------------------------------------- fixtures


def make_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """x1 and category "a" of c1 drive the target; n1, n2 and c2 are noise."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "n1": rng.normal(size=n),
            "c1": pd.Series(rng.choice(["a", "b", "c"], size=n), dtype="str"),
            "n2": rng.uniform(0, 10, size=n),
            "c2": pd.Series(rng.choice(["p", "q", "r", "s"], size=n), dtype="str"),
        }
    )


def make_binary(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    X = make_frame(n, seed)
    rng = np.random.default_rng(seed + 1)
    logit = 2.5 * X["x1"] + 3.0 * (X["c1"] == "a") - 1.0
    y = pd.Series(np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no"), name="target")
    return X, y


def make_regression(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    X = make_frame(n, seed)
    rng = np.random.default_rng(seed + 2)
    y = 5.0 * X["x1"] + 8.0 * (X["c1"] == "a") + rng.normal(scale=0.5, size=n)
    return X, pd.Series(y, name="price")


def make_pipeline_for(model, numeric=("x1", "n1", "n2"), categorical=("c1", "c2")) -> Pipeline:
    preprocess = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), list(numeric)),
            ("cat", OneHotEncoder(sparse_output=False, handle_unknown="ignore"), list(categorical)),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("model", model)])


CLASSIFIERS = {
    "logistic": lambda: LogisticRegression(max_iter=1000),
    "random_forest": lambda: RandomForestClassifier(
        n_estimators=40, max_depth=6, min_samples_leaf=5, random_state=0, n_jobs=1
    ),
    "hist_gb": lambda: HistGradientBoostingClassifier(max_iter=60, random_state=0),
    "decision_tree": lambda: DecisionTreeClassifier(max_depth=5, min_samples_leaf=5, random_state=0),
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # 2 shared cores: OpenMP threads of HistGradientBoosting/kNN fight for them (fit 6x slower)
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def binary_data():
    return make_binary()


@pytest.fixture(scope="module")
def fitted(binary_data):
    X, y = binary_data
    return {key: make_pipeline_for(factory()).fit(X, y) for key, factory in CLASSIFIERS.items()}


@pytest.fixture(scope="module")
def hgb_explanation(fitted, binary_data):
    X, _ = binary_data
    return explain_model(fitted["hist_gb"], X, "binary", model_key="hist_gb", target_name="target", max_rows=150)


# ---------------------------------------------------------------------------- drivers and explainer choice


@pytest.mark.parametrize(
    "key, explainer",
    [
        ("logistic", "linear"),
        ("random_forest", "tree (exact)"),
        ("hist_gb", "tree (exact)"),
        ("decision_tree", "tree (exact)"),
    ],
)
def test_planted_drivers_rank_top_two(fitted, binary_data, key, explainer):
    X, _ = binary_data
    expl = explain_model(fitted[key], X, "binary", model_key=key, target_name="target")
    importance = get_importance_df(expl)
    assert expl.explainer == explainer
    assert set(importance["feature"].head(2)) == {"x1", "c1"}
    assert importance["share"].sum() == pytest.approx(1.0)
    assert list(expl.shap_df.columns) == ["x1", "n1", "c1", "n2", "c2"]  # input columns, input order
    c1 = importance.set_index("feature").loc["c1"]
    assert c1["top_category"] == "a"
    x1 = importance.set_index("feature").loc["x1"]
    assert x1["correlation"] > 0.5 and "up" in x1["direction"]


def test_sampling_respects_max_rows_and_says_so(fitted, binary_data):
    X, _ = binary_data
    expl = explain_model(fitted["logistic"], X, "binary", max_rows=120, seed=3)
    assert expl.rows_explained == 120 and expl.rows_available == 600
    assert len(expl.shap_df) == len(expl.values_df) == 120
    assert expl.shap_df.index.equals(expl.values_df.index)
    assert expl.shap_df.index.isin(X.index).all()
    assert "120 of 600" in expl.note
    again = explain_model(fitted["logistic"], X, "binary", max_rows=120, seed=3)
    assert again.shap_df.index.equals(expl.shap_df.index)  # the seed fixes the sample


# ---------------------------------------------------------------------------- additivity and units


@pytest.mark.parametrize("key", ["random_forest", "decision_tree"])
def test_forest_shap_adds_up_to_probability(fitted, binary_data, key):
    X, _ = binary_data
    expl = explain_model(fitted[key], X, "binary", target_name="target")
    proba = fitted[key].predict_proba(X.loc[expl.shap_df.index])[:, 1]
    assert expl.output == "probability of target = yes"
    np.testing.assert_allclose(expl.predictions.to_numpy(), proba, atol=1e-6)


def test_boosting_shap_adds_up_to_log_odds(fitted, binary_data, hgb_explanation):
    X, _ = binary_data
    log_odds = fitted["hist_gb"].decision_function(X.loc[hgb_explanation.shap_df.index])
    assert hgb_explanation.output == "log-odds of target = yes"
    np.testing.assert_allclose(hgb_explanation.predictions.to_numpy(), log_odds, atol=1e-6)


def test_linear_shap_adds_up_to_log_odds(fitted, binary_data):
    X, _ = binary_data
    expl = explain_model(fitted["logistic"], X, "binary", target_name="target")
    log_odds = fitted["logistic"].decision_function(X.loc[expl.shap_df.index])
    assert expl.output == "log-odds of target = yes"
    np.testing.assert_allclose(expl.predictions.to_numpy(), log_odds, atol=1e-6)


def test_negative_class_index_explains_the_other_class(fitted, binary_data):
    X, _ = binary_data
    expl = explain_model(fitted["hist_gb"], X, "binary", positive_class_index=0, target_name="target")
    log_odds_of_no = -fitted["hist_gb"].decision_function(X.loc[expl.shap_df.index])
    assert expl.output == "log-odds of target = no"
    np.testing.assert_allclose(expl.predictions.to_numpy(), log_odds_of_no, atol=1e-6)


def test_one_hot_shap_is_summed_into_its_source_column(fitted, binary_data, hgb_explanation):
    import shap

    X, _ = binary_data
    pipeline = fitted["hist_gb"]
    encoded = pipeline[:-1].transform(X.loc[hgb_explanation.shap_df.index])
    raw = shap.TreeExplainer(pipeline[-1]).shap_values(encoded)
    names = list(pipeline[:-1].get_feature_names_out())
    c1_columns = [i for i, name in enumerate(names) if name.startswith("cat__c1_")]
    assert len(c1_columns) == 3
    np.testing.assert_allclose(hgb_explanation.shap_df["c1"].to_numpy(), raw[:, c1_columns].sum(axis=1), atol=1e-9)
    np.testing.assert_allclose(hgb_explanation.shap_df["x1"].to_numpy(), raw[:, names.index("num__x1")], atol=1e-9)


def test_fallback_feature_sources_match_prefix_free_names():
    X, y = make_binary(200)
    preprocess = ColumnTransformer(
        [
            ("num", StandardScaler(), ["x1", "n1"]),
            ("cat", OneHotEncoder(sparse_output=False), ["c1", "c2"]),
        ],
        verbose_feature_names_out=False,
    ).fit(X, y)
    mapping = feature_sources.fallback_output_feature_sources(preprocess, list(X.columns))
    assert mapping["c1_a"] == "c1" and mapping["c2_s"] == "c2" and mapping["x1"] == "x1"
    assert set(mapping) == set(preprocess.get_feature_names_out())


# ---------------------------------------------------------------------------- other families and tasks


def test_regression_linear_and_tree():
    X, y = make_regression(400)
    for model, explainer in [
        (Ridge(), "linear"),
        (HistGradientBoostingRegressor(max_iter=60, random_state=0), "tree (exact)"),
    ]:
        pipeline = make_pipeline_for(model).fit(X, y)
        expl = explain_model(pipeline, X, "regression", target_name="price", max_rows=100)
        assert expl.explainer == explainer
        assert expl.output == "predicted price"
        np.testing.assert_allclose(expl.predictions.to_numpy(), pipeline.predict(X.loc[expl.shap_df.index]), atol=1e-6)
        assert set(get_importance_df(expl)["feature"].head(2)) == {"x1", "c1"}


def test_baseline_returns_zeros_and_its_constant_prediction(binary_data):
    X, y = binary_data
    pipeline = make_pipeline_for(DummyClassifier()).fit(X, y)
    expl = explain_model(pipeline, X, "binary", model_key="baseline", target_name="target")
    assert expl.explainer == "none (baseline)"
    assert (expl.shap_df.to_numpy() == 0).all() and expl.shap_df.shape == (200, 5)
    assert expl.base_value == pytest.approx((y == "yes").mean())
    assert "ignores the features" in expl.note
    assert "ignores every feature" in caption_importance(get_importance_df(expl), expl)
    regression = make_pipeline_for(DummyRegressor()).fit(*make_regression(100))
    assert explain_model(regression, make_frame(100), "regression").shap_df.abs().sum().sum() == 0


def test_permutation_for_knn_is_additive_and_finds_the_drivers(binary_data):
    X, y = binary_data
    X = X.copy()
    X.loc[X.index[:40], "n1"] = np.nan  # gaps in the input must survive the masking
    pipeline = make_pipeline_for(KNeighborsClassifier(n_neighbors=15)).fit(X, y)
    expl = explain_model(pipeline, X, "binary", model_key="knn", target_name="target", time_budget_seconds=None)
    assert expl.explainer == "permutation"
    assert expl.rows_explained == explain.PERMUTATION_MAX_ROWS  # few rows on purpose
    proba = pipeline.predict_proba(X.loc[expl.shap_df.index])[:, 1]
    np.testing.assert_allclose(expl.predictions.to_numpy(), proba, atol=1e-9)
    assert set(get_importance_df(expl)["feature"].head(2)) == {"x1", "c1"}


def test_multiclass_explains_the_chosen_class():
    X = make_frame(500)
    y = pd.Series(np.select([X["x1"] > 0.6, X["c1"] == "a"], ["high", "a-ish"], "other"))
    pipeline = make_pipeline_for(RandomForestClassifier(n_estimators=30, max_depth=6, random_state=0)).fit(X, y)
    index = list(pipeline.classes_).index("high")
    expl = explain_model(pipeline, X, "multiclass", positive_class_index=index, target_name="level", max_rows=80)
    proba = pipeline.predict_proba(X.loc[expl.shap_df.index])[:, index]
    np.testing.assert_allclose(expl.predictions.to_numpy(), proba, atol=1e-6)
    assert expl.output == "probability of level = high"
    assert "Explains class high" in expl.note
    assert get_importance_df(expl)["feature"].iloc[0] == "x1"


def test_tight_time_budget_caps_forest_rows_and_notes_it(binary_data):
    X, y = binary_data
    forest = make_pipeline_for(
        RandomForestClassifier(n_estimators=150, max_depth=10, min_samples_leaf=5, random_state=0, n_jobs=1)
    ).fit(X, y)
    expl = explain_model(forest, X, "binary", max_rows=300, time_budget_seconds=0.05)
    assert explain.MIN_ROWS <= expl.rows_explained < 300
    assert "fewer rows to keep the explanation fast" in expl.note
    assert "150 trees of depth ≤ 10" in expl.note


def test_invalid_arguments_raise_domain_errors(fitted, binary_data):
    X, _ = binary_data
    with pytest.raises(ConfigError, match="task"):
        explain_model(fitted["logistic"], X, "ranking")
    with pytest.raises(ConfigError, match="positive_class_index"):
        explain_model(fitted["logistic"], X, "binary", positive_class_index=2)
    with pytest.raises(DataError, match="no rows"):
        explain_model(fitted["logistic"], X.iloc[:0], "binary")
    with pytest.raises(ConfigError, match="trained"):
        explain_model(make_pipeline_for(LogisticRegression()), X, "binary")


# ---------------------------------------------------------------------------- persistence


def test_to_dict_from_dict_round_trip(binary_data, fitted):
    X, _ = binary_data
    X = X.copy()
    X.loc[X.index[0], "n1"] = np.nan
    expl = explain_model(fitted["hist_gb"], X, "binary", target_name="target", max_rows=50)
    restored = Explanation.from_dict(json.loads(json.dumps(expl.to_dict())))
    pd.testing.assert_frame_equal(restored.shap_df, expl.shap_df)
    pd.testing.assert_frame_equal(restored.values_df, expl.values_df)
    for name in ("base_value", "explainer", "output", "rows_explained", "rows_available", "note", "seconds"):
        assert getattr(restored, name) == getattr(expl, name)
    with pytest.raises(DataError, match="compute the explanation again"):
        Explanation.from_dict({"shap": {}})


# ---------------------------------------------------------------------------- plots and captions


def test_importance_plot_and_caption(hgb_explanation):
    importance = get_importance_df(hgb_explanation)
    figure = plot_importance(importance, top=3)
    assert isinstance(figure, go.Figure)
    assert list(figure.data[0].y) == list(importance["feature"].head(3))[::-1]  # most important on top
    caption = caption_importance(importance, hgb_explanation)
    top = importance["feature"].iloc[0]
    assert caption.startswith(f"{top} drives the log-odds of target = yes most")
    assert f"{importance['share'].iloc[0]:.0%}" in caption


def test_importance_bars_speak_one_unit_and_plain_words(hgb_explanation, fitted, binary_data):
    """Bars labelled "30%" (a share) on an axis of probability points mixed two units."""
    X, _ = binary_data
    shown = to_probability(with_probabilities(hgb_explanation, fitted["hist_gb"], X))
    importance = get_importance_df(shown)
    assert importance.attrs["output"].startswith("probability of")
    bars = plot_importance(importance, top=3)
    top = importance.head(3).iloc[::-1]
    assert list(bars.data[0].x) == pytest.approx(list(100 * top["mean_abs_shap"]))
    assert all(text.endswith(" pts") for text in bars.data[0].text)
    assert "percentage points" in bars.layout.xaxis.title.text
    assert "SHAP" not in bars.layout.title.text and "average effect" in bars.layout.title.text
    assert "SHAP" in caption_importance(importance, shown)


def test_beeswarm_plot_and_caption(hgb_explanation):
    importance = get_importance_df(hgb_explanation)
    figure = plot_beeswarm(hgb_explanation, top=4)
    points = figure.data[0]
    assert len(points.x) == 4 * hgb_explanation.rows_explained
    assert list(figure.layout.yaxis.ticktext) == list(importance["feature"].head(4))
    colours = np.asarray(points.marker.color, dtype=float)
    assert colours.min() >= 0 and colours.max() <= 1
    assert importance["feature"].iloc[0] in caption_beeswarm(hgb_explanation, importance)


def test_waterfall_df_plot_and_caption(hgb_explanation):
    waterfall = get_waterfall_df(hgb_explanation, row=0, top=3)
    assert list(waterfall["feature"])[-1] == "other features" and len(waterfall) == 4
    assert waterfall["shap"].sum() == pytest.approx(hgb_explanation.shap_df.iloc[0].sum())
    assert waterfall["shap"].iloc[:3].abs().is_monotonic_decreasing
    figure = plot_waterfall(waterfall, hgb_explanation.base_value)
    assert list(figure.data[0].measure) == ["absolute", "relative", "relative", "relative", "relative", "total"]
    prediction = hgb_explanation.predictions.iloc[0]
    assert figure.data[0].x[-1] == pytest.approx(prediction)
    caption = caption_waterfall(waterfall, hgb_explanation.base_value, prediction)
    assert f"{prediction:.3g}" in caption
    assert waterfall["label"].iloc[0] in caption or waterfall["label"].iloc[1] in caption
    with pytest.raises(ConfigError, match="row"):
        get_waterfall_df(hgb_explanation, row=10_000)


# ---------------------------------------------------------------------------- the real sample


@pytest.mark.skipif(not TELCO.exists(), reason="sample_data/telco_churn.csv is not there yet")
def test_telco_hist_gb_finds_the_planted_drivers():
    frame = pd.read_csv(TELCO).dropna(subset=["churn"]).drop(columns=["customer_id", "signup_date"])
    frame["total_charges"] = pd.to_numeric(frame["total_charges"], errors="coerce")
    y = frame.pop("churn")
    numeric = [c for c in frame if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in frame if c not in numeric]
    pipeline = make_pipeline_for(HistGradientBoostingClassifier(random_state=0), numeric, categorical)
    train, holdout = frame.iloc[:5600], frame.iloc[5600:]
    pipeline.fit(train, y.iloc[:5600])
    expl = explain_model(pipeline, holdout, "binary", model_key="hist_gb", target_name="churn")
    ranking = list(get_importance_df(expl)["feature"])
    assert {"contract", "tenure_months", "support_calls"} <= set(ranking[:4])
    assert "gender" not in ranking[:5]
