"""Tests of core.evaluation.robustness: score under noise and with a column missing, on small sklearn pipelines."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core.evaluation.charts_checks import caption_robustness, plot_robustness
from core.evaluation.robustness import get_input_columns, get_robustness_df
from core.workspace.errors import ConfigError, DataError


def make_pipeline_for(numeric, categorical, model):
    preprocess = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing"), OneHotEncoder(handle_unknown="ignore")
                ),
                categorical,
            ),
        ],
        remainder="drop",
    )
    return Pipeline([("preprocess", preprocess), ("model", model)])


def planted_data(n=600, seed=0):
    """``driver`` decides the outcome, ``helper`` a little, ``noise`` and ``colour`` not at all."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "row_id": np.arange(n),  # not read by the pipeline
            "driver": rng.normal(0, 1, n),
            "helper": rng.normal(0, 1, n),
            "noise": rng.normal(0, 1, n),
            "colour": rng.choice(["red", "blue"], n),
        }
    )
    signal = 2.0 * X["driver"] + 0.5 * X["helper"] + rng.normal(0, 0.5, n)
    return X, signal


@pytest.fixture(scope="module")
def classifier_case():
    X, signal = planted_data()
    y = (signal > 0).astype(int).to_numpy()
    pipeline = make_pipeline_for(["driver", "helper", "noise"], ["colour"], LogisticRegression())
    pipeline.fit(X.iloc[:400], y[:400])
    return pipeline, X.iloc[400:], y[400:]


def test_input_columns_are_the_ones_the_pipeline_reads(classifier_case):
    pipeline, X, _ = classifier_case
    assert get_input_columns(pipeline, X) == ["driver", "helper", "noise", "colour"]


def test_missing_the_planted_driver_hurts_most(classifier_case):
    pipeline, X, y = classifier_case
    df = get_robustness_df(pipeline, X, y, "roc_auc")
    clean = roc_auc_score(y, pipeline.predict_proba(X)[:, 1])
    assert df.iloc[0][["scenario", "kind"]].tolist() == ["No change", "clean"]
    assert df.iloc[0]["value"] == pytest.approx(clean)
    assert df["scenario"].tolist()[1:4] == ["Noise 5%", "Noise 10%", "Noise 20%"]
    missing = df[df["kind"] == "missing"]
    assert missing["column"].tolist()[0] == "driver"
    assert set(missing["column"]) == {"driver", "helper", "noise", "colour"}  # not row_id
    assert missing["harm"].is_monotonic_decreasing
    assert missing.iloc[0]["value"] < 0.7 < clean  # without the driver the model is close to guessing
    assert missing.iloc[0]["change"] == pytest.approx(missing.iloc[0]["value"] - clean)
    assert missing.iloc[0]["harm"] == pytest.approx(-missing.iloc[0]["change"])
    noise = df[df["kind"] == "noise"].set_index("noise_level")
    assert noise.loc[0.2, "harm"] > 0  # 20% noise on the driver blurs the decision


def test_caption_and_plot(classifier_case):
    pipeline, X, y = classifier_case
    df = get_robustness_df(pipeline, X, y, "roc_auc")
    worst = df[df["kind"] == "missing"].iloc[0]
    caption = caption_robustness(df, "roc_auc")
    assert caption.startswith("Adding 10% noise to the numbers ")
    assert caption.endswith(f"; losing 'driver' costs the most: −{abs(worst['change']):.2f}.")
    fig = plot_robustness(df, "roc_auc")
    assert isinstance(fig, go.Figure)
    assert fig.layout.template.layout.paper_bgcolor == "white" and fig.layout.height <= 450
    assert list(fig.data[0].y) == df["scenario"].tolist()[1:]
    assert list(fig.data[0].x) == pytest.approx(df["change"].tolist()[1:])
    assert fig.data[0].marker.color[list(fig.data[0].y).index("Missing: driver")] == "#dc2626"


def test_given_columns_and_a_lower_is_better_metric():
    X, signal = planted_data(seed=1)
    y = signal.to_numpy()
    pipeline = make_pipeline_for(["driver", "helper", "noise"], ["colour"], LinearRegression())
    pipeline.fit(X.iloc[:400], y[:400])
    df = get_robustness_df(pipeline, X.iloc[400:], y[400:], "rmse", columns=["helper", "driver"], noise_levels=(0.5,))
    missing = df[df["kind"] == "missing"]
    assert missing["column"].tolist() == ["driver", "helper"]
    assert (missing["change"] > 0).all() and (missing["harm"] == missing["change"]).all()  # RMSE goes up = worse
    caption = caption_robustness(df, "rmse")
    assert caption.startswith("Adding 50% noise to the numbers raises RMSE by ")
    assert f"losing 'driver' costs the most: +{missing.iloc[0]['change']:.2f}." in caption


def test_a_text_column_can_go_missing():
    X, signal = planted_data(seed=2)
    y = (X["colour"] == "red").astype(int).to_numpy()  # the colour alone decides
    X = X.assign(colour=X["colour"].astype("str"))
    pipeline = make_pipeline_for(["driver"], ["colour"], LogisticRegression()).fit(X, y)
    df = get_robustness_df(pipeline, X, y, "accuracy", noise_levels=())
    assert df["kind"].tolist() == ["clean", "missing", "missing"]
    assert df.iloc[0]["value"] == 1.0
    assert df.set_index("scenario").loc["Missing: colour", "value"] < 0.6  # back to guessing
    assert df.set_index("scenario").loc["Missing: driver", "value"] == 1.0
    assert caption_robustness(df, "accuracy").startswith("Losing 'colour' costs the most: −")


def test_refuses_bad_input(classifier_case):
    pipeline, X, y = classifier_case
    with pytest.raises(ConfigError, match="Robustness can be measured"):
        get_robustness_df(pipeline, X, y, "median_error")
    with pytest.raises(ConfigError, match="Noise levels"):
        get_robustness_df(pipeline, X, y, "roc_auc", noise_levels=(-0.1,))
    with pytest.raises(DataError, match="rows"):
        get_robustness_df(pipeline, X, y[:5], "roc_auc")
    with pytest.raises(DataError, match="not in the table"):
        get_robustness_df(pipeline, X, y, "roc_auc", columns=["nope"])
