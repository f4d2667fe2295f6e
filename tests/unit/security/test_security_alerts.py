"""Probing and out-of-range spikes per key become security alerts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.security.security_alerts import (
    InputAlertConfig,
    get_out_of_range_alerts,
    get_refusal_alerts,
    get_security_alerts_df,
)

HOUR = 3600.0


def test_a_burst_of_refusals_from_one_key_is_probing():
    usual = pd.DataFrame({"key": "app", "ts": np.arange(0, 24 * HOUR, HOUR / 2)})  # two an hour
    probe = pd.DataFrame({"key": "probe", "ts": np.linspace(24 * HOUR - 600, 24 * HOUR, 40)})
    busy_app = pd.DataFrame({"key": "app", "ts": np.linspace(24 * HOUR - 600, 24 * HOUR, 5)})
    alerts = get_refusal_alerts(pd.concat([usual, probe, busy_app]), now=24 * HOUR)
    assert [a.evidence["key"] for a in alerts] == ["probe"]
    assert alerts[0].kind == "probing" and "probing" in alerts[0].message and "40" in alerts[0].message


def test_an_out_of_range_spike_is_flagged_against_the_key_usual_share():
    rng = np.random.default_rng(0)
    before = pd.DataFrame({"key": "k", "ts": np.linspace(0, 10 * HOUR, 500), "out_of_range": rng.random(500) < 0.05})
    spike = pd.DataFrame(
        {"key": "k", "ts": np.linspace(10.5 * HOUR, 11 * HOUR, 60), "out_of_range": rng.random(60) < 0.7}
    )
    steady = pd.DataFrame({"key": "s", "ts": np.linspace(10.5 * HOUR, 11 * HOUR, 60), "out_of_range": False})
    alerts = get_out_of_range_alerts(pd.concat([before, spike, steady]), now=11 * HOUR)
    assert [a.evidence["key"] for a in alerts] == ["k"]
    assert alerts[0].evidence["value"] > 0.4 and alerts[0].evidence["usual"] < 0.1
    df = get_security_alerts_df(alerts)
    assert list(df.columns) == ["severity", "kind", "key", "sentence"] and df.iloc[0]["key"] == "k"


def test_few_rows_are_not_judged():
    few = pd.DataFrame({"key": "k", "ts": [1.0, 2.0], "out_of_range": [True, True]})
    assert get_out_of_range_alerts(few, InputAlertConfig(), now=3.0) == []
    assert get_refusal_alerts(pd.DataFrame({"key": ["k"], "ts": [1.0]}), now=2.0) == []
