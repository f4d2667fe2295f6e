"""The statistics of a rollout's readout: pure functions, one per question, tested against scipy and
hand-computed values.

- the metric per arm with a confidence interval (a proportion: Wilson interval; a mean: t interval);
- the difference between the arms: a two-proportion z-test for a yes/no metric (an answer was right),
  Welch's t-test for a numeric one (an answer's absolute error);
- the minimum detectable effect at the current sample size and the sample size still needed for a
  chosen effect (two-sided, power 0.8, alpha 0.05 by default);
- a sequential-safe p-value: peeking at a fixed-sample p-value after every batch of requests and
  stopping at the first p < 0.05 wins far more often than 5% when the arms are equal. The mixture
  sequential probability ratio test (mSPRT) gives an "always valid" p-value that may be read after every
  batch: Johari, Koomen, Pekelis & Walsh, "Peeking at A/B Tests: Why it matters, and what to do about
  it", KDD 2017 (and "Always Valid Inference", Operations Research 2022), with a normal mixing
  distribution of variance tau^2 over the difference of means.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from core import statistics as shared

ALPHA = 0.05
POWER = 0.8
# mSPRT's mixing variance, as a multiple of the per-observation variance: a prior on effects of the
# size the test should find fastest (Johari et al. choose it from past experiments; 1e-2 x the variance
# of a 0/1 metric: effects of a few percentage points).
MIXING_VARIANCE_RATIO = 1e-2


@dataclass(frozen=True)
class ArmEstimate:
    """One arm's metric: its value, interval and sample size."""

    n: int
    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TestResult:
    """The difference between two arms (B minus A), its test and p-value."""

    test: str
    difference: float
    low: float
    high: float
    statistic: float
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _z(q: float) -> float:
    return float(stats.norm.ppf(q))


