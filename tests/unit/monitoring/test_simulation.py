import numpy as np
import pandas as pd
import pytest

from core.monitoring.simulation import (
    GRADUAL_STEP_STD,
    NEW_CATEGORY_SHARE,
    SCENARIOS,
    SUDDEN_SHIFT_STD,
    TrafficConfig,
    describe_scenario,
    simulate_traffic,
)
from core.workspace.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def pool():
    rng = np.random.default_rng(7)
    n = 1500
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "income": rng.normal(3000, 800, n),
            "age": rng.normal(45, 12, n),
            "calls": rng.integers(0, 8, n),
            "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1]),
            "contract": rng.choice(["Month-to-month", "One year", "Two year"], n),
        }
    )
    frame["churn"] = np.where(rng.random(n) < 0.3, "Yes", "No")
    frame["price"] = frame["income"] * 50 + rng.normal(0, 1000, n)
    return frame


def _simulate(pool, scenario, target="churn", task="classification", **kwargs):
    important = kwargs.pop("important_features", ["age", "plan"])
    config = TrafficConfig(scenario=scenario, windows=5, rows_per_window=400, drift_start=3, seed=1, **kwargs)
    return simulate_traffic(pool, target, task, config, important_features=important)


def _per_window_mean_shift(drifted, baseline, column):
    return (drifted[column].astype(float) - baseline[column].astype(float)).groupby(drifted["window"]).mean()


def test_none_is_a_seeded_resample_with_windows(pool):
    traffic = _simulate(pool, "none")
    assert len(traffic) == 5 * 400
    assert traffic["window"].value_counts().sort_index().to_dict() == {w: 400 for w in range(1, 6)}
    assert set(traffic["customer_id"]) <= set(pool["customer_id"])
    assert "churn" in traffic.columns
    assert traffic.attrs["drifted_columns"] == []
    pd.testing.assert_frame_equal(traffic, _simulate(pool, "none"))
    other_config = TrafficConfig(windows=5, rows_per_window=400, seed=2)
    other_seed = simulate_traffic(pool, "churn", "classification", other_config)
    assert not traffic["customer_id"].equals(other_seed["customer_id"])


@pytest.mark.parametrize("scenario", ["gradual", "sudden", "new_category", "concept"])
def test_nothing_changes_before_drift_start(pool, scenario):
    baseline = _simulate(pool, "none")
    traffic = _simulate(pool, scenario)
    early = traffic["window"] < 3
    pd.testing.assert_frame_equal(traffic[early], baseline[early], check_dtype=False)
    assert not traffic[~early].equals(baseline[~early])


def test_gradual_shifts_more_every_window(pool):
    baseline, traffic = _simulate(pool, "none"), _simulate(pool, "gradual")
    assert traffic.attrs["drifted_columns"][0] == "age"  # most important numeric feature
    shift = _per_window_mean_shift(traffic, baseline, "age")
    expected = [0, 0, 1, 2, 3]
    np.testing.assert_allclose(shift.to_numpy(), np.array(expected) * GRADUAL_STEP_STD * pool["age"].std())


def test_sudden_shifts_once_and_stays(pool):
    baseline, traffic = _simulate(pool, "none"), _simulate(pool, "sudden", columns=("income",))
    assert traffic.attrs["drifted_columns"] == ["income"]
    shift = _per_window_mean_shift(traffic, baseline, "income")
    np.testing.assert_allclose(shift.to_numpy(), np.array([0, 0, 1, 1, 1]) * SUDDEN_SHIFT_STD * pool["income"].std())
    assert SUDDEN_SHIFT_STD >= 1.5
    # Other columns are untouched in every window.
    pd.testing.assert_series_equal(traffic["age"], baseline["age"])


def test_integer_columns_stay_whole_numbers_with_the_right_average_shift(pool):
    baseline, traffic = _simulate(pool, "sudden", columns=("calls",)), _simulate(pool, "none")
    assert pd.api.types.is_integer_dtype(baseline["calls"])
    shift = _per_window_mean_shift(baseline, traffic, "calls")
    assert shift.loc[[1, 2]].tolist() == [0, 0]
    target_shift = SUDDEN_SHIFT_STD * pool["calls"].std()
    assert shift.loc[[3, 4, 5]].between(target_shift - 0.15, target_shift + 0.15).all()


def test_new_category_appears_from_drift_start_only(pool):
    traffic = _simulate(pool, "new_category", important_features=["contract", "age"])
    assert traffic.attrs["drifted_columns"] == ["contract"]
    is_new = traffic["contract"] == "Three year"  # the telco-style name for a new contract type
    assert "Three year" not in set(pool["contract"])
    share = is_new.groupby(traffic["window"]).mean()
    assert share.loc[[1, 2]].tolist() == [0, 0]
    assert share.loc[[3, 4, 5]].between(NEW_CATEGORY_SHARE - 0.1, NEW_CATEGORY_SHARE + 0.1).all()


