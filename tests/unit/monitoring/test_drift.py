import numpy as np
import pandas as pd
import pytest

from core.monitoring import drift
from core.monitoring.drift import (
    DRIFT_TESTS,
    DriftConfig,
    chi2_pvalue,
    chi2_pvalues_per_group,
    describe_psi,
    get_feature_drift_df,
    get_psi_per_group,
    jensen_shannon_per_group,
    ks_pvalue,
    ks_pvalues_per_group,
    psi,
    register_drift_test,
    wasserstein_per_group,
)
from core.monitoring.reference import prepare_current, prepare_reference
from core.workspace.errors import ConfigError, DataError


@pytest.fixture
def rng():
    return np.random.default_rng(42)


def test_psi_is_zero_for_identical_numeric_and_categorical_samples(rng):
    numbers = pd.Series(rng.normal(size=1000))
    words = pd.Series(rng.choice(["a", "b", "c"], 1000))
    assert psi(numbers, numbers) == pytest.approx(0.0, abs=1e-12)
    assert psi(words, words) == pytest.approx(0.0, abs=1e-12)


def test_psi_is_small_for_a_resample(rng):
    reference = pd.Series(rng.normal(size=5000))
    resample = reference.sample(1000, replace=True, random_state=1)
    assert psi(reference, resample) < 0.05


def test_psi_is_major_for_a_one_and_a_half_std_shift(rng):
    reference = pd.Series(rng.normal(10, 2, size=5000))
    shifted = pd.Series(rng.normal(10 + 1.5 * 2, 2, size=1000))
    value = psi(reference, shifted)
    assert value > 0.25
    assert describe_psi(value) == "major drift"


def test_psi_sees_values_beyond_the_reference_range(rng):
    # Open-ended outer bins: everything above the reference maximum lands in the top bin.
    reference = pd.Series(rng.uniform(0, 1, size=2000))
    assert psi(reference, pd.Series(rng.uniform(5, 6, size=500))) > 5


def test_psi_new_category_gives_high_psi(rng):
    reference = pd.Series(rng.choice(["Month-to-month", "One year", "Two year"], 2000))
    current = reference.iloc[:500].copy()
    current.iloc[:200] = "Three year"
    assert psi(reference, current) > 1.0


def test_psi_counts_missing_values_as_their_own_bin(rng):
    reference = pd.Series(rng.normal(size=2000))
    current = pd.Series(rng.normal(size=500))
    current.iloc[:150] = np.nan
    assert psi(reference, current) > 0.5
    words = pd.Series(rng.choice(["x", "y"], 500))
    assert psi(words, words.where(np.arange(500) >= 150)) > 0.5


def test_psi_survives_a_constant_reference_and_many_categories(rng):
    constant = pd.Series(np.ones(300))
    assert psi(constant, constant) == pytest.approx(0.0, abs=1e-12)
    assert psi(constant, pd.Series(np.full(100, 2.0))) > 1
    # An identifier-like column must not explode the PSI when resampled.
    ids = pd.Series([f"id{i}" for i in range(3000)])
    assert psi(ids, ids.sample(500, replace=True, random_state=0)) < 0.1


def test_ks_pvalue_separates_same_and_shifted_distributions(rng):
    reference = pd.Series(rng.normal(size=3000))
    assert ks_pvalue(reference, pd.Series(rng.normal(size=500))) > 0.01
    assert ks_pvalue(reference, pd.Series(rng.normal(1, 1, size=500))) < 1e-6
    assert ks_pvalue(reference, pd.Series([np.nan] * 10)) == 1.0


def test_chi2_pvalue_handles_new_categories_and_tiny_counts(rng):
    reference = pd.Series(rng.choice(["a", "b", "c"], 3000))
    assert chi2_pvalue(reference, pd.Series(rng.choice(["a", "b", "c"], 500))) > 0.01
    with_new = pd.Series(rng.choice(["a", "b", "c", "brand new"], 500))
    assert chi2_pvalue(reference, with_new) < 1e-6
    # Tiny samples: no crash, a valid probability.
    assert 0.0 <= chi2_pvalue(pd.Series(["a", "b"]), pd.Series(["c"])) <= 1.0
    assert chi2_pvalue(pd.Series(["a"] * 20), pd.Series(["a"] * 5)) == 1.0


def test_tests_are_registered_by_name_with_the_column_kinds_they_apply_to():
    assert {name: (test.kinds, test.measure, test.compute) for name, test in DRIFT_TESTS.items()} == {
        "ks": (("numeric",), "pvalue", ks_pvalues_per_group),
        "chi2": (("categorical",), "pvalue", chi2_pvalues_per_group),
        "jensen_shannon": (("numeric", "categorical"), "distance", jensen_shannon_per_group),
        "wasserstein": (("numeric",), "distance", wasserstein_per_group),
    }
    assert (DRIFT_TESTS["jensen_shannon"].threshold, DRIFT_TESTS["wasserstein"].threshold) == (0.1, 0.1)
    config = DriftConfig()
    assert (config.numeric_test, config.categorical_test) == ("ks", "chi2")
    assert config.get_test("numeric") is DRIFT_TESTS["ks"]
    assert config.get_test("categorical") is DRIFT_TESTS["chi2"]


