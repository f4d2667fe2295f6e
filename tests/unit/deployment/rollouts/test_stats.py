"""Each statistical readout against scipy or a hand computation."""

import math

import numpy as np
import pytest
from scipy import stats as sp

from core.deployment.rollouts import stats


def test_wilson_interval_matches_scipy():
    est = stats.wilson_interval(8, 10)
    ci = sp.binomtest(8, 10).proportion_ci(confidence_level=0.95, method="wilson")
    assert est.value == pytest.approx(0.8)
    assert (est.low, est.high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert math.isnan(stats.wilson_interval(0, 0).value)


def test_mean_interval_matches_scipy():
    values = np.random.default_rng(0).normal(3, 2, 40)
    est = stats.mean_interval(values)
    ci = sp.ttest_1samp(values, 0).confidence_interval(0.95)
    assert (est.low, est.high) == pytest.approx((ci.low, ci.high))


def test_two_proportion_ztest_by_hand_and_chi_squared():
    # 45/100 against 60/100: pooled p = 0.525, se = sqrt(0.525 * 0.475 * 0.02) = 0.070622, z = 2.1240
    result = stats.two_proportion_ztest(45, 100, 60, 100)
    assert result.difference == pytest.approx(0.15)
    assert result.statistic == pytest.approx(0.15 / math.sqrt(0.525 * 0.475 * 0.02))
    assert result.statistic == pytest.approx(2.1240, abs=1e-4)
    chi2, p, _, _ = sp.chi2_contingency([[45, 55], [60, 40]], correction=False)
    assert result.statistic**2 == pytest.approx(chi2)
    assert result.p_value == pytest.approx(p)
    half = 1.959964 * math.sqrt(0.45 * 0.55 / 100 + 0.6 * 0.4 / 100)  # unpooled Wald interval
    assert (result.low, result.high) == pytest.approx((0.15 - half, 0.15 + half), abs=1e-5)


def test_welch_ttest_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 30), rng.normal(0.5, 2, 45)
    result = stats.welch_ttest(a, b)
    ref = sp.ttest_ind(b, a, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert result.statistic == pytest.approx(ref.statistic)
    assert result.p_value == pytest.approx(ref.pvalue)
    assert (result.low, result.high) == pytest.approx((ci.low, ci.high))


def test_minimum_detectable_effect_by_hand():
    # (z_0.975 + z_0.8) * sqrt(0.25/1000 + 0.25/1000) = 2.801585 * 0.0223607
    assert stats.minimum_detectable_effect(0.25, 1000, 0.25, 1000) == pytest.approx(0.062646, abs=1e-5)
    assert stats.minimum_detectable_effect(0.25, 0, 0.25, 10) == math.inf


def test_sample_sizes_by_hand():
    # Means: 2 * 1 * 2.801585^2 / 0.5^2 = 62.79 -> 63 per arm (Cohen's d = 0.5, normal approximation).
    assert stats.sample_size_per_arm(1.0, 0.5) == 63
    # Proportions 0.5 -> 0.6: (1.96 sqrt(2 * .55 * .45) + 0.8416 sqrt(.25 + .24))^2 / 0.01 = 387.3 -> 388.
    assert stats.sample_size_two_proportions(0.5, 0.1) == 388
    with pytest.raises(ValueError):
        stats.sample_size_per_arm(1.0, 0)


def test_msprt_statistic_by_hand():
    # V = 0.01, tau^2 = 0.01, d = 0.2: sqrt(1/2) * exp(0.01 * 0.04 / (2 * 0.01 * 0.02)) = 0.70711 * e
    assert stats.msprt_likelihood_ratio(0.2, 0.01, 0.01) == pytest.approx(math.sqrt(0.5) * math.e)
    p = stats.always_valid_p_values(np.array([0.0, 0.2, 0.0]), np.array([0.01, 0.01, 0.01]), 0.01)
    # Never rises: the p-value after a look is the smallest so far.
    assert p[0] == pytest.approx(1.0)
    assert p[1] == pytest.approx(1 / (math.sqrt(0.5) * math.e))
    assert p[2] == p[1]


def _false_win_rates(simulations: int = 400, looks: int = 20, per_look: int = 50, p: float = 0.7):
    """Share of A/A tests (no true difference) that 'win' at some look: naive z-test vs mSPRT."""
    rng = np.random.default_rng(42)
    naive = always_valid = 0
    for _ in range(simulations):
        a = rng.random((looks, per_look)) < p
        b = rng.random((looks, per_look)) < p
        sa, sb = np.cumsum(a.sum(axis=1)), np.cumsum(b.sum(axis=1))
        n = per_look * np.arange(1, looks + 1)
        pa, pb = sa / n, sb / n
        variances = pa * (1 - pa) / n + pb * (1 - pb) / n
        pooled = (sa + sb) / (2 * n)
        z = (pb - pa) / np.sqrt(pooled * (1 - pooled) * 2 / n)
        naive += bool((2 * sp.norm.sf(np.abs(z)) < 0.05).any())
        tau2 = pooled[0] * (1 - pooled[0]) * stats.MIXING_VARIANCE_RATIO
        always_valid += bool((stats.always_valid_p_values(pb - pa, variances, tau2) < 0.05).any())
    return naive / simulations, always_valid / simulations


def test_peeking_inflates_naive_false_wins_but_not_msprt():
    naive, always_valid = _false_win_rates()
    assert naive > 0.12  # twenty peeks at a fixed-sample test: about a quarter of A/A tests "win"
    assert always_valid <= 0.06  # the always-valid p-value keeps false wins near (below) alpha


def test_msprt_finds_a_real_difference():
    rng = np.random.default_rng(7)
    a = rng.random(4000) < 0.70
    b = rng.random(4000) < 0.76
    n = np.arange(100, 4001, 100)
    pa, pb = np.array([a[:k].mean() for k in n]), np.array([b[:k].mean() for k in n])
    variances = pa * (1 - pa) / n + pb * (1 - pb) / n
    p = stats.always_valid_p_values(pb - pa, variances, 0.21 * stats.MIXING_VARIANCE_RATIO)
    assert p[-1] < 0.05


def test_psi_by_hand():
    reference = np.arange(100.0)
    assert stats.psi(reference, reference) == pytest.approx(0.0)
    # Everything in the top decile: 0.9 of the mass leaves 9 bins and lands in one.
    shifted = np.full(100, 99.0)
    expected = 9 * (1e-4 - 0.1) * math.log(1e-4 / 0.1) + (1 - 0.1) * math.log(1 / 0.1)
    assert stats.psi(reference, shifted) == pytest.approx(expected, rel=1e-6)
