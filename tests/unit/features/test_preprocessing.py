"""Tests of core.features.preprocessing: kinds, suggestions, the preprocessor, output→input mapping, DateParts."""

import io

import joblib
import numpy as np
import pandas as pd
import pytest

from core.features.preprocessing import (
    DateParts,
    FeatureConfig,
    build_preprocessor,
    describe_feature_set,
    get_feature_kinds,
    get_output_feature_sources,
    suggest_features,
)
from core.problem.definition import ProblemConfig
from core.workspace.errors import ConfigError, DataError

PROBLEM = ProblemConfig(target="churn", task="binary", positive_class="Yes")


@pytest.fixture
def frame():
    n = 60
    rng = np.random.default_rng(1)
    plans = pd.Series(rng.choice(["Basic", "Plus", "Pro"], size=n), dtype="str")
    plans[[2, 7]] = np.nan  # pandas 3 `str` column with NaN
    return pd.DataFrame(
        {
            "customer_id": [f"{1000 + i}-ABCDE" for i in range(n)],
            "row_number": np.arange(n),
            "signup_date": pd.Series(
                pd.date_range("2023-01-01", periods=n, freq="6D").strftime("%Y-%m-%d"), dtype="str"
            ),
            "plan": plans,
            "age": np.where(np.arange(n) % 9 == 0, np.nan, rng.integers(18, 80, size=n).astype(float)),
            "spend": rng.lognormal(3, 1.2, size=n).round(2),
            "constant": ["same"] * n,
            "churn": rng.choice(["Yes", "No"], size=n),
        }
    )


def test_suggest_features_drops_ids_and_constants_and_logs_skewed(frame):
    config = suggest_features(frame, PROBLEM)
    assert set(config.drop_columns) == {"customer_id", "row_number", "constant"}
    assert config.log_columns == ("spend",)
    assert "age" not in config.log_columns  # not skewed


def test_feature_kinds_on_crafted_frame(frame):
    config = suggest_features(frame, PROBLEM)
    kinds = get_feature_kinds(frame, PROBLEM, config)
    assert kinds == {
        "numeric": ["age", "spend"],
        "categorical": ["plan"],
        "datetime": ["signup_date"],
        "dropped": ["customer_id", "row_number", "constant"],
    }
    no_dates = get_feature_kinds(frame, PROBLEM, FeatureConfig(date_parts=False))
    assert "signup_date" in no_dates["dropped"]


def test_preprocessor_output_names_and_values(frame):
    config = suggest_features(frame, PROBLEM)
    pre = build_preprocessor(frame, PROBLEM, config)
    assert not hasattr(pre, "transformers_")  # unfitted
    X = frame.drop(columns=["churn"])
    out = pre.fit_transform(X)
    names = list(pre.get_feature_names_out())
    assert names == [  # numbers, log-scaled numbers, categories, then each date column
        "age",
        "spend",
        "plan_Basic",
        "plan_Plus",
        "plan_Pro",
        "plan_missing",
        "signup_date_year",
        "signup_date_month",
        "signup_date_dayofweek",
        "signup_date_days_since_1970",
    ]
    assert out.shape == (len(frame), len(names)) and np.isfinite(out).all()
    # Missing plan becomes its own category; missing age is imputed then scaled (mean ≈ 0).
    assert out[2, names.index("plan_missing")] == 1.0
    assert abs(out[:, names.index("age")].mean()) < 1e-9
    # spend was log-transformed before scaling: it is far less skewed than the raw values.
    assert pd.Series(out[:, names.index("spend")]).skew() < pd.Series(frame["spend"]).skew() / 2


def test_preprocessor_tolerates_unseen_categories_and_missing_at_serving_time(frame):
    config = suggest_features(frame, PROBLEM)
    pre = build_preprocessor(frame, PROBLEM, config).fit(frame.drop(columns=["churn"]))
    names = list(pre.get_feature_names_out())
    serving = pd.DataFrame(
        {
            "signup_date": pd.Series(["2025-06-01", None], dtype="str"),
            "plan": pd.Series(["Enterprise", None], dtype="str"),  # never seen in training
            "age": [40.0, np.nan],
            "spend": [12.5, -3.0],  # a negative value must not produce NaN through log1p
        }
    )  # dropped columns (customer_id, ...) are not needed at serving time
    out = pre.transform(serving)
    assert out.shape == (2, len(names)) and np.isfinite(out).all()
    plan_columns = [i for i, n in enumerate(names) if n.startswith("plan_") and n != "plan_missing"]
    assert out[0, plan_columns].sum() == 0.0  # unseen → no known category switched on
    assert out[1, names.index("plan_missing")] == 1.0


