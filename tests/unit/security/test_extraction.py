"""The extraction monitor: a sweep of the input space is flagged, real-looking traffic is not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.security.extraction import ExtractionConfig, InputGrid, get_extraction_report

HOUR = 3600.0


def make_reference(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "income": rng.lognormal(3.5, 0.4, n).round(1),
            "debt": rng.gamma(2.0, 3.0, n).round(0),
            "age": rng.normal(40, 8, n).round(0),
            "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.7, 0.25, 0.05]),
            "customer_id": [f"C{i:05d}" for i in range(n)],
        }
    )


def sweep(reference: pd.DataFrame, n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = {}
    for column in ["income", "debt", "age"]:
        out[column] = rng.uniform(reference[column].min(), reference[column].max(), n).round(1)
    out["plan"] = rng.choice(["basic", "plus", "pro"], n)
    return pd.DataFrame(out)


def requests_of(key: str, rows: pd.DataFrame, start: float, seconds: float) -> pd.DataFrame:
    ts = np.linspace(start, start + seconds, len(rows))
    return pd.concat([pd.DataFrame({"key": key, "ts": ts}), rows.reset_index(drop=True)], axis=1)


def test_a_sweep_is_flagged_and_real_cases_are_not():
    reference = make_reference()
    honest = requests_of("shop", make_reference(400, seed=5).drop(columns="customer_id"), 0, 3000)
    thief = requests_of("thief", sweep(reference, 400), 0, 3000)
    report = get_extraction_report(pd.concat([honest, thief], ignore_index=True), reference).set_index("key")
    assert report.loc["thief", "coverage_flag"] and report.loc["thief", "severity"] == "critical"
    assert report.loc["thief", "coverage"] > report.loc["thief", "expected_coverage"] + 0.2
    assert not report.loc["shop", "flagged"]
    assert "copying the model" in report.loc["thief", "sentence"]
    assert "nothing unusual" in report.loc["shop", "sentence"]
    assert list(report.index)[0] == "thief"  # flagged keys first


def test_volume_is_judged_against_the_key_own_history():
    reference = make_reference()
    calm = make_reference(24 * 40, seed=3).drop(columns="customer_id")
    history = requests_of("partner", calm, 0, 24 * HOUR - 1)  # about 40 an hour for a day
    burst = requests_of("partner", make_reference(1200, seed=4).drop(columns="customer_id"), 24 * HOUR, 1800)
    config = ExtractionConfig(min_volume=100)
    report = get_extraction_report(pd.concat([history, burst], ignore_index=True), reference, config)
    row = report.iloc[0]
    assert row["volume_flag"] and row["severity"] == "warning" and not row["coverage_flag"]
    assert 30 <= row["usual"] <= 50 and 1200 <= row["recent"] <= 1240
    quiet = get_extraction_report(history, reference, config)
    assert not quiet.iloc[0]["volume_flag"]


def test_the_grid_leaves_identifiers_out_and_counts_cells():
    reference = make_reference()
    grid = InputGrid.learn(reference)
    assert "customer_id" not in grid.features and len(grid.features) == 3
    assert grid.coverage(reference) <= 1.0 and grid.cells == 5 * 5 * 5
    assert grid.coverage(sweep(reference, 2000)) > grid.expected_coverage(2000) + 0.2


def test_no_requests_is_an_empty_report():
    assert get_extraction_report(pd.DataFrame(columns=["key", "ts"]), make_reference()).empty