def test_the_registered_tests_give_the_pair_functions_p_values(rng):
    reference = pd.Series(rng.normal(size=800))
    current = pd.Series(rng.normal(0.2, 1, size=300))
    codes = np.zeros(len(current), dtype=np.int64)
    ref = prepare_reference(pd.DataFrame({"x": reference}), ["x"]).columns["x"]
    assert ks_pvalues_per_group(ref, prepare_current(ref, current, codes, 1))[0] == pytest.approx(
        ks_pvalue(reference, current), rel=1e-9
    )
    words, other = pd.Series(rng.choice(list("abc"), 800)), pd.Series(rng.choice(list("abcd"), 300))
    ref = prepare_reference(pd.DataFrame({"x": words}), ["x"]).columns["x"]
    assert chi2_pvalues_per_group(ref, prepare_current(ref, other, codes, 1))[0] == pytest.approx(
        chi2_pvalue(words, other), rel=1e-12
    )


def test_the_default_configuration_gives_todays_results(rng):
    """Frozen from the drift module before its tests were registered (KS and chi-squared hard-coded)."""
    reference, current = _make_frames(rng)
    df = get_feature_drift_df(reference, current, ["age", "plan", "calls"], DriftConfig(), by="window")
    assert df["test"].tolist() == ["ks", "chi2", "ks"] * 3
    np.testing.assert_allclose(
        df["pvalue"],
        [
            0.2318425669245836,
            0.05630738362249289,
            0.8660965940038283,
            0.5312233040902621,
            0.771861705159386,
            0.9995969571073803,
            2.2571619844290367e-90,
            0.06373206113252294,
            0.9992154261788723,
        ],
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        df["psi"],
        [
            0.0674446978210226,
            0.021812736667416927,
            0.04634500377533901,
            0.0322936288582413,
            0.0007295567785875214,
            0.016664191963308414,
            4.242423586176353,
            0.020554903288416512,
            0.008531864408718951,
        ],
        rtol=1e-9,
    )
    assert df["drifted"].tolist() == [False] * 6 + [True, False, False]


def test_the_configuration_chooses_a_registered_test_by_name_and_the_report_names_it(rng, monkeypatch):
    monkeypatch.setattr(drift, "DRIFT_TESTS", dict(DRIFT_TESTS))  # the registration below stays in this test

    @register_drift_test("always", ("numeric", "categorical"), "a test that always finds a difference")
    def always(ref, cur):
        return np.zeros(len(cur.counts))

    assert drift.DRIFT_TESTS["always"].compute is always
    reference, current = _make_frames(rng)
    config = DriftConfig(numeric_test="always")
    assert DriftConfig.from_dict(config.to_dict()) == config
    df = get_feature_drift_df(reference, current, ["age", "plan", "calls"], config, by="window")
    assert df["test"].tolist() == ["always", "chi2", "always"] * 3
    assert (df.loc[df["test"] == "always", "pvalue"] == 0).all()
    default = get_feature_drift_df(reference, current, ["age", "plan", "calls"], DriftConfig(), by="window")
    np.testing.assert_array_equal(df["psi"], default["psi"])  # PSI does not depend on the test
    np.testing.assert_array_equal(
        df.loc[df["test"] == "chi2", "pvalue"], default.loc[default["test"] == "chi2", "pvalue"]
    )


def test_the_configuration_refuses_an_unknown_test_or_one_for_another_kind():
    with pytest.raises(
        ConfigError, match="'numeric_test' of DriftConfig must name a drift test for numeric columns \\(ks\\)"
    ):
        DriftConfig(numeric_test="chi2").validate()
    with pytest.raises(ConfigError, match="'categorical_test' of DriftConfig .* got 'nope'"):
        DriftConfig.from_dict({"categorical_test": "nope"})
    with pytest.raises(ConfigError, match="column kinds"):
        register_drift_test("odd", ("text",), "not a kind of column")


@pytest.mark.parametrize(
    "value, label",
    [(0.0, "no drift"), (0.099, "no drift"), (0.1, "moderate drift"), (0.24, "moderate drift"), (0.25, "major drift")],
)
def test_describe_psi(value, label):
    assert describe_psi(value) == label


def test_drift_rule_needs_a_moderate_psi_besides_a_small_pvalue():
    config = DriftConfig()
    drifted = config.get_drifted(np.array([0.3, 0.05, 0.15, 0.15]), np.array([0.9, 1e-9, 1e-9, 0.5]))
    assert drifted.tolist() == [True, False, True, False]


def test_drift_config_round_trip_and_validation():
    config = DriftConfig(psi_threshold=0.2, pvalue_threshold=0.05, bins=8)
    assert DriftConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError, match="'bins' of DriftConfig"):
        DriftConfig(bins=1).validate()
    with pytest.raises(ConfigError, match="'pvalue_threshold' of DriftConfig"):
        DriftConfig.from_dict({"pvalue_threshold": 2})


