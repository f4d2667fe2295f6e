"""core.statistics equals scipy on random samples with ties, and PSI equals the textbook formula."""

import math

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, ks_2samp, wasserstein_distance

from core import statistics


def _distinct(sample: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ordered = np.sort(sample)
    last = np.flatnonzero(np.append(ordered[1:] != ordered[:-1], True))
    return ordered[last], last + 1


@pytest.mark.parametrize("seed", range(40))
def test_ks_and_wasserstein_equal_scipy_with_and_without_ties(seed):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(1, 400, 2)
    digits = int(rng.integers(0, 4))  # 0 digits: many ties
    reference = np.round(rng.normal(size=n), digits)
    current = np.round(rng.normal(rng.normal() * 0.3, 1 + rng.random(), size=m), digits)
    values, at_most = _distinct(reference)
    expected = ks_2samp(reference, current, method="asymp")
    statistic = statistics.ks_statistic_distinct(values, at_most, np.sort(current))
    assert statistic == expected.statistic
    assert statistics.ks_statistic_sorted(np.sort(reference), np.sort(current)) == expected.statistic
    assert statistics.ks_pvalues([statistic], [n], [m])[0] == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
    assert statistics.wasserstein_distinct(values, at_most, np.sort(current)) == pytest.approx(
        wasserstein_distance(reference, current), rel=1e-12
    )
    assert statistics.wasserstein_sorted(np.sort(reference), np.sort(current)) == pytest.approx(
        wasserstein_distance(reference, current), rel=1e-12
    )


def test_ks_p_values_are_one_where_a_side_is_empty():
    assert statistics.ks_pvalues([np.nan, 0.5], [10, 10], [0, 10]).tolist()[0] == 1.0


def test_psi_and_jensen_shannon_from_counts_equal_the_textbook_formulas():
    rng = np.random.default_rng(1)
    reference, current = rng.normal(size=3000), rng.normal(0.4, 1.2, size=1000)
    edges = statistics.quantile_edges(reference, 10)
    ref, cur = statistics.count_in_bins(reference, edges), statistics.count_in_bins(current, edges)
    assert (statistics.count_sorted_in_bins(np.sort(current), edges) == cur).all()
    r, c = np.maximum(ref / ref.sum(), 1e-4), np.maximum(cur / cur.sum(), 1e-4)
    textbook = sum((ci - ri) * math.log(ci / ri) for ri, ci in zip(r, c))
    assert statistics.psi_from_counts(ref, cur)[0] == pytest.approx(textbook, rel=1e-12)
    assert statistics.jensen_shannon_from_counts(ref, cur)[0] == pytest.approx(jensenshannon(ref, cur, base=2))
    both = statistics.jensen_shannon_from_counts(ref, np.vstack([cur, ref, np.zeros_like(ref)]))
    assert both[1] == pytest.approx(0.0, abs=1e-12) and math.isnan(both[2])
    # Disjoint shares: the largest distance, 1.
    assert statistics.jensen_shannon_from_counts(np.array([5, 0]), np.array([0, 5]))[0] == pytest.approx(1.0)


def test_chi2_from_counts_equals_scipy_and_pools_tiny_cells():
    ref, cur = np.array([300, 200, 100, 2, 1]), np.array([80, 90, 40, 1, 0])
    # The two cells seen fewer than 5 times in all share one column.
    pooled = np.array([[300, 200, 100, 3], [80, 90, 40, 1]])
    assert statistics.chi2_pvalue_from_counts(ref, cur) == chi2_contingency(pooled).pvalue
    assert (
        statistics.chi2_pvalue_from_counts(ref[:3], cur[:3]) == chi2_contingency(np.vstack([ref[:3], cur[:3]])).pvalue
    )
    # One category left, or an empty side: nothing to compare.
    assert statistics.chi2_pvalue_from_counts(np.array([10, 0]), np.array([5, 0])) == 1.0
    assert statistics.chi2_pvalue_from_counts(np.array([10, 7]), np.array([0, 0])) == 1.0
