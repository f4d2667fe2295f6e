"""Distribution statistics shared by monitoring (data drift) and deployment (a rollout's score shift).

One home for each formula, below both packages (it imports only numpy and scipy), each computed from
what a caller can prepare once and reuse: counts per bin for PSI, chi-squared and Jensen–Shannon;
sorted values for Kolmogorov–Smirnov and Wasserstein. Each equals its scipy counterpart (tests check
it): ``ks_2samp(method="asymp")``, ``chi2_contingency``, ``scipy.spatial.distance.jensenshannon``
(base 2) and ``scipy.stats.wasserstein_distance``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import rel_entr
from scipy.stats import chi2_contingency, kstwo

# Share given to an empty bin so that PSI's log(current / reference) stays finite.
EPSILON = 1e-4


def quantile_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """The inner edges of ``bins`` quantile bins of ``values`` (finite numbers), deduplicated: a column
    with few distinct values gets fewer bins. Outer bins are open-ended."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return np.empty(0)
    return np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))


def count_in_bins(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of ``values`` per bin: bin i holds (edges[i-1], edges[i]] (len(edges) + 1 bins)."""
    return np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)


def count_sorted_in_bins(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``count_in_bins`` for values already sorted: one binary search per edge instead of per value."""
    below = np.searchsorted(sorted_values, edges, side="right")
    return np.diff(np.concatenate(([0], below, [len(sorted_values)])))


def psi_from_counts(reference_counts: np.ndarray, current_counts: np.ndarray) -> np.ndarray:
    """Population stability index of each row of ``current_counts`` against ``reference_counts``:
    sum((c - r) * ln(c / r)) over the bins' shares, an empty bin counting as a share of EPSILON.
    0.1 is a moderate shift, 0.25 a major one."""
    current_counts = np.atleast_2d(current_counts)
    ref_share = np.maximum(reference_counts / max(reference_counts.sum(), 1), EPSILON)
    totals = np.maximum(current_counts.sum(axis=1, keepdims=True), 1)
    cur_share = np.maximum(current_counts / totals, EPSILON)
    return np.sum((cur_share - ref_share) * np.log(cur_share / ref_share), axis=1)


def jensen_shannon_from_counts(reference_counts: np.ndarray, current_counts: np.ndarray) -> np.ndarray:
    """Jensen–Shannon distance (base 2: 0 same shares, 1 no overlap) of each row of ``current_counts``
    against ``reference_counts``, as ``scipy.spatial.distance.jensenshannon(p, q, base=2)``; nan for
    an empty row. Unlike PSI it needs no floor for empty bins and is bounded."""
    current_counts = np.atleast_2d(current_counts).astype(float)
    p = np.asarray(reference_counts, dtype=float)
    p = p / max(p.sum(), 1)
    totals = current_counts.sum(axis=1, keepdims=True)
    q = current_counts / np.where(totals > 0, totals, 1)
    m = (p + q) / 2.0
    divergence = np.sum(rel_entr(p, m) + rel_entr(q, m), axis=1) / 2.0 / np.log(2.0)
    distance = np.sqrt(np.maximum(divergence, 0.0))
    distance[totals[:, 0] == 0] = np.nan
    return distance


def ks_statistic_sorted(reference_sorted: np.ndarray, current_sorted: np.ndarray) -> float:
    """Two-sample Kolmogorov–Smirnov statistic of two sorted samples without missing values: the largest
    gap between their empirical distribution functions at any observed value (as ``ks_2samp``).

    Both functions only jump at observed values, so the gap is evaluated at the last of each run of
    equal values of either sample: one binary search per distinct value, with sorted needles."""
    n, m = len(reference_sorted), len(current_sorted)
    gaps = []
    for own, other, own_n, other_n, sign in (
        (reference_sorted, current_sorted, n, m, 1.0),
        (current_sorted, reference_sorted, m, n, -1.0),
    ):
        last = np.flatnonzero(np.append(own[1:] != own[:-1], True))  # the last of each run of ties
        own_cdf = (last + 1) / own_n
        other_cdf = np.searchsorted(other, own[last], side="right") / other_n
        gaps.append(np.abs(sign * (own_cdf - other_cdf)).max())
    return float(max(gaps))


def ks_pvalues(statistics: np.ndarray, reference_sizes: np.ndarray, current_sizes: np.ndarray) -> np.ndarray:
    """Smirnov's asymptotic two-sided p-values (``ks_2samp(method="asymp")``, what ``ks_2samp`` uses
    above 10,000 rows), vectorised; 1.0 where a statistic is nan (a side without values)."""
    statistics = np.asarray(statistics, dtype=float)
    n, m = np.asarray(reference_sizes, dtype=float), np.asarray(current_sizes, dtype=float)
    pvalues = np.ones(len(statistics))
    known = ~np.isnan(statistics)
    if known.any():
        big, small = np.maximum(n, m)[known], np.minimum(n, m)[known]
        pvalues[known] = np.clip(kstwo.sf(statistics[known], np.round(big * small / (big + small))), 0, 1)
    return pvalues


def chi2_pvalue_from_counts(reference_counts: np.ndarray, current_counts: np.ndarray, min_count: int = 5) -> float:
    """Chi-squared p-value of the 2 × buckets table (``chi2_contingency``); buckets seen fewer than
    ``min_count`` times in total are pooled, since the test is unreliable on tiny cells. 1.0 with a
    single bucket left or an empty side: nothing to compare."""
    table = np.vstack([reference_counts, current_counts])
    rare = table.sum(axis=0) < min_count
    table = np.column_stack([table[:, ~rare], table[:, rare].sum(axis=1)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 1.0
    return float(chi2_contingency(table).pvalue)


def wasserstein_sorted(reference_sorted: np.ndarray, current_sorted: np.ndarray) -> float:
    """First Wasserstein (earth mover's) distance between two sorted samples without missing values,
    in the values' units: the area between their distribution functions (``wasserstein_distance``)."""
    if len(reference_sorted) == 0 or len(current_sorted) == 0:
        return float("nan")
    merged = np.concatenate([reference_sorted, current_sorted])
    merged.sort(kind="stable")  # two sorted runs: a linear merge
    deltas = np.diff(merged)
    ref_cdf = np.searchsorted(reference_sorted, merged[:-1], side="right") / len(reference_sorted)
    cur_cdf = np.searchsorted(current_sorted, merged[:-1], side="right") / len(current_sorted)
    return float(np.sum(np.multiply(np.abs(ref_cdf - cur_cdf), deltas)))


def ks_statistic_distinct(values: np.ndarray, at_most: np.ndarray, current_sorted: np.ndarray) -> float:
    """``ks_statistic_sorted`` with the reference given as its distinct sorted ``values`` and the count
    of reference values at most each (``at_most``; its last entry is the sample size), so a reference
    prepared once is never sorted again. Equal to ``ks_2samp``'s statistic.

    Two binary searches per distinct reference value into the current sample (sorted needles), which
    is never searched value by value; then ``ks_statistic_counts``."""
    at_or_below = np.searchsorted(current_sorted, values, side="right")
    # Current values strictly below each reference value: fewer than at_or_below only where they tie.
    below = at_or_below.copy()
    ties = np.flatnonzero(at_or_below > 0)
    ties = ties[current_sorted[at_or_below[ties] - 1] == values[ties]]
    below[ties] = np.searchsorted(current_sorted, values[ties], side="left")
    return ks_statistic_counts(at_most, at_or_below, below, len(current_sorted))


def ks_cells_to_open(reference_ends: np.ndarray, n: int, current_ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The KS statistic bounded from counts per cell of the value axis, before any value is sorted.

    The cells are intervals that split the axis in the same way for both samples (a monotone map of
    values to cells). ``reference_ends`` (one per cell) and ``current_ends`` ([groups × cells]) count
    the values at most each cell's end, of ``n`` and of each group's last entry. At a cell's end both
    distribution functions are known exactly, so the largest gap there is a gap ``ks_2samp`` computes
    (a lower bound of the statistic: first result, per group). Inside a cell each function stays
    between its values at the cell's two ends, so no gap there exceeds the cell's upper bound; only
    the cells whose bound exceeds the lower bound and that hold reference values (where the
    reference's function moves) need their values compared one by one: second result, [groups × cells].
    """
    current_ends = np.atleast_2d(current_ends)
    m = np.maximum(current_ends[:, -1:], 1)
    ref_end = reference_ends / n
    ref_start = np.concatenate(([0], reference_ends[:-1])) / n
    cur_end = current_ends / m
    cur_start = np.column_stack([np.zeros(len(current_ends), dtype=current_ends.dtype), current_ends[:, :-1]]) / m
    bound = np.abs(ref_end - cur_end).max(axis=1)
    upper = np.maximum(ref_end - cur_start, cur_end - ref_start)
    moves = reference_ends > np.concatenate(([0], reference_ends[:-1]))
    return bound, (upper > bound[:, None]) & moves


def ks_statistic_counts(at_most: np.ndarray, current_at_most: np.ndarray, current_below: np.ndarray, m: int) -> float:
    """The KS statistic from counts at the reference's distinct values: reference values at most each
    (``at_most``), current values at most each and strictly below each (of ``m``). Between two reference
    values the reference's distribution function is flat and the current one rises, so the largest gap
    is at a reference value or just below the next one: these counts give every candidate exactly, as
    the same ratios ``ks_2samp`` computes."""
    ref_cdf = at_most / at_most[-1]
    gap_at_values = np.abs(ref_cdf - current_at_most / m).max()
    # Just below each reference value, the reference's function holds the previous value's share.
    previous = np.concatenate(([0.0], ref_cdf[:-1]))
    gap_before_values = np.abs(previous - current_below / m).max()
    return float(max(gap_at_values, gap_before_values))


def ks_statistic_in_cells(
    bound: float,
    at_most: np.ndarray,
    before: np.ndarray,
    n: int,
    current_at_most: np.ndarray,
    current_below: np.ndarray,
    m: int,
) -> float:
    """The KS statistic from ``ks_cells_to_open``'s lower ``bound`` and the counts at the reference's
    distinct values inside the opened cells: reference values at most each (``at_most``) and before
    it (``before``: at most the previous distinct value), of ``n``; current values at most and
    strictly below each, of ``m``. The same ratios as ``ks_statistic_counts`` and ``ks_2samp``."""
    if len(at_most) == 0:
        return float(bound)
    gap_at_values = np.abs(at_most / n - current_at_most / m).max()
    gap_before_values = np.abs(before / n - current_below / m).max()
    return float(max(bound, gap_at_values, gap_before_values))


def wasserstein_distinct(values: np.ndarray, at_most: np.ndarray, current_sorted: np.ndarray) -> float:
    """``wasserstein_sorted`` with the reference given as distinct values and counts at most each."""
    if len(values) == 0 or len(current_sorted) == 0:
        return float("nan")
    merged = np.concatenate([values, current_sorted])
    merged.sort(kind="stable")
    deltas = np.diff(merged)
    index = np.searchsorted(values, merged[:-1], side="right")
    ref_cdf = np.concatenate(([0], at_most))[index] / at_most[-1]
    cur_cdf = np.searchsorted(current_sorted, merged[:-1], side="right") / len(current_sorted)
    return float(np.sum(np.multiply(np.abs(ref_cdf - cur_cdf), deltas)))