def test_output_feature_sources_map_back_to_input_columns(frame):
    config = suggest_features(frame, PROBLEM)
    pre = build_preprocessor(frame, PROBLEM, config).fit(frame.drop(columns=["churn"]))
    sources = get_output_feature_sources(pre)
    assert list(sources) == list(pre.get_feature_names_out())
    assert sources["plan_Basic"] == sources["plan_missing"] == "plan"
    assert sources["signup_date_month"] == "signup_date"
    assert sources["age"] == "age"
    assert set(sources.values()) == {"signup_date", "plan", "age", "spend"}


def test_output_sources_with_tricky_column_names():
    # "plan" and "plan_type" share a prefix; one column is named like a ColumnTransformer parameter.
    df = pd.DataFrame(
        {
            "plan": ["a", "b"] * 15,
            "plan_type": ["a_x", "b"] * 15,
            "remainder": np.arange(30.0),
            "churn": ["Yes", "No", "No"] * 10,
        }
    )
    pre = build_preprocessor(df, PROBLEM, FeatureConfig()).fit(df.drop(columns=["churn"]))
    sources = get_output_feature_sources(pre)
    assert sources["plan_type_a_x"] == "plan_type"
    assert sources["plan_a"] == "plan"
    assert sources["remainder"] == "remainder"


def test_one_hot_outputs_are_traced_to_their_column_even_when_names_mislead():
    # "plan" = "a_y" and "plan_a" = "x" both read "plan_a_…": the longest-prefix guess would say
    # plan_a for "plan_a_y". The categories step is shared, so the owner must come from the encoder.
    df = pd.DataFrame(
        {
            "plan": ["a_y", "b"] * 15,
            "plan_a": ["x", "w", "z"] * 10,
            "n": np.arange(30.0),
            "k": np.arange(30.0) % 4,
            "churn": ["Yes", "No", "No"] * 10,
        }
    )
    for config in (FeatureConfig(), FeatureConfig(max_categories=2), FeatureConfig(one_hot=False)):
        pre = build_preprocessor(df, PROBLEM, config).fit(df.drop(columns=["churn"]))
        sources = get_output_feature_sources(pre)
        assert list(sources) == list(pre.get_feature_names_out())
        assert {out for out, col in sources.items() if col == "plan_a"} == (
            {"plan_a"}
            if not config.one_hot
            else {"plan_a_w", "plan_a_x", "plan_a_z"}
            if config.max_categories > 2
            else {"plan_a_z", "plan_a_infrequent_sklearn"}
        )
        assert sources.get("plan_a_y", "plan") == "plan" and sources["n"] == "n" and sources["k"] == "k"


def test_columns_treated_alike_share_one_step(frame):
    # A single-row prediction pays ~3 ms per step: one per kind, not one per column.
    wide = frame.assign(
        **{f"n{i}": np.arange(len(frame)) % (i + 3) for i in range(8)},
        **{f"c{i}": [f"v{j % 3}" for j in range(len(frame))] for i in range(8)},
    )
    pre = build_preprocessor(wide, PROBLEM, suggest_features(wide, PROBLEM)).fit(wide.drop(columns=["churn"]))
    assert [name for name, _, _ in pre.transformers_ if name != "remainder"] == [
        "numeric",
        "numeric_log",
        "categorical",
        "date0",
    ]


def test_ordinal_encoding_and_no_scaling(frame):
    config = FeatureConfig(
        one_hot=False, numeric_scaling="none", drop_columns=("customer_id", "row_number", "constant")
    )
    pre = build_preprocessor(frame, PROBLEM, config).fit(frame.drop(columns=["churn"]))
    names = list(pre.get_feature_names_out())
    assert "plan" in names and not any(n.startswith("plan_") for n in names)
    out = pre.transform(frame.drop(columns=["churn"]))
    np.testing.assert_allclose(out[:, names.index("age")][1], frame["age"][1])  # unscaled
    unseen = frame.drop(columns=["churn"]).head(1).assign(plan="Enterprise")
    assert pre.transform(unseen)[0, names.index("plan")] == -1


