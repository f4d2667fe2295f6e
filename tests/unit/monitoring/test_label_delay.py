"""Delayed labels in the traffic simulator: the last windows have none yet, a share of the rest."""

import numpy as np
import pandas as pd
import pytest

from core.monitoring.simulation import TrafficConfig, simulate_traffic
from core.workspace.errors import ConfigError


def pool() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=300), "y": rng.integers(0, 2, 300)})


def test_the_last_windows_have_no_labels_and_the_traffic_is_otherwise_unchanged():
    plain = simulate_traffic(pool(), "y", "classification", TrafficConfig(windows=5, rows_per_window=50, seed=3))
    late = simulate_traffic(
        pool(), "y", "classification", TrafficConfig(windows=5, rows_per_window=50, seed=3, label_delay=2)
    )
    labelled = late.groupby("window")["y"].apply(lambda y: y.notna().mean())
    assert labelled.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    pd.testing.assert_series_equal(late["x"], plain["x"])
    assert (late["y"].dropna() == plain.loc[late["y"].notna(), "y"]).all()


def test_only_a_share_of_rows_gets_a_label_seeded():
    config = TrafficConfig(windows=4, rows_per_window=500, seed=1, label_share=0.3)
    first = simulate_traffic(pool(), "y", "classification", config)
    again = simulate_traffic(pool(), "y", "classification", config)
    assert first["y"].notna().mean() == pytest.approx(0.3, abs=0.04)
    pd.testing.assert_series_equal(first["y"], again["y"])


@pytest.mark.parametrize(
    "field, value", [("label_delay", 7), ("label_delay", -1), ("label_share", 0), ("label_share", 1.5)]
)
def test_bad_delays_and_shares_are_refused(field, value):
    with pytest.raises(ConfigError, match=field):
        TrafficConfig(windows=6, **{field: value}).validate()


def test_config_round_trips_with_the_label_fields():
    config = TrafficConfig(label_delay=2, label_share=0.5)
    assert TrafficConfig.from_dict(config.to_dict()) == config
