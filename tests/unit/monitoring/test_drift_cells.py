"""The drift table's numbers equal scipy's and the textbook PSI whichever way a numeric column is compared:
counted per cell of the reference's grid (many distinct values), counted at the reference's values (few),
or sorted (no grid). Random data with ties, missing values, constant columns, heavy tails, infinities,
values outside the reference's range, and many windows at once (merged cells)."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from core.monitoring import reference as reference_module
from core.monitoring.drift import DriftConfig, get_feature_drift_df


def _textbook_psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """Decile bins of the reference's values (open-ended, (low, high]), missing values a bin of their own."""
    ref, cur = reference[~np.isnan(reference)], current[~np.isnan(current)]
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    shares = []
    for sample, whole in ((ref, reference), (cur, current)):
        counts = np.bincount(np.searchsorted(edges, sample, side="left"), minlength=len(edges) + 1)
        shares.append(np.maximum(np.append(counts, len(whole) - len(sample)) / len(whole), 1e-4))
    r, c = shares
    return float(np.sum((c - r) * np.log(c / r)))


def _column(rng: np.random.Generator, kind: str, size: int, shift: float) -> np.ndarray:
    if kind == "normal":
        values = rng.normal(shift, 1 + shift / 2, size)
    elif kind == "cents":  # rounded amounts: many ties
        values = np.round(rng.lognormal(3 + shift / 4, 1, size), 2)
    elif kind == "heavy":  # a few huge values: most of the mass in the first cells
        values = rng.pareto(0.7, size) * (1 + shift)
    elif kind == "whole":
        values = rng.integers(0, 40, size).astype(float) + round(shift)
    elif kind == "constant":
        values = np.full(size, 3.0 + round(shift))
    else:  # "spiky": a mass at zero, infinities, and values beyond the reference's range when shifted
        values = np.where(rng.random(size) < 0.3, 0.0, rng.normal(0, 1, size) * (1 + 3 * shift))
        values[rng.random(size) < 0.0005] = np.inf
        values[rng.random(size) < 0.0005] = -np.inf
    values[rng.random(size) < 0.05] = np.nan
    return values


KINDS = ("normal", "cents", "heavy", "whole", "constant", "spiky")


@pytest.mark.parametrize("way", ["cells", "counted", "sorted"])
@pytest.mark.parametrize("seed", range(6))
def test_every_way_gives_scipys_ks_p_values_and_the_textbook_psi(seed, way, monkeypatch):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(50, 3000)), int(rng.integers(50, 3000))
    windows = int(rng.integers(1, 40))
    shift = float(rng.choice([0.0, 0.1, 1.0]))
    reference = pd.DataFrame({kind: _column(rng, kind, n, 0.0) for kind in KINDS})
    current = pd.DataFrame({kind: _column(rng, kind, m, shift) for kind in KINDS})
    current["window"] = rng.integers(0, windows, m)
    if way == "cells":  # every column with a grid compared per cell, however few its distinct values
        monkeypatch.setattr(reference_module, "MAX_COUNTED_DISTINCT", 0)
    elif way == "counted":
        monkeypatch.setattr(reference_module, "MAX_COUNTED_DISTINCT", 10**9)
    else:
        monkeypatch.setattr(reference_module, "MAX_COUNTED_DISTINCT", 0)
        monkeypatch.setattr(reference_module, "_make_grid", lambda *args: None)
    df = get_feature_drift_df(reference, current, list(KINDS), DriftConfig(), by="window")
    for row in df.itertuples(index=False):
        ref = reference[row.feature].to_numpy()
        cur = current.loc[current["window"] == row.window, row.feature].to_numpy()
        ref_valid, cur_valid = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
        expected = ks_2samp(ref_valid, cur_valid, method="asymp").pvalue if len(cur_valid) else 1.0
        assert row.pvalue == pytest.approx(expected, rel=1e-9, abs=1e-300), (row.feature, row.window)
        assert row.psi == pytest.approx(_textbook_psi(ref, cur), rel=1e-12, abs=1e-15), (row.feature, row.window)


def test_the_cells_find_the_largest_gap_inside_a_cell():
    """Two samples that differ only inside one cell of the grid (values a hair apart): the gap between
    their distribution functions is there, not at any cell's end."""
    rng = np.random.default_rng(7)
    base = rng.normal(size=20000)
    reference = pd.DataFrame({"x": np.concatenate([base, np.full(2000, 0.1234567)])})
    current = pd.DataFrame({"x": np.concatenate([base, np.full(2000, 0.1234567 + 1e-12)])})
    df = get_feature_drift_df(reference, current, ["x"])
    expected = ks_2samp(reference["x"], current["x"], method="asymp")
    assert expected.statistic > 0.04
    assert df.loc[0, "pvalue"] == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_text_held_by_arrow_is_bucketed_as_python_strings_are():
    """Arrow's look-up of pandas' default strings gives the buckets factorising Python strings gives:
    kept categories, '<other>' beyond the kept ones, '<new>', and missing values."""
    from core.monitoring.reference import MAX_CATEGORIES, prepare_current, prepare_reference

    rng = np.random.default_rng(3)
    names = np.array([f"plan {i}" for i in range(MAX_CATEGORIES + 5)] + ["", "Açores", "Açores"])
    reference = pd.DataFrame({"plan": pd.array(rng.choice(names[:-1], 5000), dtype="str")})
    current = rng.choice(np.append(names, ["never seen", "Açores "]), 4000).astype(object)
    current[rng.random(4000) < 0.05] = None
    groups = rng.integers(0, 3, 4000)
    prepared = prepare_reference(reference, ["plan"]).columns["plan"]
    by_arrow = prepare_current(prepared, pd.Series(pd.array(current, dtype="str")), groups, 3)
    by_python = prepare_current(prepared, pd.Series(current, dtype=object), groups, 3)
    np.testing.assert_array_equal(by_arrow.counts, by_python.counts)
    np.testing.assert_array_equal(by_arrow.new_rows, by_python.new_rows)
    assert by_arrow.counts[:, prepared.kept + 2].sum() == pd.isna(current).sum()
    assert by_arrow.new_rows.sum() > 0 and by_arrow.counts[:, prepared.kept].sum() > 0