def wilson_interval(successes: int, n: int, alpha: float = ALPHA) -> ArmEstimate:
    """A proportion with its Wilson score interval (good at small n and near 0 or 1, unlike the
    normal approximation). n = 0 gives NaN."""
    if n <= 0:
        return ArmEstimate(0, math.nan, math.nan, math.nan)
    z = _z(1 - alpha / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return ArmEstimate(n, p, centre - half, centre + half)


def mean_interval(values: np.ndarray, alpha: float = ALPHA) -> ArmEstimate:
    """A mean with its t interval; fewer than two values give NaN bounds."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return ArmEstimate(0, math.nan, math.nan, math.nan)
    mean = float(values.mean())
    if n < 2:
        return ArmEstimate(n, mean, math.nan, math.nan)
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * float(values.std(ddof=1)) / math.sqrt(n)
    return ArmEstimate(n, mean, mean - half, mean + half)


def two_proportion_ztest(successes_a: int, n_a: int, successes_b: int, n_b: int, alpha: float = ALPHA) -> TestResult:
    """Two-sided z-test of p_B = p_A with the pooled variance; the interval of p_B - p_A uses the
    unpooled one (as statsmodels' test_proportions_2indep and confint_proportions_2indep 'wald')."""
    if n_a <= 0 or n_b <= 0:
        return TestResult("two-proportion z-test", math.nan, math.nan, math.nan, math.nan, math.nan)
    p_a, p_b = successes_a / n_a, successes_b / n_b
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    diff = p_b - p_a
    if se_pooled == 0:
        z, p_value = 0.0, 1.0
    else:
        z = diff / se_pooled
        p_value = float(2 * stats.norm.sf(abs(z)))
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    half = _z(1 - alpha / 2) * se
    return TestResult("two-proportion z-test", diff, diff - half, diff + half, float(z), p_value)


def welch_ttest(values_a: np.ndarray, values_b: np.ndarray, alpha: float = ALPHA) -> TestResult:
    """Welch's t-test of mean_B = mean_A (unequal variances), with the Welch-Satterthwaite interval."""
    a, b = np.asarray(values_a, dtype=float), np.asarray(values_b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return TestResult("Welch t-test", math.nan, math.nan, math.nan, math.nan, math.nan)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = float(b.mean() - a.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        return TestResult("Welch t-test", diff, diff, diff, 0.0, 1.0 if diff == 0 else 0.0)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    t = diff / se
    p_value = float(2 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(1 - alpha / 2, df)) * se
    return TestResult("Welch t-test", diff, diff - half, diff + half, float(t), p_value)


def minimum_detectable_effect(
    variance_a: float, n_a: int, variance_b: float, n_b: int, alpha: float = ALPHA, power: float = POWER
) -> float:
    """The smallest true difference of means a two-sided test at ``alpha`` finds with probability
    ``power`` at these sample sizes: (z_{1-alpha/2} + z_power) * sqrt(var_A/n_A + var_B/n_B). For a
    proportion p the variance is p(1 - p)."""
    if n_a <= 0 or n_b <= 0:
        return math.inf
    return (_z(1 - alpha / 2) + _z(power)) * math.sqrt(variance_a / n_a + variance_b / n_b)


def sample_size_per_arm(variance: float, effect: float, alpha: float = ALPHA, power: float = POWER) -> int:
    """Observations per arm (equal arms, equal variances) for a two-sided test at ``alpha`` to find a
    true difference of ``effect`` with probability ``power``: 2 * var * (z_{1-alpha/2} + z_power)^2 /
    effect^2, rounded up."""
    if effect <= 0:
        raise ValueError("effect must be positive")
    return math.ceil(2 * variance * (_z(1 - alpha / 2) + _z(power)) ** 2 / effect**2)


def sample_size_two_proportions(p_a: float, effect: float, alpha: float = ALPHA, power: float = POWER) -> int:
    """Observations per arm to find p_B = p_A + effect (two-sided, equal arms): the classic formula
    (z_{1-alpha/2} sqrt(2 pbar qbar) + z_power sqrt(p_A q_A + p_B q_B))^2 / effect^2 (Fleiss)."""
    p_b = min(max(p_a + effect, 1e-9), 1 - 1e-9)
    pbar = (p_a + p_b) / 2
    numerator = _z(1 - alpha / 2) * math.sqrt(2 * pbar * (1 - pbar)) + _z(power) * math.sqrt(
        p_a * (1 - p_a) + p_b * (1 - p_b)
    )
    return math.ceil(numerator**2 / effect**2)


def msprt_likelihood_ratio(difference: float, variance_of_difference: float, mixing_variance: float) -> float:
    """The mSPRT statistic for H0: difference = 0 with a N(0, tau^2) mixture over the alternative,
    given an estimate of the difference whose variance is V (Johari et al. 2017, eq. for normal data):
    Lambda = sqrt(V / (V + tau^2)) * exp(tau^2 * d^2 / (2 V (V + tau^2)))."""
    v, tau2 = variance_of_difference, mixing_variance
    if v <= 0:
        return 1.0 if difference == 0 else math.inf
    exponent = tau2 * difference**2 / (2 * v * (v + tau2))
    return math.sqrt(v / (v + tau2)) * math.exp(min(exponent, 700.0))


def always_valid_p_values(
    differences: np.ndarray, variances_of_difference: np.ndarray, mixing_variance: float
) -> np.ndarray:
    """The mSPRT p-value after each look: p_n = min(p_{n-1}, 1 / Lambda_n), starting at 1. Stopping
    at the first look with p_n < alpha keeps the chance of a false win at most alpha, however often
    one looks (Johari et al. 2017, Proposition 2)."""
    p, out = 1.0, []
    for d, v in zip(differences, variances_of_difference):
        p = min(p, 1.0 / msprt_likelihood_ratio(float(d), float(v), mixing_variance))
        out.append(p)
    return np.asarray(out, dtype=float)


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``current`` against ``reference``, on the reference's quantile
    bins (0.1 moderate, 0.25 major shift): core.statistics' PSI, the one monitoring's drift uses too,
    on the finite values only (a rollout compares scores, which are never missing)."""
    reference, current = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    reference, current = reference[np.isfinite(reference)], current[np.isfinite(current)]
    if len(reference) == 0 or len(current) == 0:
        return math.nan
    edges = shared.quantile_edges(reference, bins)
    counts = shared.count_in_bins(reference, edges), shared.count_in_bins(current, edges)
    return float(shared.psi_from_counts(*counts)[0])