def test_max_categories_groups_rare_ones_and_caps_width():
    df = pd.DataFrame({"shop": [f"s{i % 40}" for i in range(200)], "churn": ["Yes", "No"] * 100})
    pre = build_preprocessor(df, PROBLEM, FeatureConfig(max_categories=5)).fit(df[["shop"]])
    names = list(pre.get_feature_names_out())
    assert len(names) == 5 and "shop_infrequent_sklearn" in names
    out = pre.transform(pd.DataFrame({"shop": ["never-seen"]}))
    assert out[0, names.index("shop_infrequent_sklearn")] == 1.0


def test_date_parts_on_datetime64_and_iso_strings_agree():
    dates = pd.Series(pd.to_datetime(["2024-03-01", "2024-12-25", None]))
    as_text = pd.Series(["2024-03-01", "2024-12-25", None], dtype="str")
    a = DateParts().fit_transform(pd.DataFrame({"d": dates}))
    b = DateParts().fit_transform(pd.DataFrame({"d": as_text}))
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a[:2], b[:2])
    assert a[0].tolist() == [2024, 3, 4, 19783]  # a Friday, 19,783 days after 1970-01-01
    assert list(DateParts().fit(pd.DataFrame({"d": dates})).get_feature_names_out()) == [
        "d_year",
        "d_month",
        "d_dayofweek",
        "d_days_since_1970",
    ]


def test_date_parts_adds_hour_only_for_timestamps():
    stamps = pd.DataFrame({"t": pd.Series(["2024-07-01 13:05:00", "2024-07-02 02:00:00"], dtype="str")})
    parts = DateParts().fit(stamps)
    assert list(parts.get_feature_names_out())[-1] == "t_hour"
    assert parts.transform(stamps)[:, -1].tolist() == [13, 2]


def test_fitted_preprocessor_survives_joblib_round_trip(frame):
    pre = build_preprocessor(frame, PROBLEM, suggest_features(frame, PROBLEM)).fit(frame.drop(columns=["churn"]))
    buffer = io.BytesIO()
    joblib.dump(pre, buffer)
    buffer.seek(0)
    again = joblib.load(buffer)
    X = frame.drop(columns=["churn"]).head(5)
    np.testing.assert_allclose(again.transform(X), pre.transform(X))


def test_describe_feature_set_in_words(frame):
    config = suggest_features(frame, PROBLEM)
    table = describe_feature_set(frame, PROBLEM, config).set_index("column")
    assert table.loc["customer_id", "transformation"] == "dropped: ID-like"
    assert table.loc["constant", "transformation"] == "dropped: constant"
    assert table.loc["plan", "transformation"] == "one-hot, 4 categories (missing is its own category)"
    assert table.loc["spend", "transformation"] == "log then standard scaling"
    assert table.loc["age", "transformation"] == "missing filled with the median, standard scaling"
    assert table.loc["signup_date", "kind"] == "datetime"
    assert "churn" not in table.index


def test_invalid_feature_configs_are_refused(frame):
    with pytest.raises(ConfigError, match="numeric scaling must be one of standard, minmax, none; got 'zscore'"):
        get_feature_kinds(frame, PROBLEM, FeatureConfig(numeric_scaling="zscore"))
    with pytest.raises(ConfigError, match="'plan' is not numeric"):
        get_feature_kinds(frame, PROBLEM, FeatureConfig(log_columns=("plan",)))
    everything = tuple(c for c in frame.columns if c != "churn")
    with pytest.raises(DataError, match="No feature column is left"):
        get_feature_kinds(frame, PROBLEM, FeatureConfig(drop_columns=everything))


def test_feature_config_round_trips_through_dict():
    config = FeatureConfig(numeric_scaling="minmax", log_columns=("a",), drop_columns=("b", "c"))
    data = config.to_dict()
    assert data["drop_columns"] == ["b", "c"]
    assert FeatureConfig.from_dict(data) == config
