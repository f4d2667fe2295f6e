"""Jensen–Shannon and Wasserstein in the drift table, the prepared reference, and every statistic on
scikit-learn's public tables: shifted copies are found, unshifted halves are not (over seeds)."""

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp, wasserstein_distance
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from core.monitoring.drift import DriftConfig, get_feature_drift_df, psi
from core.monitoring.reference import get_prepared_reference, prepare_current, prepare_reference
from core.workspace.errors import ConfigError

BOTH = DriftConfig(distances=("jensen_shannon", "wasserstein"))


def _frames(seed=0):
    rng = np.random.default_rng(seed)
    reference = pd.DataFrame(
        {"amount": np.round(rng.lognormal(3, 1, 3000), 1), "plan": rng.choice(["a", "b", "c"], 3000)}
    )
    current = pd.DataFrame(
        {
            "amount": np.round(rng.lognormal(3.2, 1, 900), 1),
            "plan": rng.choice(["a", "b", "c", "d"], 900),
            "window": np.repeat([1, 2, 3], 300),
        }
    )
    return reference, current


def test_distances_equal_scipy_per_window():
    reference, current = _frames()
    df = get_feature_drift_df(reference, current, ["amount", "plan"], BOTH, by="window").set_index(
        ["window", "feature"]
    )
    ref = prepare_reference(reference, ["amount", "plan"])
    for window in (1, 2, 3):
        rows = current[current["window"] == window]
        std = reference["amount"].std(ddof=0)
        assert df.loc[(window, "amount"), "wasserstein"] == pytest.approx(
            wasserstein_distance(reference["amount"], rows["amount"]) / std, rel=1e-12
        )
        assert df.loc[(window, "amount"), "pvalue"] == pytest.approx(
            ks_2samp(reference["amount"], rows["amount"], method="asymp").pvalue, rel=1e-9
        )
        for column in ("amount", "plan"):
            counts = prepare_current(ref.columns[column], rows[column], np.zeros(len(rows), dtype=np.int64), 1)
            assert df.loc[(window, column), "jensen_shannon"] == pytest.approx(
                jensenshannon(ref.columns[column].counts, counts.counts[0], base=2), rel=1e-12
            )
        assert np.isnan(df.loc[(window, "plan"), "wasserstein"])  # no distance between categories


def test_the_default_table_has_no_distance_columns_and_the_config_round_trips():
    reference, current = _frames()
    assert "jensen_shannon" not in get_feature_drift_df(reference, current, ["amount"]).columns
    assert DriftConfig.from_dict(BOTH.to_dict()) == BOTH
    with pytest.raises(ConfigError, match="'distances' of DriftConfig .* got \\('nope',\\)"):
        DriftConfig(distances=("nope",)).validate()


def test_a_prepared_reference_gives_the_same_table_and_is_kept_by_key():
    reference, current = _frames()
    columns = ["amount", "plan"]
    prepared = prepare_reference(reference, columns)
    pd.testing.assert_frame_equal(
        get_feature_drift_df(prepared, current, columns, BOTH, by="window"),
        get_feature_drift_df(reference, current, columns, BOTH, by="window"),
    )
    kept = get_prepared_reference(reference, columns, key=("test", 1))
    assert get_prepared_reference(reference, columns, key=("test", 1)) is kept
    assert get_prepared_reference(reference, columns, key=("test", 2)) is not kept
    with pytest.raises(ConfigError, match="8 bins"):
        get_feature_drift_df(prepare_reference(reference, columns, bins=8), current, columns)


def test_psi_of_categories_counts_a_category_code_as_its_value():
    words = pd.Series(["x", "y", "y", "z"] * 100)
    shifted = pd.Series(["y"] * 300 + ["x"] * 100)
    assert psi(words.astype("category"), shifted.astype("category")) == pytest.approx(psi(words, shifted))


TABLES = {"diabetes": load_diabetes, "wine": load_wine, "breast_cancer": load_breast_cancer}


@pytest.mark.parametrize("name", list(TABLES))
def test_public_tables_shifted_copies_are_found_and_unshifted_halves_rarely_flagged(name):
    """Each table split at random in two halves, 10 seeds: without a shift, the KS test and the
    distances (gated by the test) flag about 1% of the features; with every feature moved by half a
    standard deviation, nearly all. The distances alone (at their usual 0.1) would flag half of the
    features on these few hundred rows: noise, which is why the test gates them."""
    X = TABLES[name](as_frame=True).data
    columns = list(X.columns)
    false_alarms, found, ungated = [], [], []
    for seed in range(10):
        order = np.random.default_rng(seed).permutation(len(X))
        reference, current = X.iloc[order[: len(X) // 2]], X.iloc[order[len(X) // 2 :]]
        quiet = get_feature_drift_df(reference, current, columns, BOTH)
        ks_or_distance = (quiet["pvalue"] < 0.01) | (
            (quiet[["jensen_shannon", "wasserstein"]] >= 0.1).any(axis=1) & (quiet["pvalue"] < 0.01)
        )
        false_alarms.append(ks_or_distance.mean())
        ungated.append((quiet["jensen_shannon"] >= 0.1).mean())
        moved = get_feature_drift_df(reference, current + 0.5 * X.std(), columns, BOTH)
        found.append(((moved["jensen_shannon"] >= 0.1) & (moved["wasserstein"] >= 0.1)).mean())
    assert np.mean(false_alarms) <= 0.03
    assert np.mean(found) >= 0.95
    assert np.mean(ungated) >= 0.3


def test_counting_at_the_references_values_and_sorting_give_the_same_table(monkeypatch):
    """A reference with few distinct values is compared by counting, a larger one by sorting the
    current values: both ways give the same statistics, equal to scipy's."""
    from core.monitoring import reference as reference_module

    reference, current = _frames()
    current = current.assign(amount=current["amount"].where(current.index % 7 != 0))  # some missing values
    counted = get_feature_drift_df(reference, current, ["amount", "plan"], BOTH, by="window")
    monkeypatch.setattr(reference_module, "MAX_COUNTED_DISTINCT", 0)
    sorted_ = get_feature_drift_df(reference, current, ["amount", "plan"], BOTH, by="window")
    pd.testing.assert_frame_equal(counted, sorted_, rtol=1e-12)
    for window in (1, 2, 3):
        rows = current.loc[current["window"] == window, "amount"].dropna()
        expected = ks_2samp(reference["amount"], rows, method="asymp").pvalue
        assert counted.query(f"window == {window} and feature == 'amount'")["pvalue"].iloc[0] == pytest.approx(
            expected, rel=1e-9
        )