def _make_frames(rng, n_ref=2000, n_cur=600):
    reference = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n_ref),
            "plan": rng.choice(["basic", "pro"], n_ref),
            "calls": rng.integers(0, 6, n_ref),
        }
    )
    current = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n_cur) + np.repeat([0, 0, 20], n_cur // 3),
            "plan": rng.choice(["basic", "pro"], n_cur),
            "calls": rng.integers(0, 6, n_cur),
            "window": np.repeat([1, 2, 3], n_cur // 3),
        }
    )
    return reference, current


def test_get_feature_drift_df_flags_only_the_shifted_feature(rng):
    reference, current = _make_frames(rng)
    df = get_feature_drift_df(reference, current[current["window"] == 3], ["age", "plan", "calls"], DriftConfig())
    assert list(df.columns) == ["feature", "kind", "psi", "test", "pvalue", "drifted", "label", "new_rows", "new_share"]
    assert df["kind"].tolist() == ["numeric", "categorical", "numeric"]
    assert df["test"].tolist() == ["ks", "chi2", "ks"]
    assert df["drifted"].tolist() == [True, False, False]
    assert df.loc[0, "label"] == "major drift"


def test_grouped_drift_matches_one_call_per_group(rng):
    reference, current = _make_frames(rng)
    columns = ["age", "plan", "calls"]
    grouped = get_feature_drift_df(reference, current, columns, DriftConfig(), by="window")
    assert grouped["window"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    for window in (1, 2, 3):
        alone = get_feature_drift_df(reference, current[current["window"] == window], columns, DriftConfig())
        part = grouped[grouped["window"] == window].drop(columns="window").reset_index(drop=True)
        np.testing.assert_allclose(part["psi"], alone["psi"])
        np.testing.assert_allclose(part["pvalue"], alone["pvalue"], rtol=1e-9)
        # The vectorised KS reproduces scipy's ks_2samp p-value.
        sample = current[current["window"] == window]
        assert part.loc[0, "pvalue"] == pytest.approx(ks_pvalue(reference["age"], sample["age"]), rel=1e-9)
        assert part.loc[1, "pvalue"] == pytest.approx(chi2_pvalue(reference["plan"], sample["plan"]), rel=1e-9)


def test_get_psi_per_group_matches_psi(rng):
    reference = pd.Series(rng.normal(size=1000))
    current = pd.Series(np.concatenate([rng.normal(size=300), rng.normal(2, 1, size=300)]))
    groups = np.repeat([1, 2], 300)
    values = get_psi_per_group(reference, current, groups)
    assert values.index.tolist() == [1, 2]
    assert values[1] == pytest.approx(psi(reference, current[:300]))
    assert values[2] == pytest.approx(psi(reference, current[300:].reset_index(drop=True)))


def test_get_feature_drift_df_names_missing_columns(rng):
    reference, current = _make_frames(rng)
    with pytest.raises(DataError, match="nope"):
        get_feature_drift_df(reference, current, ["age", "nope"], DriftConfig())
    with pytest.raises(DataError, match="empty"):
        psi(pd.Series([], dtype=float), pd.Series([1.0]))


def test_values_never_seen_in_the_reference_are_counted_per_group():
    rng = np.random.default_rng(4)
    reference = pd.DataFrame(
        {
            "plan": rng.choice(["basic", "pro"], 1000),
            "rating": rng.integers(1, 6, 1000),  # a code: 1–5
            "amount": rng.normal(50, 5, 1000),  # a measurement: every value is "new", none counts
        }
    )
    current = pd.DataFrame(
        {
            "plan": ["basic"] * 90 + ["premium"] * 10 + ["pro"] * 80 + ["premium"] * 20,
            "rating": [3] * 95 + [9] * 5 + [2] * 100,
            "amount": rng.normal(50, 5, 200),
            "window": [1] * 100 + [2] * 100,
        }
    )
    df = get_feature_drift_df(reference, current, ["plan", "rating", "amount"], by="window").set_index(
        ["window", "feature"]
    )
    assert df.loc[(1, "plan"), "new_rows"] == 10 and df.loc[(2, "plan"), "new_rows"] == 20
    assert df.loc[(2, "plan"), "new_share"] == pytest.approx(0.2)
    assert df.loc[(1, "rating"), "new_rows"] == 5 and df.loc[(2, "rating"), "new_rows"] == 0
    assert (df.xs("amount", level="feature")["new_rows"] == 0).all()


def test_the_drift_table_caption_names_the_tests_that_ran(monkeypatch):
    from core.monitoring.charts import caption_drift_table

    assert caption_drift_table(DriftConfig()) == (
        "KS compares numeric distributions, chi-square category shares; a p-value below 0.01 means the difference "
        "is unlikely to be chance. A feature counts as drifted when its PSI is major, or when the test is "
        "significant and the PSI at least moderate."
    )
    monkeypatch.setattr(drift, "DRIFT_TESTS", dict(DRIFT_TESTS))
    register_drift_test("always", ("numeric",), "finds a difference every time")(lambda r, c: np.zeros(len(c.counts)))
    assert caption_drift_table(DriftConfig(numeric_test="always")).startswith(
        "always (finds a difference every time), chi-square category shares; "
    )