def test_new_category_uses_a_generic_name(pool):
    traffic = _simulate(pool, "new_category", columns=("plan",))
    assert (traffic["plan"] == "new_plan_value").groupby(traffic["window"]).any().tolist() == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_concept_flips_labels_for_a_segment_and_leaves_inputs_unchanged(pool):
    baseline, traffic = _simulate(pool, "none"), _simulate(pool, "concept")
    assert traffic.attrs["drifted_columns"] == ["churn"]
    assert traffic.attrs["segment_column"] == "age"
    features = [c for c in pool.columns if c != "churn"] + ["window"]
    pd.testing.assert_frame_equal(traffic[features], baseline[features])
    flipped = traffic["churn"] != baseline["churn"]
    segment = (traffic["age"] > pool["age"].median()) & (traffic["window"] >= 3)
    assert flipped.equals(segment)
    assert set(traffic["churn"]) == {"Yes", "No"}


def test_concept_shifts_a_regression_target_for_a_segment(pool):
    baseline = _simulate(pool, "none", target="price", task="regression")
    traffic = _simulate(pool, "concept", target="price", task="regression", important_features=["income"])
    assert traffic.attrs["segment_column"] == "income"
    difference = traffic["price"] - baseline["price"]
    segment = (traffic["income"] > pool["income"].median()) & (traffic["window"] >= 3)
    np.testing.assert_allclose(difference[segment], pool["price"].std())
    assert (difference[~segment] == 0).all()


def test_important_features_match_encoded_names(pool):
    traffic = _simulate(pool, "sudden", important_features=["num__income", "cat__plan_pro"])
    assert traffic.attrs["drifted_columns"][0] == "income"
    traffic = _simulate(pool, "new_category", important_features=["cat__plan_pro"])
    assert traffic.attrs["drifted_columns"] == ["plan"]


def test_numeric_scenario_without_numeric_columns_shifts_the_category_mix():
    rng = np.random.default_rng(3)
    pool = pd.DataFrame(
        {"plan": rng.choice(["basic", "plus", "pro"], 900, p=[0.6, 0.3, 0.1]), "y": rng.choice(["a", "b"], 900)}
    )
    config = TrafficConfig(scenario="gradual", windows=5, rows_per_window=500, drift_start=3)
    traffic = simulate_traffic(pool, "y", "classification", config)
    assert traffic.attrs["drifted_columns"] == ["plan"]
    pro_share = (traffic["plan"] == "pro").groupby(traffic["window"]).mean()
    assert pro_share.loc[[1, 2]].max() < 0.16
    assert pro_share.loc[3] > 0.2 and pro_share.loc[5] > pro_share.loc[4] > pro_share.loc[3]


def test_new_category_without_categorical_columns_adds_a_new_code():
    rng = np.random.default_rng(3)
    pool = pd.DataFrame(
        {"rating": rng.integers(1, 6, 800), "amount": rng.normal(size=800), "y": rng.integers(0, 2, 800)}
    )
    config = TrafficConfig(scenario="new_category", windows=4, rows_per_window=300, drift_start=2)
    traffic = simulate_traffic(pool, "y", "classification", config)
    assert traffic.attrs["drifted_columns"] == ["rating"]
    new_code = traffic["rating"] == pool["rating"].max() + 1
    assert new_code.groupby(traffic["window"]).any().tolist() == [False, True, True, True]


def test_config_validation_messages_and_round_trip():
    with pytest.raises(ConfigError) as error:
        TrafficConfig(scenario="x").validate()
    assert str(error.value) == (
        "The 'scenario' of TrafficConfig must be one of none, gradual, sudden, new_category, concept; got 'x' instead."
    )
    with pytest.raises(ConfigError, match="'drift_start' of TrafficConfig"):
        TrafficConfig(scenario="sudden", windows=2, drift_start=3).validate()
    config = TrafficConfig(scenario="sudden", columns=("income", "age"), seed=4)
    assert TrafficConfig.from_dict(config.to_dict()) == config
    assert config.to_dict()["columns"] == ["income", "age"]


def test_bad_inputs_raise_data_errors(pool):
    with pytest.raises(DataError, match="'nope'"):
        simulate_traffic(pool, "nope", "classification", TrafficConfig())
    with pytest.raises(DataError, match="'window'"):
        simulate_traffic(pool.assign(window=1), "churn", "classification", TrafficConfig())
    with pytest.raises(DataError, match="missing_col"):
        simulate_traffic(pool, "churn", "classification", TrafficConfig(scenario="sudden", columns=("missing_col",)))
    with pytest.raises(DataError, match="no column"):
        simulate_traffic(pool[["customer_id", "churn"]], "churn", "classification", TrafficConfig(scenario="sudden"))


def test_descriptions_are_plain_sentences(pool):
    assert set(SCENARIOS) == {"none", "gradual", "sudden", "new_category", "concept"}
    traffic = _simulate(pool, "sudden", columns=("income",))
    assert traffic.attrs["description"] == describe_scenario(
        TrafficConfig(scenario="sudden", windows=5, rows_per_window=400, drift_start=3), ["income"]
    )
    assert "'income'" in traffic.attrs["description"] and "window 3" in traffic.attrs["description"]
    concept = _simulate(pool, "concept")
    assert "'age'" in concept.attrs["description"] and "'churn'" in concept.attrs["description"]
